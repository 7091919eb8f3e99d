"""fuser: paths (a device, the marker's file, the root, a directory prefix, nothing), an
inode address with and without 0x, several arguments, and crash's errors."""

from tests.differential.suite import Case


def placeholders(prog, marker_pid: int) -> dict[str, str]:
    """The inode of pid 1's root directory and of the marker's pipe (fd 4)."""
    from drgn.helpers.linux.pid import find_task

    return {
        "root_inode": f"{find_task(prog, 1).fs.root.dentry.d_inode.value_():x}",
        "marker_pipe_inode": f"{find_task(prog, marker_pid).files.fdt.fd[4].f_inode.value_():x}",
    }

CASES = (
    Case("fuser /dev/null", True),
    Case("fuser /dev/console", True),
    Case("fuser /mnt/tmpfs/crashsh_marker.txt", True),
    Case("fuser /", True),
    Case("fuser /tmp", True),
    Case("fuser /bin/busybox", True),
    Case("fuser /nonexistent", True),
    Case("fuser {marker_file_inode}", True),
    Case("fuser 0x{marker_file_inode}", True),
    Case("fuser {init_file_inode} /dev/null", True),
    Case("fuser {root_inode}", True),
    Case("fuser {marker_pipe_inode}", True),
    Case("fuser /mnt/tmpfs", True),
    Case("fuser /init", True),
    Case("fuser 1234", True),
    Case("fuser nothing", True),
    Case("fuser", True),
)
