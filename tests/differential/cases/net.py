"""net: devices (-n), the ARP cache (-a), -N, sockets (-s, -S with -x/-d, -R) by pid and
task, crash's order of acting on options and its errors, and foreach net."""

from tests.differential.suite import Case


def placeholders(prog, marker_pid: int) -> dict[str, str]:
    """The marker's TCP listener (fd 6) and its first unix socket (fd 7): the struct socket
    around each file's inode and its sock."""
    from drgn import container_of
    from drgn.helpers.linux.pid import find_task

    fd = find_task(prog, marker_pid).files.fdt.fd
    found = {}
    for name, index in (("tcp", 6), ("unix", 7)):
        inode = fd[index].f_inode
        socket = container_of(inode, "struct socket_alloc", "vfs_inode").socket
        found[f"marker_{name}_socket"] = f"{socket.address_:x}"
        found[f"marker_{name}_sock"] = f"{socket.sk.value_():x}"
    return found


CASES = (
    Case("net", True),
    Case("net -a", True),
    Case("net -n", True),
    Case("net -n {marker_pid}", True),
    Case("net -n {marker_task}", True),
    Case("net -n 99999", True),
    Case("net -a -n", True),
    Case("net -N 1", True),
    Case("net -N 0x0100007f", True),
    Case("net -N 16777343", True),
    Case("net -N xyz", True),
    Case("net -a -N 0x0100007f", True),
    Case("net -N 0x0100007f -a", True),
    Case("net -s", True),
    Case("net -s {marker_pid}", True),
    Case("net -s {marker_task}", True),
    Case("net -s 0", True),
    Case("net -s {marker_pid} 1", True),
    Case("net -s 99999 {marker_pid}", True),
    Case("net -s {marker_pid} 99999", True),
    Case("net -s {zombie_pid}", True),
    Case("net -s {kthread_pid}", True),
    Case("net -s -x {marker_pid}", True),
    Case("net -S {marker_pid}", True),
    Case("net -S -x {marker_pid}", True),
    Case("net -S -d {marker_pid}", True),
    Case("net -x -d -s", True),
    Case("net -s -S {marker_pid}", True),
    Case("net -S -s {marker_pid}", True),
    Case("net -x", True),
    Case("net -d", True),
    Case("net 1", True),
    Case("net -R 6", True),
    Case("net -a -s {marker_pid}", True),
    Case("net -s -R 6 {marker_pid}", True),
    Case("net -s -R 0x6 {marker_pid}", True),
    Case("net -s -R {marker_tcp_sock} {marker_pid}", True),
    Case("net -s -R {marker_unix_socket} {marker_pid}", True),
    Case("net -s -R 7 {marker_pid} 1", True),
    Case("net -s -R 7 1 {marker_pid} 1", True),
    Case("net -s -R 7 {marker_pid} {marker_pid}", True),
    Case("net -s -R 6 -R 7 {marker_pid}", True),
    Case("net -s -R TCP {marker_pid}", True),
    Case("net -s -R 99999 {marker_pid}", True),
    Case("net -S -R {marker_unix_sock} {marker_pid}", True),
    Case("foreach net", True),
    Case("foreach net -s", True),
    Case("foreach {marker_pid} 1 net -s", True),
    Case("foreach {marker_pid} net -S -x", True),
    Case("foreach {marker_pid} net -s -S", True),
    Case("foreach net -x -d", True),
    Case("foreach {marker_pid} net -s -S -x -d", True),
    Case("foreach net -s -R 6", True),
    Case("foreach net -R {marker_tcp_sock}", True),
    Case("foreach crashsh_marker net -S -R 7", True),
)
