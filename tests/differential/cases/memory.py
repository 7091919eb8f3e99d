"""Memory browsing: vtop (-c -u -k) and foreach vtop, ptov, pte; rd's options; search."""

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
    Case("foreach {marker_pid} vtop {user_text}", True),
    Case("foreach {marker_pid} {kthread_pid} vtop {user_text} {linux_banner}", True),
    Case("foreach {marker_pid} {kthread_pid} vtop -u {linux_banner} {user_text}", True),
    Case("foreach {marker_pid} vtop -k {user_text}", True),
    Case("foreach crashsh_marker vtop -c {user_stack} {test_object}", True),
    Case("foreach {marker_pid} vtop {user_file_hole} {user_anon_hole} {user_gap}", True),
    Case("foreach {marker_pid} vtop 0x{user_text} {unmapped}", True),
    Case("foreach user vtop {user_text}", True),
    Case("foreach active vtop {linux_banner}", True),
    Case("foreach {marker_pid} vtop {user_text} xyz {linux_banner}", True),
    Case("foreach {marker_pid} {panic_pid} vtop ffff800000001000 {linux_banner}", True),
    Case("foreach vtop", True),
    Case("foreach {marker_pid} vtop -u -k 1000", True),
    Case("foreach {marker_pid} vtop -R x 1000", True),
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
    Case("rd -s -32 linux_banner 4", True),
    Case("rd -32 -s linux_banner 4", True),
    Case("rd -d -D jiffies_64 2", True),
    Case("rd -D -d jiffies_64 2", True),
    Case("rd -D -64 linux_banner 3", True),
    Case("rd -d -32 linux_banner 5", True),
    Case("rd -D -16 linux_banner 9", True),
    Case("rd -d -8 linux_banner 17", True),
    Case("rd -e linux_banner+4 linux_banner", True),
    Case("rd -e 0 linux_banner 3", True),
    Case("rd -e {linux_banner_plus_32} -o 8 linux_banner 2", True),
    Case("rd -8 -e {linux_banner} jiffies_64", True),
    Case("rd -32 -e {linux_banner_plus_32} linux_banner", True),
    Case("rd -e {linux_banner_plus_4} linux_banner", True),
    Case("rd nosuchsym_xyz", True),
    Case("rd linux_banner 0", True),
    Case("rd -8 -N linux_banner 4", True),
    Case("rd -16 -N linux_banner 11", True),
    Case("rd -32 -N linux_banner 6", True),
    Case("rd -64 -N linux_banner 4", True),
    Case("rd -m linux_banner", True),
    Case("rd -R -8 linux_banner 3", True),
    Case("rd -R -32 linux_banner 7", True),
    Case("rd -a -R linux_banner 5", True),
    Case("rd ffff800000001000", True),
    Case("rd -x -d jiffies_64", True),
    Case("rd -x -32 linux_banner 6", True),
    Case("rd -S {panic_task} 64", True),
    Case("rd -SS {panic_task} 64", True),
    Case("rd -s -S {panic_task} 64", True),
    Case("rd -s {panic_task} 64", True),
    Case("rd -f 0 4", True),
    Case("rd -a -x linux_banner 10", True),
    Case("rd -8 {stack_end_minus_4} 16", True),
    Case("rd {stack_end_minus_16} 4", True),
    Case("rd {stack_end_minus_8} 4", True),
    Case("rd -a {stack_end_minus_16} 32", True),
    Case("rd -a {stack_end_minus_4} 8", True),
    Case("rd -s {stack_end_minus_8} 4", True),
    Case("rd -u {panic_user_text}", True),
    Case("rd {panic_user_text} 3", True),
    Case("rd -p {user_page_phys} 4", True),
    Case("rd -p {beyond_memory}", True),
    Case("rd -p 100000000000", True),
    Case("rd {direct_beyond_memory}", True),
    Case("rd -32 -p {user_page_phys} 1", True),
    Case("rd -8 -o 2 linux_banner 3", True),
    Case("rd -o xyz linux_banner", True),
    Case("rd 0 xyz", True),
    Case("rd {unmapped} 2", True),
    Case("rd -u 0 2", True),
    Case("rd -8 -u {panic_user_text} 2", True),
    Case("rd -64 init_task 300", True),
    Case("rd -8 init_task 700", True),
    Case("rd -a init_uts_ns", True),
    Case("rd", True),
    Case("search -s linux_banner -l 64 {banner_word}", True),
    Case("search -s linux_banner -l 256 -c Linux version", True),
    Case("search -s linux_banner -l 256 -c Linux -h 694c", True),
    Case("search -s linux_banner -l 256 -w {banner_word_low}", True),
    Case("search -s linux_banner -l 256 -h 694c", True),
    Case("search -s linux_banner -l 256 -m ffff0000 {banner_word}", True),
    Case("search -s linux_banner -l 256 -x 2 {banner_word}", True),
    Case("search -s linux_banner -l 256 -x 3 -w {banner_word_low}", True),
    Case("search -s linux_banner -l 256 -x 2 -h 694c", True),
    Case("search -s {linux_banner_plus_4} -l 64 -c version", True),
    Case("search -s {page_end_minus_8} -l 64 -c {page_end_string}", True),
    Case("search -T {panic_task}", True),
    Case("search -t {panic_task}", True),
    Case("search -t -w 0x12345678", True),
    Case("search -p -s 1000000 -l 1000 0", True),
    Case("search -p -l 8000 -c Linux", True),
    Case("search -K -s linux_banner -l 4096 jiffies_64", True),
    Case("search -k {test_object}", True),
    Case("search {panic_task}", True),
    Case("search -V -c crashsh_marker", True),
    Case("search -K (jiffies_64+8)", True),
    Case("search -u -l 100 0", True),
    Case("search -u -c ELF", True),
    Case("search -s {user_text} -l 4096 0", True),
    Case("search", True),
    Case("search -k", True),
    Case("search -t -k 0", True),
    Case("search -w 100000000", True),
    Case("search -s 1000 0", True),
    Case("search -p -x 2 -c abc", True),
    Case("search -x 600 0", True),
    Case("search -c -m ff abc -l 10", True),
    Case("search -l 10 -e 20 0", True),
    Case("search -e 0 0", True),
    Case("search -s linux_banner -l 256 {banner_word} {banner_word}", True),
    Case("search -s linux_banner -l 256 {banner_word} 0 {banner_word}", True),
    Case("search -p -s 1000000 -l 3000 0 0h", True),
    Case("search -p -s 1000000 -l 2000 -h 0", True),
    Case("search -p -s 100000 -l 3000 -m ffff 0", True),
    Case("search -p -s ffc000 -l 8000 -w 0", True),
)


def placeholders(prog, pid: int) -> dict[str, str]:
    """User addresses of task *pid*: its first (file) VMA, its stack, a file page and an
    anonymous page not in memory, and a hole between two VMAs; the panic task's first user
    page (not in the -d 31 dumps) and its physical address; the end of the panic task's
    kernel stack (a guard page follows); the direct map past the end of memory."""
    from drgn.helpers.linux.mm import for_each_vma
    from drgn.helpers.linux.pid import find_task

    from crashsh.kernel import memmap, tasks
    from crashsh.kernel.pagetable import PageTable

    mm = find_task(prog, pid).mm
    table = PageTable.of(mm)
    vmas = list(for_each_vma(mm))
    panic = prog.crashed_thread().object
    panic_text = next(iter(for_each_vma(panic.mm))).vm_start.value_()
    stack_end = panic.stack.value_() + tasks.thread_size(prog)
    m = memmap.mem_map(prog)
    page_end = crossing_string(prog, prog.symbol("linux_banner").address)
    hexes = {"panic_user_text": panic_text,
             "user_page_phys": PageTable.of(panic.mm).translate(panic_text).physical + 0xFF8,
             "stack_end_minus_4": stack_end - 4,
             "stack_end_minus_8": stack_end - 8,
             "stack_end_minus_16": stack_end - 16,
             "direct_beyond_memory": m.direct_map + (m.node_ranges[-1][2] << m.pfn_shift),
             "linux_banner_plus_4": prog.symbol("linux_banner").address + 4,
             "banner_word": int.from_bytes(prog.read(prog.symbol("linux_banner").address, 8),
                                           "little"),
             "banner_word_low": int.from_bytes(prog.read(prog.symbol("linux_banner").address,
                                                         4), "little"),
             "page_end_minus_8": page_end - 8,
             "user_text": vmas[0].vm_start.value_(),
             "user_stack": vmas[-1].vm_end.value_() - 8,
             "user_gap": next(a.vm_end.value_() for a, b in zip(vmas, vmas[1:])
                              if a.vm_end != b.vm_start)}
    for name, filed in (("user_file_hole", True), ("user_anon_hole", False)):
        hexes[name] = next(
            (page for vma in vmas if bool(vma.vm_file) == filed
             for page in range(vma.vm_start.value_(), vma.vm_end.value_(), 4096)
             if table.translate(page).physical is None), hexes["user_gap"])
    text = {"page_end_string": prog.read(page_end - 3, 6).decode()}  # crosses a page
    return {**{key: f"{value:x}" for key, value in hexes.items()}, **text}


def crossing_string(prog, address: int) -> int:
    """The first page boundary after *address* with 3 letters or digits on each side."""
    boundary = address - address % 4096 + 4096
    while not prog.read(boundary - 3, 6).decode(errors="replace").isalnum():
        boundary += 4096
    return boundary
