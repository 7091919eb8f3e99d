"""task and the gdb-style value printer: pure formatting rules, then real dumps.

On the dumps the values are checked against drgn and the manifest, including the members
crash itself loses (its 1500-byte fgets() bug, see tests/differential/cases/task.py).
"""

from __future__ import annotations

import json
import re
import time

import drgn
import pytest
from drgn.helpers.linux.pid import find_task

from crashsh.conventions.notices import error_log
from crashsh.render.jsonout import jsonable
from crashsh.toolchain import gdbvalues
from crashsh.toolchain.gdbvalues import (
    char_array_text,
    element_tree,
    enum_formatter,
    extended_member,
    grep_member,
    quoted,
    scalar_formatter,
)


# -- formatting rules -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def types():
    """A program without a dump, to build types in."""
    return drgn.Program(drgn.host_platform)


def test_char_arrays():
    assert char_array_text(b"abc\0\0") == '"abc\\000"'  # one trailing NUL dropped
    assert char_array_text(b"\0") == '""'
    assert char_array_text(b"ab") == '"ab"'
    assert char_array_text(b"a" * 257 + b"\0") == '"' + "a" * 256 + '"...'
    assert char_array_text(b"a" * 256 + b"\0") == '"' + "a" * 256 + '"'


def test_escapes():
    assert quoted(b'\x07\x08\x0c\n\r\t\x0b')[0] == '"\\a\\b\\f\\n\\r\\t\\v"'
    assert quoted(b'\x1b\x7f\xff"\\\'')[0] == '"\\033\\177\\377\\"\\\\\'"'


def test_utf8_host_charset(monkeypatch):
    """In a UTF-8 locale gdb prints a valid, printable multibyte character as itself, and
    counts it as one character against the 256 limit; other bytes stay octal escapes."""
    monkeypatch.setattr(gdbvalues, "UTF8_HOST", True)
    data = b"\xf0\xd8\x8c4\xc2\x85\xe2\x82\xac"  # stray, U+060C, U+0085, U+20AC
    assert quoted(data) == ('"\\360\u060c4\\302\\205\u20ac"', len(data))
    # a sequence cut short at the end: crash's gdb shows it apart and loses the character
    # before it (seen on crash 9.0.2), but not an invalid byte
    assert quoted(data + b"\xc3") == ('"\\360\u060c4\\302\\205", <incomplete sequence \\303>',
                                      len(data) + 1)
    assert quoted(b"a\xff\xe2\x82") == ('"a\\377", <incomplete sequence \\342\\202>', 4)
    assert quoted(b"\0\xd0") == ("<incomplete sequence \\320>", 2)
    assert char_array_text(b"\xd8\x8c" * 257 + b"\0") == '"' + "\u060c" * 256 + '"...'
    monkeypatch.setattr(gdbvalues, "UTF8_HOST", False)
    assert quoted(b"\xd8\x8c") == ('"\\330\\214"', 2)


def test_scalars(types):
    char = types.int_type("char", 1, True)
    boolean = types.bool_type("_Bool", 1)
    long = types.int_type("long", 8, True)
    assert scalar_formatter(char, 10)(39) == "39 '\\''"
    assert scalar_formatter(char, 10)(-1) == "-1 '\\377'"
    assert scalar_formatter(char, 16)(65) == "0x41"
    assert scalar_formatter(boolean, 10)(1) == "true"
    assert scalar_formatter(boolean, 16)(0) == "0x0"
    assert scalar_formatter(long, 10)(-5) == "-5"
    assert scalar_formatter(long, 16)(-1) == "0xffffffffffffffff"


def test_format_letters():
    """print/FMT of one scalar, values taken from crash 9 (gdb 16) on the fixtures."""
    from crashsh.toolchain.gdbvalues import FormatError, float_text, letter_formatter

    assert letter_formatter("z", 4, False)(5) == "0x00000005"
    assert letter_formatter("x", 4, False)(-5) == "0xfffffffb"
    assert letter_formatter("d", 8, True)(0xFFFFFFFFFFFFFFFF) == "-1"
    assert letter_formatter("o", 4, False)(0) == "0"
    assert letter_formatter("t", 4, False)(5) == "101"
    assert letter_formatter("c", 8, True)(0x1E0) == "224 '\\340'"  # unsigned: true unsigned char
    assert letter_formatter("c", 4, False)(-200) == "56 '8'"
    assert letter_formatter("a", 4, False, lambda a: " <x>" if a == 8 else "")(8) == "0x8 <x>"
    assert letter_formatter("a", 4, False)(-5) == "0xfffffffffffffffb"
    assert letter_formatter("f", 4, False)(120) == "1.68155816e-43"
    assert letter_formatter("f", 2, False)(65) == "3.8743e-06"
    assert letter_formatter("f", 1, False)(-3) == "-3"  # no 1-byte float: the number
    assert letter_formatter("f", 8, True)(0xFFFFFFFF99800000) == "-nan(0xfffff99800000)"
    assert float_text(0x7F800000, 4) == "inf"
    with pytest.raises(FormatError, match='Undefined output format "q"'):
        letter_formatter("q", 4, False)(1)


def test_enums(types):
    uint = types.int_type("unsigned int", 4, False)
    flags = types.enum_type("f", uint, [drgn.TypeEnumerator("A", 1),
                                        drgn.TypeEnumerator("B", 2),
                                        drgn.TypeEnumerator("C", 4)])
    plain = types.enum_type("p", uint, [drgn.TypeEnumerator("X", 0),
                                        drgn.TypeEnumerator("Y", 3)])
    assert enum_formatter(flags)(2) == "B"
    assert enum_formatter(flags)(3) == "(A | B)"
    assert enum_formatter(flags)(9) == "(A | unknown: 0x8)"
    assert enum_formatter(flags)(8) == "(unknown: 0x8)"
    assert enum_formatter(flags)(0) == "0"
    assert enum_formatter(plain)(7) == "7"


GDB_TEXT = """struct s {
  a = 1,
  b = {
    c = 2,
    d = {3, 4}
  },
  e = {{
      f = 5
    }, {
      f = 6
    }},
  g = {7, 8},
  h = 9,
  {
    i = 10
  },
  j = 11
}
""".splitlines(True)


def test_grep_member_rules():
    assert grep_member(GDB_TEXT, "a") == ["  a = 1,\n"]
    assert grep_member(GDB_TEXT, "b") == GDB_TEXT[2:6]
    assert grep_member(GDB_TEXT, "e") == GDB_TEXT[6:11]
    # crash's rule for a one-line array: print on until a line containing "},"
    assert grep_member(GDB_TEXT, "g") == GDB_TEXT[11:16]
    # inside a top-level unnamed struct, crash looks two spaces deeper
    assert grep_member(GDB_TEXT, "i") == ["    i = 10\n"]
    assert grep_member(GDB_TEXT, "j") == ["  j = 11\n"]  # "  }," ended the unnamed struct


def test_extended_member_rules():
    tree = element_tree(GDB_TEXT)
    assert extended_member(tree, "b.c") == ["  b.c = 2,\n"]
    assert extended_member(tree, "b.d") == ["  b.d = {3, 4}\n"]
    assert extended_member(tree, "e[1].f") == ["  e[1].f = 6\n"]
    # crash indents twice when it names an array element (dump_node's union branch)
    assert extended_member(tree, "e[1]") == ["  e[1] =   {\n", "    f = 6\n", "  }\n"]
    assert extended_member(tree, "i") is not None  # found through the unnamed struct
    assert extended_member(tree, "e.f") is None  # an array needs an index
    assert extended_member(tree, "e[2]") is None
    assert extended_member(tree, "b.x") is None


# -- real dumps -------------------------------------------------------------------------------
def members(text: str) -> dict[str, str]:
    """``name = value`` of each member line of `task -R` output."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"  (\S+) = (.*?),?$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_whole_task(kernel, crashsh):
    panic = crashsh.session.panic_task
    text = crashsh.run("task")
    lines = text.splitlines()
    pid = kernel.manifest["panic"]["pid"]
    assert lines[0].startswith(f"PID: {pid:<7}  TASK: {panic.value_():x}")
    assert lines[1] == "struct task_struct {"
    assert f"  pid = {panic.pid.value_()}," in lines
    assert any(line.startswith(f'  comm = "{kernel.manifest["panic"]["comm"]}') for line in lines)
    assert "struct thread_info {" in lines
    assert text.endswith("}\n\n")


def test_marker_members(kernel, crashsh):
    marker = kernel.manifest["marker"]
    found = members(crashsh.run(f"task -R pid,tgid,comm {marker['pid']}"))
    assert found["pid"] == found["tgid"] == str(marker["pid"])
    assert found["comm"].startswith(f'"{marker["comm"]}')
    assert members(crashsh.run(f"task -x -R pid {marker['pid']}"))["pid"] == f"{marker['pid']:#x}"


def test_members_crash_loses(crashsh):
    # after the cpus_mask line crash's fgets() buffer splits lines: crashsh prints the values
    task = crashsh.session.panic_task
    found = members(crashsh.run(
        "task -R sched_info.pcount,ioac.rchar,pid_links[1].pprev,restart_block.fn"))
    assert found["sched_info.pcount"] == str(task.sched_info.pcount.value_())
    assert found["ioac.rchar"] == str(task.ioac.rchar.value_())
    assert found["pid_links[1].pprev"] == f"{task.pid_links[1].pprev.value_():#x}"
    assert found["restart_block.fn"].startswith(f"{task.restart_block.fn.value_():#x} <")
    lines = crashsh.run("task -R posix_cputimers.bases[2].tqhead").splitlines()
    rb_node = task.posix_cputimers.bases[2].tqhead.rb_root.rb_root.rb_node.value_()
    assert lines[1] == "  posix_cputimers.bases[2].tqhead = {"
    assert f"        rb_node = {rb_node:#x}" in lines


def test_member_notices(crashsh):
    text = crashsh.run("task -R state,pid")
    assert "task: state: not a task_struct or thread_info member\n" in text
    assert "task: invalid data structure member reference: se.nosuch\n" in crashsh.run(
        "task -R se.nosuch")


def test_foreach_task_members(kernel, crashsh):
    prog = crashsh.session.prog
    text = crashsh.run("foreach crashsh_sleeper task -R __state")
    pids = [int(m) for m in re.findall(r"^PID: (\d+)", text, re.M)]
    assert pids == sorted(kernel.manifest["sleepers"])
    states = [int(v) for v in re.findall(r"^  __state = (\d+),", text, re.M)]
    assert states == [find_task(prog, pid).__state.value_() for pid in pids]
    stopped = kernel.manifest["stopped"]["pids"][0]
    assert states[pids.index(stopped)] & 4  # __TASK_STOPPED


def test_thread_info_is_in_the_task(crashsh):
    from crashsh.commands.task import task_structs

    task = crashsh.session.panic_task
    structs = task_structs(crashsh.session, task, 10)
    assert [s.name for s in structs] == ["task_struct", "thread_info"]
    assert structs[1].address == task.value_()


def test_task_is_fast_after_the_first(kernel, crashsh):
    crashsh.run("task")
    elapsed = []
    for pid in (1, kernel.manifest["marker"]["pid"], kernel.manifest["zombie"]["pid"]):
        start = time.perf_counter()
        crashsh.run(f"task {pid}")
        elapsed.append(time.perf_counter() - start)
    assert min(elapsed) < 0.1


def test_task_json(crashsh):
    from crashsh.commands.task import run_task, task_parser

    items = list(run_task(crashsh.session, task_parser().parse_args(["-R", "pid,nosuch"])))
    with error_log() as errors:  # crash's error line leaves the data for the document's error
        data = json.loads(json.dumps(jsonable(items)))
    assert data[0]["header"]["pid"] == crashsh.session.panic_task.pid.value_()
    assert data[0]["header"]["task"] == hex(crashsh.session.panic_task.value_())
    assert data[0]["items"] == [data[0]["items"][0]] and data[0]["items"][0].startswith("  pid = ")
    assert [e.line for e in errors] == ["task: nosuch: not a task_struct or thread_info member"]


def test_printer_on_other_types(crashsh):
    session = crashsh.session
    prog = session.prog
    printer = session.value_printer()
    banner = drgn.cast("char *", prog["linux_banner"].address_of_())
    assert printer.format_object(banner).startswith(f"{banner.value_():#x} <linux_banner> \"Linux")
    assert printer.format_object(drgn.Object(prog, "char *", 0x1000)) == (
        "0x1000 <error: Cannot access memory at address 0x1000>")
    assert printer.format_object(drgn.Object(prog, "enum pid_type", 3)) == "PIDTYPE_SID"
