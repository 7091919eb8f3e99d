"""sys -c on the fixtures: the table agrees with drgn, filters select the right lines."""

from __future__ import annotations

from crashsh.commands.syscalls import SyscallEntry, SyscallHeader, filtered, symstr_in_radix
from tests.differential.runner import run_json

HEADER = "NUM  SYSTEM CALL                FILE AND LINE NUMBER"


def test_table_matches_the_kernel(crashsh):
    prog = crashsh.session.prog
    lines = crashsh.run("sys -c").splitlines()
    table = prog["sys_call_table"]
    assert lines[0] == HEADER
    assert len(lines) == 1 + len(table)  # every slot points at a function's start
    for number, line in enumerate(lines[1:]):
        name = line[5:].split()[0]
        assert int(line[:3]) == number
        assert prog.symbol(name).address == table[number].value_()


def test_read_is_in_read_write_c(crashsh):
    lines = crashsh.run("sys -c read").splitlines()
    assert lines[0] == HEADER
    assert lines[1].startswith("  0  __x64_sys_read             ../fs/read_write.c: ")
    assert all("read" in line.split()[1] for line in lines[1:])


def test_number_filters(crashsh):
    assert crashsh.run("sys -c 0x10").splitlines()[1].split()[:2] == ["16", "__x64_sys_ioctl"]
    both = crashsh.run("sys -c 1 2").splitlines()
    assert both[0] == HEADER and [l.split()[0] for l in both[1:]] == ["1", "2"]
    assert crashsh.run("sys -c 999") == ""
    assert crashsh.run("sys -c nosuchcall") == ""


def test_json(crashsh):
    (entry,) = run_json(crashsh, "sys -c 0")  # the header line is layout, not data
    assert entry["address"] == hex(crashsh.session.prog.symbol("__x64_sys_read").address)
    assert entry["number"] == 0 and entry["name"] == "__x64_sys_read"
    assert entry["source"].startswith("../fs/read_write.c: ")


def entry(number: int, name: str | None, radix: int = 10) -> SyscallEntry:
    return SyscallEntry(number, 0xffffffff81000000 + number, name, "", name or "x+8", radix)


def test_filters_follow_crash_rules():
    rows = [entry(0, "__x64_sys_read"), entry(1, None), entry(16, "__x64_sys_ioctl")]
    # a name matches the header's "SYSTEM" too, and "invalid" entries by that word
    assert [type(r) for r in filtered(rows, "SYS", False, 10)] == [SyscallHeader, SyscallHeader]
    assert [r.number for r in filtered(rows, "invalid", True, 10)] == [1]
    # a later argument gets no header of its own
    assert list(filtered(rows, "read", True, 10)) == [rows[0]]
    # crash reads the number as decimal first, whatever the output radix
    hex_rows = [entry(16, "__x64_sys_ioctl", 16)]
    assert list(filtered(hex_rows, "16", False, 16)) == [SyscallHeader(), hex_rows[0]]
    assert list(filtered(hex_rows, "10", False, 16)) == []


def test_symstr_in_radix():
    assert symstr_in_radix("foo+16", 16) == "foo+0x10"
    assert symstr_in_radix("foo+16", 10) == "foo+16"
    assert symstr_in_radix("(mod module)", 16) == "(mod module)"


def test_pause_gets_the_first_alias(crashsh):
    # what a fresh crash prints (the harness's crash, after a bt through pause(), prints
    # __x64_sys_pause on 6.1: its value_search() remembers its last hit)
    assert crashsh.run("sys -c 34").splitlines()[1].startswith(" 34  __do_sys_pause ")
