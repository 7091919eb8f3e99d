"""Identify kernel and dump files by their content; read kdump header fields and which page
frames a dump file holds."""

from __future__ import annotations

import enum
import operator
import os
import re
import struct
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from crashsh.intervals import Intervals

KDUMP_SIGNATURE = b"KDUMP   "
DISKDUMP_SIGNATURE = b"DISKDUMP"
FLATTENED_SIGNATURE = b"makedumpfile"
ELF_MAGIC = b"\x7fELF"
ET_EXEC, ET_DYN, ET_CORE = 2, 3, 4
PAGE_DESC_SIZE = 24  # makedumpfile's page_desc: offset, size, flags, page_flags


class FileKind(enum.Enum):
    VMLINUX = "kernel image"
    ELF_CORE = "ELF vmcore"
    KDUMP = "kdump-compressed vmcore"
    FLATTENED = "makedumpfile flattened vmcore"
    UNKNOWN = "unknown"

    @property
    def is_dump(self) -> bool:
        return self in (FileKind.ELF_CORE, FileKind.KDUMP, FileKind.FLATTENED)


def identify(path: str) -> FileKind:
    """Tell what *path* holds from its first bytes."""
    with open(path, "rb") as f:
        return identify_head(f.read(64))


def identify_head(head: bytes) -> FileKind:
    """Tell what a file holds from its first 64 bytes."""
    if head.startswith((KDUMP_SIGNATURE, DISKDUMP_SIGNATURE)):
        return FileKind.KDUMP
    if head.startswith(FLATTENED_SIGNATURE):
        return FileKind.FLATTENED
    if head.startswith(ELF_MAGIC) and len(head) >= 18:
        endian = "<" if head[5] == 1 else ">"
        (e_type,) = struct.unpack_from(endian + "H", head, 16)
        if e_type == ET_CORE:
            return FileKind.ELF_CORE
        if e_type in (ET_EXEC, ET_DYN):
            return FileKind.VMLINUX
    return FileKind.UNKNOWN


@dataclass(frozen=True)
class KdumpHeader:
    """The fields of makedumpfile's disk_dump_header that crashsh needs."""

    block_size: int
    sub_hdr_size: int
    bitmap_blocks: int
    max_mapnr: int
    dump_level: int


def read_kdump_header(path: str) -> KdumpHeader:
    """Read a kdump-compressed file's header (x86_64 layout: 8-byte longs)."""
    with open(path, "rb") as f:
        head = f.read(4096)
        if len(head) < 444:
            raise ValueError(f"{path}: truncated dump file ({len(head)} bytes, shorter than its "
                             "kdump header)")
        # disk_dump_header: signature[8], header_version, utsname[390], timeval, status,
        # then block_size at 428 (crash's diskdump.h).
        block_size, sub_hdr_size, bitmap_blocks, max_mapnr = struct.unpack_from("<iiIi", head, 428)
        f.seek(max(block_size, 0))
        sub = f.read(16)
        if len(sub) < 16:
            raise ValueError(f"{path}: truncated dump file (no kdump sub-header at {block_size})")
    # kdump_sub_header: phys_base (ulong) then dump_level (int)
    (dump_level,) = struct.unpack_from("<i", sub, 8)
    return KdumpHeader(block_size, sub_hdr_size, bitmap_blocks, max_mapnr, dump_level)


def check_complete(path: str, kind: FileKind) -> None:
    """Raise ValueError when a dump file is shorter than its own headers say."""
    size = os.path.getsize(path)
    needed = _kdump_end(path) if kind is FileKind.KDUMP else _elf_end(path)
    if needed > size:
        raise ValueError(f"{path}: truncated dump file ({size} bytes, needs {needed})")


@dataclass(frozen=True)
class Segment:
    """One program header of an ELF core: type, file offset, physical address, sizes."""

    type: int
    offset: int
    physical: int
    file_size: int
    memory_size: int


PT_LOAD, PT_NOTE = 1, 4


def elf_segments(path: str) -> tuple[int, list[Segment]]:
    """The end of an ELF core's program header table, and its program headers."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        e_phoff, = struct.unpack_from("<Q", ehdr, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(e_phoff)
        table = f.read(e_phentsize * e_phnum)
    segments = []
    for i in range(len(table) // e_phentsize):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz = struct.unpack_from(
            "<IIQQQQQ", table, i * e_phentsize)
        segments.append(Segment(p_type, p_offset, p_paddr, p_filesz, p_memsz))
    return e_phoff + len(table), segments


def _elf_end(path: str) -> int:
    end, segments = elf_segments(path)
    return max([end] + [s.offset + s.file_size for s in segments if s.file_size])


def kdump_bitmap(path: str) -> tuple[KdumpHeader, bytes]:
    """The header and the second bitmap of a kdump-compressed file: bit n (little-endian
    bit order) set when page frame n is in the file."""
    hdr = read_kdump_header(path)
    bs = hdr.block_size
    half = hdr.bitmap_blocks * bs // 2
    with open(path, "rb") as f:
        f.seek((1 + hdr.sub_hdr_size) * bs + half)
        return hdr, f.read(half)


def _kdump_end(path: str) -> int:
    """End of the last page's data: the furthest (offset + size) over all page descriptors."""
    hdr, bitmap = kdump_bitmap(path)
    desc_start = (1 + hdr.sub_hdr_size + hdr.bitmap_blocks) * hdr.block_size
    with open(path, "rb") as f:
        pages = int.from_bytes(bitmap, "little").bit_count()
        f.seek(desc_start)
        table = f.read(pages * PAGE_DESC_SIZE)
    end = desc_start + pages * PAGE_DESC_SIZE
    descriptors = table[:len(table) - len(table) % PAGE_DESC_SIZE]
    # each 24-byte page_desc holds its data's offset (64 bits) then its size (32 bits): read
    # as arrays, not one descriptor at a time (a big dump has millions)
    offsets, halves = array("q", descriptors), array("I", descriptors)
    if sys.byteorder == "big":
        offsets.byteswap()
        halves.byteswap()
    return max(end, max(map(operator.add, offsets[0::3], halves[2::6]), default=end))


BITMAP_BLOCK = 1 << 15  # page frames of the kdump bitmap looked at in one go


class PageMap:
    """The page frames a dump file holds, known from the file without reading memory:
    a kdump-compressed file's bitmap of dumped pages; an ELF core's PT_LOAD segments, whose
    part past a segment's file size reads as zeros. For other files (the live kernel) every
    frame may be held until a read fails; ``unreadable()`` keeps those frames out."""

    def __init__(self, path: str, kind: FileKind, page_size: int) -> None:
        self.page_size = page_size
        self.bitmap: bytes | None = None
        self.segments: list[tuple[int, int, bool]] | None = None
        self.failed = Intervals()
        if kind is FileKind.KDUMP:
            self.bitmap = kdump_bitmap(path)[1]
        elif kind is FileKind.ELF_CORE:
            self.segments = elf_frames(elf_segments(path)[1], page_size)

    def held(self, first: int, end: int) -> Iterator[tuple[int, int, bool]]:
        """(first, end, zeros) of the runs of frames in [first, end) the dump holds, in
        order; *zeros* when the file holds only zeros there."""
        if self.bitmap is not None:
            runs = ((a, b, False) for a, b in bit_runs(self.bitmap, first, end))
        elif self.segments is not None:
            runs = ((max(a, first), min(b, end), zero) for a, b, zero in self.segments
                    if a < end and first < b)
        else:
            runs = iter([(first, end, False)])
        for a, b, zero in runs:
            for low, high in self.failed.outside(a, b):
                yield low, high, zero

    def unreadable(self, frame: int) -> None:
        """A read of *frame* failed: leave it out from now on."""
        self.failed.add(frame, frame + 1)


def bit_runs(bitmap: bytes, first: int, end: int) -> Iterator[tuple[int, int]]:
    """The runs of set bits (little-endian bit order) from bit *first* to *end*."""
    end = min(end, len(bitmap) * 8)
    pending: tuple[int, int] | None = None
    for low in range(first, end, BITMAP_BLOCK):
        high = min(end, low + BITMAP_BLOCK)
        skip = low % 8
        bits = int.from_bytes(bitmap[low // 8:(high + 7) // 8], "little") >> skip
        bits &= (1 << (high - low)) - 1
        if not bits:
            continue
        for m in re.finditer("1+", format(bits, "b")[::-1]):
            a, b = low + m.start(), low + m.end()
            if pending and pending[1] == a:
                pending = (pending[0], b)
                continue
            if pending:
                yield pending
            pending = (a, b)
    if pending:
        yield pending


def elf_frames(segments: list[Segment], page_size: int) -> list[tuple[int, int, bool]]:
    """(first, end, zeros) of the whole frames the PT_LOAD segments hold, in order; zeros
    where no segment has file data for any byte of the frame."""
    loads = [s for s in segments if s.type == PT_LOAD]
    covered = Intervals((s.physical, s.physical + s.memory_size) for s in loads)
    data = Intervals((s.physical, s.physical + s.file_size) for s in loads)
    pages = Intervals((-(-a // page_size), b // page_size) for a, b in covered)
    with_data = Intervals((a // page_size, -(-b // page_size)) for a, b in data)
    frames = []
    for first, end in pages:
        at = first
        for low, high in with_data.within(first, end):
            if at < low:
                frames.append((at, low, True))
            frames.append((low, high, False))
            at = high
        if at < end:
            frames.append((at, end, True))
    return frames
