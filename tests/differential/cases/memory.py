"""Memory browsing: vtop (-c -u -k), ptov, pte; rd's options; search."""

from __future__ import annotations

from tests.differential.suite import Case

CASES = (
    Case("vtop {linux_banner}", True),
    Case("vtop {schedule_plus_5}", True),
    Case("vtop {test_object}", True),
    Case("vtop {panic_stack}", True),
    Case("vtop {module_text}", True),
    Case("vtop {unmapped}", True),
    Case("vtop {linux_banner} {test_object}", True),
    Case("vtop -c {marker_pid} {user_text}", True),
    Case("vtop -c {marker_task} {user_text} {user_stack}", True),
    Case("vtop -c {marker_pid} {user_file_hole}", True),
    Case("vtop -c {marker_pid} {user_anon_hole}", True),
    Case("vtop -c {marker_pid} {user_gap}", True),
    Case("vtop -c {marker_pid} -u {user_text}", True),
    Case("vtop -c {marker_pid} {test_object}", True),
    Case("vtop -c {kthread_pid} {user_text}", True),
    Case("vtop -u {linux_banner}", True),
    Case("vtop -k {user_text}", True),
    Case("vtop -u -k 1000", True),
    Case("vtop ffff800000001000", True),
    Case("vtop jiffies_64", True),
    Case("vtop -c 999999 1000", True),
    Case("vtop", True),
    Case("ptov {test_object_phys}", True),
    Case("ptov 0 1000", True),
    Case("ptov 1000:a", True),
    Case("ptov 1000:0", True),
    Case("ptov 1000:", True),
    Case("ptov 1000:0-1 2000", True),
    Case("ptov 1000:7", True),
    Case("ptov xyz", True),
    Case("ptov", True),
    Case("pte 800000000b5c4063", True),
    Case("pte 0 1 8000000003b86025", True),
    Case("pte 1e3 100 8000000000000080", True),
    Case("pte 25a 1", True),
    Case("pte xyz", True),
    Case("pte", True),
)


def placeholders(prog, pid: int) -> dict[str, str]:
    """User addresses of task *pid*: its first (file) VMA, its stack, a file page and an
    anonymous page not in memory, and a hole between two VMAs."""
    from drgn.helpers.linux.mm import for_each_vma
    from drgn.helpers.linux.pid import find_task

    from crashsh.kernel.pagetable import PageTable

    mm = find_task(prog, pid).mm
    table = PageTable.of(mm)
    vmas = list(for_each_vma(mm))
    hexes = {"user_text": vmas[0].vm_start.value_(),
             "user_stack": vmas[-1].vm_end.value_() - 8,
             "user_gap": next(a.vm_end.value_() for a, b in zip(vmas, vmas[1:])
                              if a.vm_end != b.vm_start)}
    for name, filed in (("user_file_hole", True), ("user_anon_hole", False)):
        hexes[name] = next(
            (page for vma in vmas if bool(vma.vm_file) == filed
             for page in range(vma.vm_start.value_(), vma.vm_end.value_(), 4096)
             if table.translate(page).physical is None), hexes["user_gap"])
    return {key: f"{value:x}" for key, value in hexes.items()}
