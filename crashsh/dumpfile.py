"""Identify kernel and dump files by their content, and read kdump header fields."""

from __future__ import annotations

import enum
import os
import struct
from dataclasses import dataclass

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
        # disk_dump_header: signature[8], header_version, utsname[390], timeval, status,
        # then block_size at 428 (crash's diskdump.h).
        block_size, sub_hdr_size, bitmap_blocks, max_mapnr = struct.unpack_from("<iiIi", head, 428)
        f.seek(block_size)
        sub = f.read(16)
    # kdump_sub_header: phys_base (ulong) then dump_level (int)
    (dump_level,) = struct.unpack_from("<i", sub, 8)
    return KdumpHeader(block_size, sub_hdr_size, bitmap_blocks, max_mapnr, dump_level)


def check_complete(path: str, kind: FileKind) -> None:
    """Raise ValueError when a dump file is shorter than its own headers say."""
    size = os.path.getsize(path)
    needed = _kdump_end(path) if kind is FileKind.KDUMP else _elf_end(path)
    if needed > size:
        raise ValueError(f"{path}: truncated dump file ({size} bytes, needs {needed})")


def _elf_end(path: str) -> int:
    with open(path, "rb") as f:
        ehdr = f.read(64)
        e_phoff, = struct.unpack_from("<Q", ehdr, 32)
        e_phentsize, e_phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(e_phoff)
        table = f.read(e_phentsize * e_phnum)
    end = e_phoff + len(table)
    for i in range(e_phnum):
        _, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * e_phentsize)
        if p_filesz:
            end = max(end, p_offset + p_filesz)
    return end


def _kdump_end(path: str) -> int:
    """End of the last page's data: the furthest (offset + size) over all page descriptors."""
    hdr = read_kdump_header(path)
    bs = hdr.block_size
    half = hdr.bitmap_blocks * bs // 2
    desc_start = (1 + hdr.sub_hdr_size + hdr.bitmap_blocks) * bs
    with open(path, "rb") as f:
        f.seek((1 + hdr.sub_hdr_size) * bs + half)
        pages = int.from_bytes(f.read(half), "little").bit_count()
        f.seek(desc_start)
        table = f.read(pages * PAGE_DESC_SIZE)
    end = desc_start + pages * PAGE_DESC_SIZE
    usable = len(table) - len(table) % PAGE_DESC_SIZE
    for offset, size, _flags, _page_flags in struct.iter_unpack("<qIIQ", table[:usable]):
        end = max(end, offset + size)
    return end


NT_VMCOREDD = 0x700  # a device's dump, added by a driver (vmcore_add_device_dump)
VMCOREDD_NAME_SIZE = 44  # the note's data starts with the device's name


@dataclass(frozen=True)
class DeviceDump:
    """A device dump in the vmcore: where its data starts in the file, its size and name."""

    offset: int
    size: int
    name: str


def device_dumps(path: str, kind: FileKind) -> list[DeviceDump]:
    """The NT_VMCOREDD notes of an ELF vmcore's PT_NOTE segments or of a kdump-compressed
    file's note area (sub-header version 4 and later)."""
    with open(path, "rb") as f:
        if kind is FileKind.KDUMP:
            head = f.read(16)
            (version,) = struct.unpack_from("<i", head, 8)
            if version < 4:
                return []
            block_size = read_kdump_header(path).block_size
            f.seek(block_size + 48)
            offset, size = struct.unpack("<qQ", f.read(16))
            areas = [(offset, size)]
        else:
            ehdr = f.read(64)
            (e_phoff,) = struct.unpack_from("<Q", ehdr, 32)
            e_phentsize, e_phnum = struct.unpack_from("<HH", ehdr, 54)
            f.seek(e_phoff)
            table = f.read(e_phentsize * e_phnum)
            areas = []
            for i in range(e_phnum):
                p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", table,
                                                                         i * e_phentsize)
                if p_type == 4:  # PT_NOTE
                    areas.append((p_offset, p_filesz))
        found = []
        for start, size in areas:
            f.seek(start)
            found.extend(_vmcoredd_notes(f.read(size), start))
    return found


def _vmcoredd_notes(data: bytes, start: int) -> list[DeviceDump]:
    found, at = [], 0
    while at + 12 <= len(data):
        namesz, descsz, n_type = struct.unpack_from("<III", data, at)
        desc = at + 12 + (namesz + 3) // 4 * 4
        if n_type == NT_VMCOREDD and descsz >= VMCOREDD_NAME_SIZE:
            name = data[desc:desc + VMCOREDD_NAME_SIZE].split(b"\0")[0].decode(errors="replace")
            found.append(DeviceDump(start + desc + VMCOREDD_NAME_SIZE,
                                    descsz - VMCOREDD_NAME_SIZE, name))
        at = desc + (descsz + 3) // 4 * 4
    return found
