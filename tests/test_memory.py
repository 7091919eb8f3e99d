"""rd and crash's readmem rules on the fixture dumps, checked against drgn's reads."""

from __future__ import annotations

import pytest
from drgn.helpers.linux.mm import for_each_vma

from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.kernel.readmem import Memory, Partial


def words(out: str) -> list[int]:
    """The 64-bit values of plain `rd` lines (ASCII column left out)."""
    return [int(w, 16) for line in out.splitlines() for w in line.split()[1:3]]


def test_rd_values_equal_drgn(crashsh):
    prog = crashsh.session.prog
    task = prog["init_task"].address_
    out = crashsh.run(f"rd {task:x} 300")
    raw = prog.read(task, 300 * 8)
    assert words(out) == [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]


def test_rd_decimal_and_network_order(crashsh):
    prog = crashsh.session.prog
    jiffies = prog["jiffies_64"].value_()
    assert crashsh.run("rd -d jiffies_64").split()[1] == str(jiffies)
    banner = prog.read(prog.symbol("linux_banner").address, 4)
    assert crashsh.run("rd -32 -N -x linux_banner").split()[1] == banner.hex()


def test_failed_read_keeps_what_was_read(crashsh):
    """The stack's guard page: the words before it print, the line stays open."""
    session = crashsh.session
    end = session.panic_task.stack.value_() + tasks.thread_size(session.prog)
    with pytest.raises(Partial) as failed:
        Memory(session, "kernel").read(end - 16, 32, "64-bit KVADDR")
    assert failed.value.data == session.prog.read(end - 16, 16)
    assert isinstance(failed.value.error, CommandError)
    assert f"invalid kernel virtual address: {end:x}" in str(failed.value.error)
    out = crashsh.run(f"rd {end - 16:x} 4")
    assert out.startswith(f"{end - 16:x}:  ") and f" rd: invalid kernel virtual address: {end:x}" in out


def test_excluded_and_missing_pages(kernel, crashsh):
    """-d 31 leaves user pages out: crash says nothing on a kdump file; memory past the
    end is a seek error there."""
    session = crashsh.session
    memory = Memory(session, "physical")
    end = memory.max_physical
    with pytest.raises(Partial) as failed:
        memory.read(end, 8, "64-bit PHYSADDR")
    assert str(failed.value.error).startswith("seek error: physical address: ")
    first = next(iter(for_each_vma(session.panic_task.mm))).vm_start.value_()
    with pytest.raises(Partial) as failed:
        Memory(session, "user").read(first, 8, "64-bit UVADDR")
    assert str(failed.value.error) == ""
