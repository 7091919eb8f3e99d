"""Files, inodes and mounts as crash reads them (filesys.c)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.fs import address_space_for_each_page
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.mm import compound_order
from drgn.helpers.linux.rbtree import rbtree_inorder_for_each_entry

from crashsh.dumpfacts import facts
from crashsh.kernel import paths

S_IFMT = 0o170000
FILE_TYPES = {
    0o100000: "REG",
    0o120000: "LNK",
    0o040000: "DIR",
    0o020000: "CHR",
    0o060000: "BLK",
    0o010000: "FIFO",
    0o140000: "SOCK",
}
MNT_CURSOR = 0x10000000  # a /proc/mounts reader's place holder in mnt_list (5.8 to 6.7)


def inode_type(prog: drgn.Program, inode: drgn.Object, path: str) -> tuple[str, str]:
    """crash's inode_type(): the TYPE name from ``i_mode``, and the path as crash then prints
    it (pipes lose theirs, and so do sockets named ``/``)."""
    kind = FILE_TYPES.get(inode.i_mode.value_() & S_IFMT, "UNKN")
    if kind == "FIFO" and _is_pipe(prog, inode):
        return "PIPE", ""
    if kind == "SOCK" and path == "/":
        return kind, ""
    return kind, path


def _is_pipe(prog: drgn.Program, inode: drgn.Object) -> bool:
    """crash's PIPE test: both symbols it looks for are gone from kernels since 2.6.x, so
    pipes print as FIFO there."""
    ops = facts(prog).symbol_address("pipe_inode_operations")
    if ops is not None:
        return inode.i_op.value_() == ops
    fops = facts(prog).symbol_address("rdwr_pipe_fops")
    return fops is not None and inode.i_fop.value_() == fops


def open_files(task: drgn.Object) -> Iterator[tuple[int, drgn.Object]] | None:
    """(fd, ``struct file *``) for the set bits of ``open_fds`` below ``max_fds``, skipping
    empty slots; None when crash finds no file table (it prints "No open files")."""
    files = task.files.read_()
    if not files:
        return None
    fdt = files.fdt.read_()
    if not fdt:
        return None
    max_fds = fdt.max_fds.value_()
    if not max_fds or not fdt.open_fds or not fdt.fd:
        return None
    return _fds(task.prog_, fdt, max_fds)


def _fds(prog: drgn.Program, fdt: drgn.Object, max_fds: int) -> Iterator[tuple[int, drgn.Object]]:
    words = (max_fds + 63) // 64
    data = prog.read(fdt.open_fds.value_(), max_fds // 8).ljust(words * 8, b"\0")
    for j in range(words):
        bits = int.from_bytes(data[j * 8:j * 8 + 8], "little")
        while bits:
            low = bits & -bits
            fd = j * 64 + low.bit_length() - 1
            file = fdt.fd[fd].read_()
            if file:
                yield fd, file
            bits ^= low


def mount_list(task: drgn.Object) -> list[drgn.Object]:
    """crash's get_mount_list(): the ``struct mount *`` of the task's mount namespace."""
    ns = task.nsproxy.mnt_ns
    if not ns.type_.type.has_member("nr_mounts"):  # 6.8 moved the mounts to an rbtree
        return list(_mnt_list(ns))
    return list(rbtree_inorder_for_each_entry("struct mount", ns.mounts.address_of_(), "mnt_node"))


def _mnt_list(ns: drgn.Object) -> Iterator[drgn.Object]:
    """From the root mount along ``mnt_list`` to the namespace's list head."""
    root = ns.root
    yield root
    head = ns.list.address_of_().value_()
    for mount in list_for_each_entry("struct mount", root.mnt_list.address_of_(), "mnt_list"):
        if mount.mnt_list.address_of_().value_() == head:
            break
        yield mount


def is_cursor(mount: drgn.Object) -> bool:
    """A /proc/mounts cursor (5.8 to 6.7): no superblock, flags MNT_CURSOR."""
    return not mount.mnt.mnt_sb and mount.mnt.mnt_flags.value_() == MNT_CURSOR


def mount_point(prog: drgn.Program, mount: drgn.Object) -> str:
    """The mount's DIRNAME: crash's path of ``mnt_mountpoint`` in ``mnt_parent``."""
    parent = paths.vfsmount_of(mount.mnt_parent)
    return paths.crash_path(prog, mount.mnt_mountpoint.value_(), parent)


def fstype_name(prog: drgn.Program, sb: drgn.Object) -> str | None:
    return paths.read_string(prog, sb.s_type.name.value_())


@dataclass(frozen=True)
class CachedPage:
    """One page-cache page of an inode: its ``struct page`` and how many pages it counts as."""

    page: drgn.Object
    pages: int


def cached_pages(inode: drgn.Object) -> Iterator[CachedPage]:
    """The inode's page-cache pages in index order (shadow entries skipped)."""
    for _index, page in address_space_for_each_page(inode.i_mapping):
        yield CachedPage(page, 1 << compound_order(page).value_())
