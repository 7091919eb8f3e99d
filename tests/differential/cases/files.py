"""files, mount, vm and swap: every option of crash 9.0.2's, with its filters and errors.

crash quirks reproduced on purpose (they are crash's output, not dump facts):
- `mount ARG` prints the first mount's line for every line that matches ARG (crash keeps
  the line after the header, never the matching one).
- `mount -f` / `mount -i` fail: super_block.s_files and s_dirty left the kernel long ago.
- `vm -R` prints a VMA line twice when a name match and a page match meet in one VMA after
  another VMA's header.
- pipes are FIFO with no path (crash's PIPE test looks for symbols gone since 2.6).
"""

from __future__ import annotations

import drgn

from tests.differential.suite import Case

CASES = (
    # files
    Case("files", True),
    Case("files {marker_pid}", True),
    Case("files -c {marker_pid}", True),
    Case("files {marker_task}", True),
    Case("files {marker_pid} 1", True),
    Case("files 0", True),
    Case("files {zombie_pid}", True),
    Case("files {kthread_pid}", True),
    Case("files 99999 {marker_pid}", True),
    Case("files -d {marker_file_dentry}", True),
    Case("files -d {marker_pipe_dentry}", True),
    Case("files -d {marker_socket_dentry}", True),
    Case("files -p {marker_file_inode}", True),
    Case("files -p {init_file_inode}", True),
    Case("files -R TCP {marker_pid}", True),
    Case("files -R 3 {marker_pid}", True),
    Case("files -R marker {marker_pid}", True),
    Case("files -R / {marker_pid}", True),
    Case("files -R {marker_file_inode} {marker_pid}", True),
    Case("files -c -R 1 {marker_pid}", True),
    Case("files -R nothing {marker_pid}", True),
    Case("files -R FIFO", True),
    Case("files -R FIFO {marker_pid}", True),
    Case("files -R 4 {marker_pid}", True),
    Case("foreach files", True),
    Case("foreach {marker_pid} 1 files -c", True),
    Case("foreach files -R TCP", True),
    Case("foreach {zombie_pid} {kthread_pid} files", True),
    Case("foreach files -p", True),
    # mount
    Case("mount", True),
    Case("mount -f", True),
    Case("mount -i", True),
    Case("mount -n {marker_pid}", True),
    Case("mount -n {marker_task}", True),
    Case("mount -n 99999", True),
    Case("mount /proc", True),
    Case("mount proc", True),
    Case("mount /mnt//tmpfs/", True),
    Case("mount devtmpfs tmpfs", True),
    Case("mount {proc_mount}", True),
    Case("mount 0x{proc_vfsmount}", True),
    Case("mount nothing", True),
    # vm
    Case("vm", True),
    Case("vm {marker_pid}", True),
    Case("vm -p {marker_pid}", True),
    Case("vm -m {marker_pid}", True),
    Case("vm -x -m {marker_pid}", True),
    Case("vm -v {marker_pid}", True),
    Case("vm -m {kthread_pid}", True),
    Case("vm {kthread_pid}", True),
    Case("vm {zombie_pid}", True),
    Case("vm {marker_pid} 1", True),
    Case("vm {marker_task}", True),
    Case("vm 99999 {marker_pid}", True),
    Case("vm -P {marker_data_vma} {marker_pid}", True),
    Case("vm -P 1234 {marker_pid}", True),
    Case("vm -R {marker_data_start} {marker_pid}", True),
    Case("vm -R {marker_data_phys} {marker_pid}", True),
    Case("vm -R {marker_data_vma} {marker_pid}", True),
    Case("vm -R crashsh_marker {marker_pid}", True),
    Case("vm -R 8100073 {marker_pid}", True),
    Case("vm -R {marker_mm} {marker_pid}", True),
    Case("vm -R nothing {marker_pid}", True),
    Case("vm -p -R busybox 1", True),
    Case("vm -R 400000 {marker_pid}", True),
    Case("vm -R 9c000 {marker_pid}", True),
    Case("vm -R crashsh_marker {marker_pid} 1", True),
    Case("vm -M {marker_mm} {kthread_pid}", True),
    Case("vm -M 1234 {kthread_pid}", True),
    Case("vm -p -M {marker_mm} {kthread_pid}", True),
    Case("vm -f 8100073", True),
    Case("vm -f ffffffffffffffff", True),
    Case("vm -f 0", True),
    Case("foreach crashsh_marker vm", True),
    Case("foreach {marker_pid} vm -p", True),
    Case("foreach {marker_pid} {kthread_pid} vm -m", True),
    Case("foreach vm -R crashsh_marker", True),
    Case("foreach vm", True),
    Case("foreach vm -m -v", True),
    # swap
    Case("swap", True),
)


def placeholders(prog: drgn.Program, marker_pid: int) -> dict[str, str]:
    """Addresses in the marker process and pid 1 for the lines above."""
    from drgn.helpers.linux.fs import for_each_mount
    from drgn.helpers.linux.mm import follow_phys, vma_find
    from drgn.helpers.linux.pid import find_task

    marker = find_task(prog, marker_pid)
    fd = marker.files.fdt.fd
    init_fd = find_task(prog, 1).files.fdt.fd
    init_files = [init_fd[i] for i in range(64) if init_fd[i]]
    mm = marker.mm
    data = vma_find(mm, mm.end_data)
    proc = next(m for m in for_each_mount(prog) if m.mnt_mountpoint.d_name.name.string_() == b"proc")
    return {
        "marker_file_dentry": f"{fd[3].f_path.dentry.value_():x}",
        "marker_pipe_dentry": f"{fd[4].f_path.dentry.value_():x}",
        "marker_socket_dentry": f"{fd[6].f_path.dentry.value_():x}",
        "marker_file_inode": f"{fd[3].f_inode.value_():x}",
        "init_file_inode": f"{init_files[-1].f_inode.value_():x}",
        "marker_mm": f"{mm.value_():x}",
        "marker_data_vma": f"{data.value_():x}",
        "marker_data_start": f"{data.vm_start.value_():x}",
        "marker_data_phys": f"{follow_phys(mm, data.vm_start).value_():x}",
        "proc_mount": f"{proc.value_():x}",
        "proc_vfsmount": f"{proc.mnt.address_:x}",
    }

