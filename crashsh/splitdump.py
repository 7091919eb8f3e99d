"""A kdump written by `makedumpfile --split`: parts that each hold the pages of one range of
page frames. crash opens the parts as one dump; drgn reads one file, so crashsh joins them
into one kdump-compressed file in its cache as `makedumpfile --reassemble` does
(makedumpfile.c: reassemble_kdump_header, reassemble_kdump_pages) and opens that."""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from crashsh.dumpfile import DISKDUMP_SIGNATURE, KDUMP_SIGNATURE, PAGE_DESC_SIZE
from crashsh.errors import CrashshError
from crashsh.filecache import cache_file, filled, identity

HEADER_SIZE = 464  # sizeof(struct disk_dump_header) on x86_64: what crash compares
SUB_HEADER_SIZE = 104  # sizeof(struct kdump_sub_header), header version 6
PAGE_DESC = struct.Struct("<qIIQ")  # page_desc: offset, size, flags, page_flags
DL_EXCLUDE_ZERO = 1  # dump level bit: every zero-filled page's descriptor names one page
DESCS = 1 << 12  # page descriptors handled in one go
CHUNK = 1 << 20  # bytes copied or counted in one go
JOIN_VERSION = 1  # of the joined file's layout: a new one makes new cache files


@dataclass(frozen=True)
class Part:
    """One file of a split kdump: its disk_dump_header and kdump_sub_header."""

    path: str
    header: bytes
    sub: bytes

    def field(self, fmt: str, offset: int, data: bytes | None = None) -> int:
        return struct.unpack_from("<" + fmt, self.header if data is None else data, offset)[0]

    @property
    def version(self) -> int:
        return self.field("i", 8)

    @property
    def block_size(self) -> int:
        return self.field("i", 428)

    @property
    def bitmap_offset(self) -> int:
        """Where the 1st bitmap starts (the 2nd follows it): after the header block and
        the sub-header's blocks."""
        return (1 + self.field("i", 432)) * self.block_size

    @property
    def bitmap_size(self) -> int:
        """Both bitmaps' bytes."""
        return self.field("I", 436) * self.block_size

    @property
    def split(self) -> bool:
        return (self.version >= 2 and len(self.sub) == SUB_HEADER_SIZE
                and self.field("i", 12, self.sub) != 0)

    @property
    def pfns(self) -> tuple[int, int]:
        """The page frames [start, end) whose pages this part holds."""
        at = 80 if self.version >= 6 else 16
        return self.field("Q", at, self.sub), self.field("Q", at + 8, self.sub)

    @property
    def max_mapnr(self) -> int:
        return self.field("Q", 96, self.sub) if self.version >= 6 else self.field("I", 440)

    @property
    def dump_level(self) -> int:
        return self.field("i", 8, self.sub)

    def area(self, at: int, since: int) -> tuple[int, int]:
        """(offset, size) of a sub-header's file area (vmcoreinfo at 32, notes at 48,
        eraseinfo at 64), or (0, 0) before header version *since*."""
        if self.version < since:
            return 0, 0
        return self.field("Q", at, self.sub), self.field("Q", at + 8, self.sub)


def read_part(path: str) -> Part | None:
    """*path*'s headers when it is one part of a split kdump (its sub-header's split flag),
    else None."""
    with open(path, "rb") as f:
        header = f.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE or not header.startswith(
                (KDUMP_SIGNATURE, DISKDUMP_SIGNATURE)):
            return None
        f.seek(Part(path, header, b"").block_size)
        found = Part(path, header, f.read(SUB_HEADER_SIZE))
    return found if found.split else None


def checked_set(paths: Sequence[str]) -> list[Part]:
    """The parts named by *paths* (any order), sorted by page frame; one line in crash's
    words when a file is no part, is named twice, comes from another dump or one is missing."""
    parts = []
    for path in paths:
        found = read_part(path)
        if found is None:
            raise CrashshError(f"{path}: not a part of a split kdump (makedumpfile --split)")
        for other in parts:
            if os.path.samefile(other.path, path):
                raise CrashshError(f"split dumpfiles are identical: {other.path} and {path}")
            if other.header != found.header:
                raise CrashshError("split dumpfiles derived from different vmcores: "
                                   f"{other.path} and {path}")
        parts.append(found)
    parts.sort(key=lambda p: p.pfns)
    end, gaps = 0, []
    for i, part in enumerate(parts):
        start = part.pfns[0]
        if start < end:
            raise CrashshError(f"split dumpfiles overlap: {parts[i - 1].path} and {part.path} "
                               f"both hold pfns {start:#x}-{min(end, part.pfns[1]):#x}")
        if start > end:
            gaps.append(f"{end:#x}-{start:#x}")
        end = part.pfns[1]
    if end < parts[0].max_mapnr:
        gaps.append(f"{end:#x}-{parts[0].max_mapnr:#x}")
    if gaps:
        plural = "s" if len(gaps) > 1 else ""
        raise CrashshError(f"{' '.join(paths)}: a split kdump without its part{plural} of pfns "
                           f"{', '.join(gaps)} (give every file makedumpfile --split wrote)")
    return parts


def joined(paths: Sequence[str]) -> str:
    """The one kdump-compressed file the split kdump *paths* make, from crashsh's cache
    (joined now when it is not there yet)."""
    parts = checked_set(paths)
    others = [identity(p.path) for p in parts[1:]]
    target = cache_file("split", parts[0].path, JOIN_VERSION, *others, suffix=".kdump")
    try:
        return str(filled(target, lambda out: join(parts, out)))
    except OSError as e:
        raise CrashshError(f"{' '.join(paths)}: cannot join the split kdump into "
                           f"{target.parent}: {e.strerror or e}") from None


def join(parts: list[Part], out: BinaryIO) -> None:
    """Write the whole dump that *parts* (sorted) hold to *out*, as makedumpfile's
    reassemble_dumpfile() does: the first part's headers without the split fields, its
    notes, vmcoreinfo and bitmaps, then every part's page descriptors and page data, the
    data offsets moved to where the data lands, then the parts' eraseinfo."""
    first, dst = parts[0], out.fileno()
    sub = bytearray(first.sub)
    struct.pack_into("<iQQ", sub, 12, 0, 0, 0)  # split, start_pfn, end_pfn
    if first.version >= 6:
        struct.pack_into("<QQ", sub, 80, 0, 0)  # start_pfn_64, end_pfn_64
    os.pwrite(dst, first.header, 0)
    with open(first.path, "rb") as src:
        for offset, size in (first.area(48, 4), first.area(32, 3),
                             (first.bitmap_offset, first.bitmap_size)):
            copy(src.fileno(), dst, offset, size, offset, first.path)
        bitmap2 = first.bitmap_offset + first.bitmap_size // 2
        counts = [set_bits(src.fileno(), bitmap2, *part.pfns) for part in parts]
    table = first.bitmap_offset + first.bitmap_size
    data = table + PAGE_DESC_SIZE * sum(counts)
    zero = data if first.dump_level & DL_EXCLUDE_ZERO else None
    if zero is not None:  # the one page of zeros every zero-filled page's descriptor names
        os.pwrite(dst, bytes(first.block_size), zero)
        data += first.block_size
    at = table
    for part, count in zip(parts, counts):
        at, data = copy_pages(part, count, dst, at, data, zero)
    eraseinfo = data
    for part in parts:
        offset, size = part.area(64, 5)
        with open(part.path, "rb") as src:
            copy(src.fileno(), dst, offset, size, data, part.path)
        data += size
    if data > eraseinfo:
        struct.pack_into("<QQ", sub, 64, eraseinfo, data - eraseinfo)
    os.pwrite(dst, sub, first.block_size)


def copy_pages(part: Part, count: int, dst: int, at: int, data: int,
               zero: int | None) -> tuple[int, int]:
    """Copy *part*'s *count* page descriptors to *at* and their pages to *data*; a zero
    page's descriptor names the page at *zero*. Returns the next (at, data)."""
    table = part.bitmap_offset + part.bitmap_size
    with open(part.path, "rb") as f:
        src = f.fileno()
        run = Run(src, dst, part.path)
        for first in range(0, count, DESCS):
            n = min(DESCS, count - first)
            raw = os.pread(src, n * PAGE_DESC_SIZE, table + first * PAGE_DESC_SIZE)
            if len(raw) < n * PAGE_DESC_SIZE:
                raise truncated(part.path, table + count * PAGE_DESC_SIZE)
            descs = bytearray(len(raw))
            for i, (offset, size, flags, page_flags) in enumerate(PAGE_DESC.iter_unpack(raw)):
                if offset == zero:
                    PAGE_DESC.pack_into(descs, i * PAGE_DESC_SIZE, zero, part.block_size, 0, 0)
                    continue
                PAGE_DESC.pack_into(descs, i * PAGE_DESC_SIZE, data, size, flags, page_flags)
                run.add(offset, size, data)
                data += size
            os.pwrite(dst, descs, at)
            at += len(descs)
        run.flush()
    return at, data


class Run:
    """Page data copied in runs: pages that follow each other in the part are one copy."""

    def __init__(self, src: int, dst: int, path: str) -> None:
        self.src, self.dst, self.path = src, dst, path
        self.start = self.size = self.to = 0

    def add(self, offset: int, size: int, to: int) -> None:
        if self.size and offset == self.start + self.size:
            self.size += size
            return
        self.flush()
        self.start, self.size, self.to = offset, size, to

    def flush(self) -> None:
        copy(self.src, self.dst, self.start, self.size, self.to, self.path)
        self.size = 0


def truncated(path: str, needed: int) -> CrashshError:
    """dumpfile.check_complete's line for a part shorter than its headers say."""
    return CrashshError(f"{path}: truncated dump file ({os.path.getsize(path)} bytes, "
                        f"needs {needed})")


def copy(src: int, dst: int, offset: int, size: int, to: int, path: str) -> None:
    """Copy *size* bytes at *offset* of file *src* (*path*) to *to* of file *dst*."""
    while size > 0:
        try:
            done = os.copy_file_range(src, dst, min(size, CHUNK), offset, to)
        except OSError as e:
            if e.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            done = os.pwrite(dst, os.pread(src, min(size, CHUNK), offset), to)
        if done <= 0:
            raise truncated(path, offset + size)
        offset, size, to = offset + done, size - done, to + done


def set_bits(fd: int, bitmap: int, first: int, end: int) -> int:
    """How many bits of the bitmap at *bitmap* in file *fd* are set from bit *first* to
    *end* (little-endian bit order)."""
    total = 0
    for low in range(first - first % 8, end, CHUNK * 8):
        high = min(end, low + CHUNK * 8)
        bits = int.from_bytes(os.pread(fd, (high - low + 7) // 8, bitmap + low // 8), "little")
        bits >>= max(first - low, 0)
        total += (bits & ((1 << (high - max(first, low))) - 1)).bit_count()
    return total
