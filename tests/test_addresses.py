"""vtop, ptov and pte on the fixture dumps, checked against drgn's own translation."""

from __future__ import annotations

from drgn.helpers.linux.mm import follow_phys, for_each_vma, virt_to_phys
from drgn.helpers.linux.pid import find_task

from crashsh.commands.addresses import pte_bits
from crashsh.kernel.pagetable import PageTable


def translated(out: str) -> int:
    """The PHYSICAL column of vtop's second line."""
    return int(out.splitlines()[1].split()[1], 16)


def test_direct_map_and_vmalloc_agree_with_drgn(crashsh):
    prog = crashsh.session.prog
    obj = prog["crashsh_test_objs"][0].value_()
    assert translated(crashsh.run(f"vtop {obj:x}")) == virt_to_phys(prog["crashsh_test_objs"][0]).value_()
    stack = crashsh.session.panic_task.stack.value_() + 0x100
    out = crashsh.run(f"vtop {stack:x}")
    assert translated(out) == follow_phys(prog["init_mm"].address_of_(), stack).value_()
    assert "PGD DIRECTORY: " in out and "   PTE: " in out


def test_user_walk_agrees_with_drgn(kernel, crashsh):
    prog = crashsh.session.prog
    task = find_task(prog, kernel.manifest["marker"]["pid"])
    vma = next(iter(for_each_vma(task.mm)))
    start = vma.vm_start.value_()
    out = crashsh.run(f"vtop -c {task.pid.value_()} {start:x}")
    assert translated(out) == follow_phys(task.mm, start).value_()
    assert f"     {start:x} " in out  # the VMA line


def test_foreach_vtop_walks_each_tasks_tables(kernel, crashsh):
    """`foreach PID... vtop ADDR`: each user task's own translation of the same address."""
    prog = crashsh.session.prog
    tasks = [find_task(prog, pid) for pid in (kernel.manifest["marker"]["pid"],
                                              kernel.manifest["threads_proc"]["pid"])]
    start = next(iter(for_each_vma(tasks[0].mm))).vm_start.value_()
    out = crashsh.run(f"foreach {' '.join(str(t.pid.value_()) for t in tasks)} vtop {start:x}")
    physical = [int(line.split()[1], 16) for line in out.splitlines()
                if line.startswith(f"{start:x} ")]
    expected = {t.pid.value_(): follow_phys(t.mm, start).value_() for t in tasks}
    headers = [int(line.split()[1]) for line in out.splitlines() if line.startswith("PID:")]
    assert physical == [expected[pid] for pid in headers] and len(headers) == 2


def test_walk_entries_chain(crashsh):
    prog = crashsh.session.prog
    walk = PageTable.of(prog["init_mm"].address_of_()).walk(prog.symbol("jiffies_64").address,
                                                            kernel=True)
    for upper, lower in zip(walk.entries, walk.entries[1:]):
        assert lower.address & ~0xFFF == upper.value & ((1 << 46) - 1) & ~0xFFF


def test_ptov_is_the_direct_map(crashsh):
    prog = crashsh.session.prog
    out = crashsh.run("ptov 1000")
    assert int(out.splitlines()[1].split()[0], 16) == prog["page_offset_base"].value_() + 0x1000


def test_pte_flags(crashsh):
    prog = crashsh.session.prog
    assert pte_bits(prog, 0x80000000000001E3).flags == [
        "PRESENT", "RW", "ACCESSED", "DIRTY", "PSE", "GLOBAL", "NX"]
    assert pte_bits(prog, 0x100).flags == ["PROTNONE", "GLOBAL"]
    assert crashsh.run("pte 0") == "PTE  PHYSICAL  FLAGS\n 0       0     (no mapping)\n"
