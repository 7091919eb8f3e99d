"""What a dump file says of itself: its ELF notes (a kdump-compressed file's note area, an ELF
vmcore's PT_NOTE segments), the device dumps and CPU registers among them, and the header
rows `help -n` shows."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from crashsh.dumpfile import ET_CORE, PT_LOAD, PT_NOTE, FileKind, elf_segments

NT_PRSTATUS = 1
NT_VMCOREDD = 0x700  # a device's dump, added by a driver (vmcore_add_device_dump)
VMCOREDD_NAME_SIZE = 44  # the note's data starts with the device's name
KDUMP_NOTES_VERSION = 4  # the first kdump header version with a note area
# struct user_regs_struct (x86_64), in order: the tail of an NT_PRSTATUS note, before fpvalid
USER_REGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
             "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
             "gs_base", "ds", "es", "fs", "gs")


@dataclass(frozen=True)
class Note:
    """One ELF note: owner name, type, its data and where that data starts in the file."""

    name: str
    type: int
    desc: bytes
    offset: int


@dataclass(frozen=True)
class DeviceDump:
    """A device dump in the vmcore: where its data starts in the file, its size and name."""

    offset: int
    size: int
    name: str


def cstring(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace")


def note_areas(path: str, kind: FileKind) -> list[tuple[int, int]]:
    """(offset, size) of the file's notes: the kdump sub-header's note area (header version 4
    and later), or each PT_NOTE segment."""
    if kind is FileKind.KDUMP:
        with open(path, "rb") as f:
            head = f.read(432)
            version, = struct.unpack_from("<i", head, 8)
            if version < KDUMP_NOTES_VERSION:
                return []
            block_size, = struct.unpack_from("<i", head, 428)
            f.seek(block_size + 48)
            return [struct.unpack("<qQ", f.read(16))]
    return [(s.offset, s.file_size) for s in elf_segments(path)[1] if s.type == PT_NOTE]


def notes(path: str, kind: FileKind) -> Iterator[Note]:
    """Every note of the file, in file order."""
    with open(path, "rb") as f:
        for start, size in note_areas(path, kind):
            f.seek(start)
            yield from parse_notes(f.read(size), start)


def parse_notes(data: bytes, start: int = 0) -> Iterator[Note]:
    at = 0
    while at + 12 <= len(data):
        namesz, descsz, n_type = struct.unpack_from("<III", data, at)
        if not namesz and not descsz:
            return
        desc = at + 12 + (namesz + 3) // 4 * 4
        yield Note(cstring(data[at + 12:at + 12 + namesz]), n_type, data[desc:desc + descsz],
                   start + desc)
        at = desc + (descsz + 3) // 4 * 4


def device_dumps(path: str, kind: FileKind) -> list[DeviceDump]:
    """The NT_VMCOREDD notes: each device's data after its name."""
    return [DeviceDump(n.offset + VMCOREDD_NAME_SIZE, len(n.desc) - VMCOREDD_NAME_SIZE,
                       cstring(n.desc[:VMCOREDD_NAME_SIZE]))
            for n in notes(path, kind)
            if n.type == NT_VMCOREDD and len(n.desc) >= VMCOREDD_NAME_SIZE]


def prstatus_registers(path: str, kind: FileKind) -> list[dict[str, int]]:
    """Each NT_PRSTATUS note's registers (as crash finds them: the user_regs_struct just
    before the note's last word), in note order: one note per online CPU."""
    size = len(USER_REGS) * 8
    found = []
    for note in notes(path, kind):
        if note.type != NT_PRSTATUS or note.name != "CORE":
            continue
        end = (len(note.desc) + 3) // 4 * 4 - 8
        values = struct.unpack_from(f"<{len(USER_REGS)}Q", note.desc.ljust(end, b"\0"),
                                    end - size)
        found.append(dict(zip(USER_REGS, values)))
    return found


# -- what `help -n` shows of a dump file --------------------------------------------------------
KDUMP_STATUS = ((0x1, "DUMP_DH_COMPRESSED_ZLIB"), (0x2, "DUMP_DH_COMPRESSED_LZO"),
                (0x4, "DUMP_DH_COMPRESSED_SNAPPY"), (0x8, "DUMP_DH_COMPRESSED_INCOMPLETE"),
                (0x10, "DUMP_DH_EXCLUDED_VMEMMAP"), (0x20, "DUMP_DH_COMPRESSED_ZSTD"))
DUMP_LEVEL_BITS = ((0x1, "DUMP_EXCLUDE_ZERO"), (0x2, "DUMP_EXCLUDE_CACHE"),
                   (0x4, "DUMP_EXCLUDE_CACHE_PRI"), (0x8, "DUMP_EXCLUDE_USER_DATA"),
                   (0x10, "DUMP_EXCLUDE_FREE"))
UTS_FIELDS = ("sysname", "nodename", "release", "version", "machine", "domainname")
NOTE_TYPES = {1: "NT_PRSTATUS", 3: "NT_PRPSINFO", 4: "NT_TASKSTRUCT", 6: "NT_AUXV",
              NT_VMCOREDD: "NT_VMCOREDD"}


def bit_names(value: int, table) -> str:
    return "|".join(name for bit, name in table if value & bit)


def header_rows(path: str, kind: FileKind) -> list[tuple[str, str]]:
    """The dump file's own description of itself, as (label, value) rows: makedumpfile's
    disk_dump_header and kdump_sub_header, or the ELF header and segments; then the notes."""
    rows = kdump_rows(path) if kind is FileKind.KDUMP else elf_rows(path)
    return rows + note_rows(notes(path, kind))


def kdump_rows(path: str) -> list[tuple[str, str]]:
    with open(path, "rb") as f:
        head = f.read(4096)
        block_size, = struct.unpack_from("<i", head, 428)
        f.seek(block_size)
        sub = f.read(104)
    version, = struct.unpack_from("<i", head, 8)
    rows = [("signature", f'"{head[:8].decode(errors="replace")}"'),
            ("header_version", str(version))]
    rows += [(name, cstring(head[12 + 65 * i: 12 + 65 * (i + 1)]) or "(none)")
             for i, name in enumerate(UTS_FIELDS)]
    seconds, = struct.unpack_from("<q", head, 408)
    status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr = struct.unpack_from(
        "<IiiII", head, 424)
    current_cpu, nr_cpus = struct.unpack_from("<Ii", head, 456)
    rows += [("timestamp", f"{seconds:x}"),
             ("status", f"{status} ({bit_names(status, KDUMP_STATUS) or 'uncompressed'})"),
             ("block_size", str(block_size)), ("sub_hdr_size", str(sub_hdr_size)),
             ("bitmap_blocks", str(bitmap_blocks)), ("max_mapnr", str(max_mapnr)),
             ("current_cpu", str(current_cpu)), ("nr_cpus", str(nr_cpus))]
    phys_base, dump_level, split = struct.unpack_from("<Qii", sub, 0)
    offset_info, size_info, offset_note, size_note = struct.unpack_from("<QQQQ", sub, 32)
    return rows + [("phys_base", f"{phys_base:x}"),
                   ("dump_level", f"{dump_level} ({bit_names(dump_level, DUMP_LEVEL_BITS)})"),
                   ("split", str(split)),
                   ("offset_vmcoreinfo", f"{offset_info} ({offset_info:#x})"),
                   ("size_vmcoreinfo", f"{size_info} ({size_info:#x})"),
                   ("offset_note", f"{offset_note} ({offset_note:#x})"),
                   ("size_note", f"{size_note} ({size_note:#x})")]


def elf_rows(path: str) -> list[tuple[str, str]]:
    with open(path, "rb") as f:
        e_type, e_machine = struct.unpack_from("<HH", f.read(20), 16)
    segments = elf_segments(path)[1]
    loads = [s for s in segments if s.type == PT_LOAD]
    rows = [("e_type", f"{e_type} (ET_CORE)" if e_type == ET_CORE else str(e_type)),
            ("e_machine", f"{e_machine} (EM_X86_64)" if e_machine == 62 else str(e_machine)),
            ("e_phnum", str(len(segments))), ("PT_LOAD segments", str(len(loads)))]
    for s in loads:
        rows.append(("PT_LOAD", f"paddr {s.physical:x} filesz {s.file_size:x} "
                                f"memsz {s.memory_size:x} offset {s.offset:x}"))
    return rows


def note_rows(found) -> list[tuple[str, str]]:
    """Each ELF note: its owner and type, and VMCOREINFO's text line by line."""
    rows = []
    for note in found:
        rows.append(("note", f"{note.name} {NOTE_TYPES.get(note.type, note.type)} "
                             f"({len(note.desc)} bytes)"))
        if note.name == "VMCOREINFO":
            rows += [("", line) for line in cstring(note.desc).splitlines()]
    return rows
