"""Swap areas as crash reads them (memory.c dump_swap_info, get_swapdev, swap_location)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import drgn

from crashsh.dumpfacts import MASK64
from crashsh.kernel import paths
from crashsh.records import Address

SWP_USED = 1
S_IFMT, S_IFBLK = 0o170000, 0o060000
UNKNOWN_LOCATION = "(unknown swap location)"


@dataclass(frozen=True)
class SwapArea:
    """One used ``swap_info[]`` entry; sizes in pages."""

    address: Address
    partition: bool
    pages: int
    used: int
    priority: int
    filename: str


def swap_areas(prog: drgn.Program) -> Iterator[SwapArea]:
    """The entries of ``swap_info[0 .. nr_swapfiles)`` with SWP_USED."""
    for i in range(prog["nr_swapfiles"].value_()):
        si = prog["swap_info"][i].read_()
        if not si or not si.flags.value_() & SWP_USED:
            continue
        yield SwapArea(
            address=si.value_(),
            partition=is_partition(si),
            pages=si.pages.value_(),
            used=si.inuse_pages.value_(),
            priority=si.prio.value_(),
            filename=swap_filename(prog, si) if si.swap_file else "(unknown)",
        )


def is_partition(si: drgn.Object) -> bool:
    try:
        return bool(si.old_block_size.value_())
    except AttributeError:  # 6.10 removed old_block_size: ask the swap file's inode
        return si.swap_file.f_inode.i_mode.value_() & S_IFMT == S_IFBLK


def swap_filename(prog: drgn.Program, si: drgn.Object) -> str:
    """crash's name of the swap file or device: its path, with ``/dev`` put before a name on
    devtmpfs (or udev) that lacks it."""
    file = si.swap_file
    vfsmnt = file.f_path.mnt.value_()
    path = paths.crash_path(prog, file.f_path.dentry.value_(), vfsmnt)
    if paths.devname(prog, vfsmnt) in ("devtmpfs", "udev") and not path.startswith("/dev/"):
        path = "/dev" + path
    return path


def swap_entry(pte: int) -> tuple[int, int]:
    """(type, offset) of a swap PTE; kernels since 4.18.1 store it inverted (L1TF)."""
    return pte >> 59, ((~pte << 5) & MASK64) >> 14


def swap_device(prog: drgn.Program, kind: int) -> str:
    """crash's get_swapdev(): the file name of swap area *kind*."""
    table = prog["swap_info"]
    if kind >= len(table):
        return UNKNOWN_LOCATION
    si = table[kind].read_()
    if not si or not si.swap_file:
        return UNKNOWN_LOCATION
    return swap_filename(prog, si)
