"""Source lines as crash prints them: gdb's line table rules over DWARF .debug_line.

crash asks gdb's find_pc_line() and prints ``<comp_dir>/<file>: <line>``. gdb builds one line
table per source file of a compilation unit (its lnp_state_machine: line 0 rows dropped,
consecutive rows of one line merged when discriminators say so, an end marker where the file
changes), sorts each table by address, then takes the row at or before the pc over all files
of the unit, stepping back to an is_stmt row at the same address. drgn's source_location
follows different rules, hence this module.
"""

from __future__ import annotations

import bisect
import mmap
import struct
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from crashsh.dumpfacts import MASK64
from crashsh.toolchain.elf import SHT_RELA, ElfFile, ElfSymbol

Buffer = bytes | mmap.mmap
ET_REL = 1
R_X86_64_64, R_X86_64_32, R_X86_64_32S = 1, 10, 11
RELA = struct.Struct("<QQq")

# DWARF constants
DW_AT_NAME, DW_AT_STMT_LIST, DW_AT_LOW_PC, DW_AT_COMP_DIR = 0x03, 0x10, 0x11, 0x1B
DW_AT_RANGES = 0x55
DW_FORM_ADDR, DW_FORM_STRING, DW_FORM_STRP, DW_FORM_LINE_STRP = 0x01, 0x08, 0x0E, 0x1F
DW_FORM_INDIRECT, DW_FORM_IMPLICIT_CONST = 0x16, 0x21
DW_LNCT_PATH, DW_LNCT_DIRECTORY_INDEX = 1, 2
DW_LNS_COPY, DW_LNS_ADVANCE_PC, DW_LNS_ADVANCE_LINE, DW_LNS_SET_FILE = 1, 2, 3, 4
DW_LNS_NEGATE_STMT, DW_LNS_CONST_ADD_PC, DW_LNS_FIXED_ADVANCE_PC = 6, 8, 9
DW_LNE_END_SEQUENCE, DW_LNE_SET_ADDRESS, DW_LNE_DEFINE_FILE, DW_LNE_SET_DISCRIMINATOR = 1, 2, 3, 4
DW_LNE_LO_USER = 0x80

# sizes of the fixed-size forms ("o": the offset size, 4 or 8)
FORM_SIZES: dict[int, int | str] = {
    0x01: 8, 0x05: 2, 0x06: 4, 0x07: 8, 0x0B: 1, 0x0C: 1, 0x0E: "o", 0x10: "o", 0x11: 1,
    0x12: 2, 0x13: 4, 0x14: 8, 0x17: "o", 0x19: 0, 0x1C: 4, 0x1D: "o", 0x1E: 16, 0x1F: "o",
    0x20: 8, 0x21: 0, 0x24: 8, 0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x29: 1, 0x2A: 2, 0x2B: 3,
    0x2C: 4, 0x1F20: "o", 0x1F21: "o",
}
ULEB_FORMS = {0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, 0x1F01, 0x1F02}
BLOCK_FORMS = {0x03: 2, 0x04: 4, 0x09: None, 0x0A: 1, 0x18: None}


class Reader:
    """A cursor over bytes with the DWARF primitive readers."""

    def __init__(self, data: bytes, pos: int = 0, offset_size: int = 4) -> None:
        self.data, self.pos, self.offset_size = data, pos, offset_size

    def u(self, size: int) -> int:
        value = int.from_bytes(self.data[self.pos:self.pos + size], "little")
        self.pos += size
        return value

    def s1(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value - 256 if value > 127 else value

    def uleb(self) -> int:
        result = shift = 0
        data = self.data
        while True:
            byte = data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    def sleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result - (1 << shift) if byte & 0x40 else result

    def cstring(self) -> bytes:
        end = self.data.find(b"\0", self.pos)
        text = self.data[self.pos:end]
        self.pos = end + 1
        return text

    def unit_length(self) -> int:
        """Read an initial length; set the offset size (4, or 8 for 64-bit DWARF)."""
        length = self.u(4)
        self.offset_size = 4
        if length == 0xFFFFFFFF:
            length, self.offset_size = self.u(8), 8
        return length

    def form_value(self, form: int, implicit: int = 0) -> int | bytes | None:
        """An attribute value: an int, the bytes of a string or block, or None."""
        if form == DW_FORM_INDIRECT:
            return self.form_value(self.uleb())
        if form == DW_FORM_IMPLICIT_CONST:
            return implicit
        if form == DW_FORM_STRING:
            return self.cstring()
        if form in ULEB_FORMS:
            return self.uleb()
        if form == 0x0D:
            return self.sleb()
        if form in BLOCK_FORMS:
            width = BLOCK_FORMS[form]
            length = self.uleb() if width is None else self.u(width)
            self.pos += length
            return self.data[self.pos - length:self.pos]
        size = FORM_SIZES.get(form)
        if size is None:
            raise ValueError(f"unknown DWARF form {form:#x}")
        return self.u(self.offset_size if size == "o" else size)


Row = tuple[int, int, bool]  # one gdb line table entry: (pc, line, is_stmt)


@dataclass
class Subfile:
    """gdb's subfile: one source file of a CU and its line table."""

    name: str
    rows: list[Row] = field(default_factory=list)

    @cached_property
    def pcs(self) -> list[int]:
        return [row[0] for row in self.rows]


@dataclass
class CompUnit:
    name: str
    comp_dir: str
    stmt_list: int | None
    lowpc: int


@dataclass
class LineHeader:
    version: int
    min_inst: int
    max_ops: int
    default_is_stmt: bool
    line_base: int
    line_range: int
    opcode_base: int
    opcode_lengths: list[int]
    dirs: list[str]
    files: list[tuple[str, int]]  # (name, directory index)
    program: int  # offset of the first opcode
    end: int

    def file(self, index: int) -> tuple[str, int] | None:
        """gdb's file_name_at(): 0-based in DWARF 5, 1-based before."""
        i = index if self.version >= 5 else index - 1
        return self.files[i] if 0 <= i < len(self.files) else None

    def include_dir(self, index: int) -> str | None:
        i = index if self.version >= 5 else index - 1
        return self.dirs[i] if 0 <= i < len(self.dirs) else None


class LineTable:
    """gdb's find_pc_line() for one ELF file, for addresses moved by *bias* (vmlinux: KASLR)
    or, for a module object, with its sections placed at *section_addrs* (index -> address)."""

    def __init__(self, elf: ElfFile, bias: int = 0,
                 section_addrs: dict[int, int] | None = None) -> None:
        self.elf = elf
        self.bias = bias
        self.section_addrs = section_addrs or {}
        self.relocatable = elf.data[16] == ET_REL

    # -- sections -----------------------------------------------------------------------------
    @lru_cache(maxsize=None)
    def section(self, name: str) -> tuple[Buffer, int, int]:
        """(buffer, start, end) of a section: the mapped file itself, or for a relocatable
        object a copy with its .rela relocations applied."""
        section = self.elf.section(name)
        if section is None:
            return b"", 0, 0
        if not self.relocatable:
            return self.elf.data, section.offset, section.offset + section.size
        data = self.relocate(section.index, self.elf.contents(section))
        return data, 0, len(data)

    def relocate(self, index: int, data: bytes) -> bytes:
        """Apply the absolute x86_64 relocations aimed at section *index*."""
        rela = next((s for s in self.elf.sections if s.type == SHT_RELA and s.info == index), None)
        if rela is None:
            return data
        symbols = self.symbols
        out = bytearray(data)
        for offset, info, addend in RELA.iter_unpack(self.elf.contents(rela)):
            kind, sym_index = info & 0xFFFFFFFF, info >> 32
            value = addend + (self.symbol_address(symbols[sym_index - 1]) if sym_index else 0)
            if kind == R_X86_64_64:
                out[offset:offset + 8] = (value & MASK64).to_bytes(8, "little")
            elif kind in (R_X86_64_32, R_X86_64_32S):
                out[offset:offset + 4] = (value & 0xFFFFFFFF).to_bytes(4, "little")
        return bytes(out)

    @cached_property
    def symbols(self) -> list[ElfSymbol]:
        return self.elf.symbols()

    def symbol_address(self, sym: ElfSymbol) -> int:
        return self.section_addrs.get(sym.shndx, 0) + sym.value

    # -- compilation units ----------------------------------------------------------------------
    @cached_property
    def aranges(self) -> tuple[list[int], list[tuple[int, int, int]]]:
        """(sorted starts, [(end, CU offset, highest end so far)]) from .debug_aranges."""
        data, begin, finish = self.section(".debug_aranges")
        ranges = []
        r = Reader(data, begin)
        while r.pos < finish:
            start = r.pos
            length = r.unit_length()
            end = r.pos + length
            r.u(2)
            cu = r.u(r.offset_size)
            address_size = r.u(1)
            r.u(1)
            r.pos += -(r.pos - start) % (2 * address_size)
            while r.pos + 2 * address_size <= end:
                addr, size = r.u(address_size), r.u(address_size)
                if addr == 0 and size == 0:
                    break
                if size:
                    ranges.append((addr, addr + size, cu))
            r.pos = end
        ranges.sort()
        reach, rest = 0, []
        for _, end, cu in ranges:
            reach = max(reach, end)
            rest.append((end, cu, reach))
        return [start for start, _, _ in ranges], rest

    def cu_at(self, pc: int) -> int | None:
        """The CU whose address range holds *pc* (the last one starting at or before it)."""
        starts, rest = self.aranges
        i = bisect.bisect_right(starts, pc) - 1
        while i >= 0 and rest[i][2] > pc:
            end, cu, _ = rest[i]
            if pc < end:
                return cu
            i -= 1
        return None

    @lru_cache(maxsize=64)
    def comp_unit(self, offset: int) -> CompUnit:
        """The name, comp_dir, stmt_list and low pc of the CU at *offset* in .debug_info."""
        info, begin, _ = self.section(".debug_info")
        r = Reader(info, begin + offset)
        r.unit_length()
        version = r.u(2)
        if version >= 5:
            r.u(1)
            address_size = r.u(1)
            abbrev_offset = r.u(r.offset_size)
        else:
            abbrev_offset = r.u(r.offset_size)
            address_size = r.u(1)
        code = r.uleb()
        attrs = self.abbrev(abbrev_offset, code)
        values: dict[int, int | bytes | None] = {}
        for attr, form, implicit in attrs:
            if form == DW_FORM_ADDR:
                values[attr] = r.u(address_size)
            else:
                values[attr] = r.form_value(form, implicit)
            if attr in (DW_AT_NAME, DW_AT_COMP_DIR):
                values[attr] = self.string(form, values[attr])
        lowpc = 1 if DW_AT_RANGES in values else values.get(DW_AT_LOW_PC) or 0
        stmt = values.get(DW_AT_STMT_LIST)
        return CompUnit(values.get(DW_AT_NAME) or "", values.get(DW_AT_COMP_DIR) or "",
                        stmt if isinstance(stmt, int) else None, lowpc)

    def abbrev(self, offset: int, code: int) -> list[tuple[int, int, int]]:
        """The (attribute, form, implicit const) list of abbreviation *code*."""
        data, begin, _ = self.section(".debug_abbrev")
        r = Reader(data, begin + offset)
        while True:
            this = r.uleb()
            if this == 0:
                raise ValueError(f"abbreviation {code} not found")
            r.uleb()
            r.u(1)
            attrs = []
            while True:
                attr, form = r.uleb(), r.uleb()
                if attr == 0 and form == 0:
                    break
                implicit = r.sleb() if form == DW_FORM_IMPLICIT_CONST else 0
                attrs.append((attr, form, implicit))
            if this == code:
                return attrs

    def string(self, form: int, value) -> str:
        if isinstance(value, bytes):
            return value.decode(errors="replace")
        section = {DW_FORM_STRP: ".debug_str", DW_FORM_LINE_STRP: ".debug_line_str"}.get(form)
        if section is None or value is None:
            return ""
        data, begin, _ = self.section(section)
        at = begin + value
        return data[at:data.find(b"\0", at)].decode(errors="replace")

    # -- line programs ------------------------------------------------------------------------
    def line_header(self, offset: int) -> LineHeader:
        data, begin, _ = self.section(".debug_line")
        r = Reader(data, begin + offset)
        length = r.unit_length()
        end = r.pos + length
        version = r.u(2)
        if version >= 5:
            r.u(2)
        header_length = r.u(r.offset_size)
        program = r.pos + header_length
        min_inst = r.u(1)
        max_ops = r.u(1) if version >= 4 else 1
        default_is_stmt = bool(r.u(1))
        line_base, line_range, opcode_base = r.s1(), r.u(1), r.u(1)
        lengths = [0] + [r.u(1) for _ in range(opcode_base - 1)]
        if version >= 5:
            dirs = [path for path, _ in self.entries_v5(r)]
            files = self.entries_v5(r)
        else:
            dirs, files = [], []
            while (name := r.cstring()):
                dirs.append(name.decode(errors="replace"))
            while (name := r.cstring()):
                files.append((name.decode(errors="replace"), r.uleb()))
                r.uleb()
                r.uleb()
        return LineHeader(version, min_inst, max_ops or 1, default_is_stmt, line_base,
                          line_range, opcode_base, lengths, dirs, files, program, end)

    def entries_v5(self, r: Reader) -> list[tuple[str, int]]:
        formats = [(r.uleb(), r.uleb()) for _ in range(r.u(1))]
        entries = []
        for _ in range(r.uleb()):
            path, directory = "", 0
            for kind, form in formats:
                value = r.form_value(form)
                if kind == DW_LNCT_PATH:
                    path = self.string(form, value)
                elif kind == DW_LNCT_DIRECTORY_INDEX:
                    directory = value
            entries.append((path, directory))
        return entries

    @lru_cache(maxsize=32)
    def subfiles(self, cu_offset: int) -> tuple[CompUnit, list[Subfile]]:
        """The CU and its per-file line tables, as gdb's buildsym leaves them."""
        cu = self.comp_unit(cu_offset)
        if cu.stmt_list is None:
            return cu, []
        header = self.line_header(cu.stmt_list)
        builder = Builder(cu.name)
        decode_lines(self.section(".debug_line")[0], header, builder, cu.lowpc)
        files = [subfile_name(header, i) for i in range(len(header.files) + 1)]
        return cu, builder.finish([name for name in files if name is not None])

    # -- lookups ------------------------------------------------------------------------------
    def location(self, addr: int) -> tuple[CompUnit, str, int] | None:
        """gdb's find_pc_line(): the CU, the file name as its symtab has it, and the line."""
        pc = (addr - self.bias) & MASK64
        offset = self.cu_at(pc)
        if offset is None:
            return None
        cu, subfiles = self.subfiles(offset)
        found = find_pc_line(subfiles, pc)
        return None if found is None else (cu, *found)

    def lookup(self, addr: int) -> str:
        """crash's get_line_number(): ``<dir>/<file>: <line>``, or "" when gdb has none."""
        found = self.location(addr)
        if found is None:
            return ""
        cu, name, line = found
        if not cu.comp_dir:
            return ""  # gdb_get_line_number() prints nothing without the CU's directory
        if name.startswith("/"):
            path = name
        else:
            path = cu.comp_dir + ("" if cu.comp_dir.endswith("/") else "/") + name
        while "//" in path:
            path = path.replace("//", "/")
        return f"{path}: {line}"


class Builder:
    """gdb's buildsym_compunit, for line tables only."""

    def __init__(self, primary: str) -> None:
        self.subfiles: dict[str, Subfile] = {primary: Subfile(primary)}
        self.current: Subfile = self.subfiles[primary]

    def start_subfile(self, name: str) -> None:
        subfile = self.subfiles.get(name)
        if subfile is None:
            subfile = self.subfiles[name] = Subfile(name)
        self.current = subfile

    @staticmethod
    def record_line(subfile: Subfile, line: int, pc: int, is_stmt: bool) -> None:
        """buildsym's record_line(): an end marker drops the rows at its address before it,
        and is not recorded in an empty table."""
        rows = subfile.rows
        if line == 0:
            if not rows:
                return
            while rows and rows[-1][0] == pc:
                rows.pop()
        rows.append((pc, line, is_stmt))

    def finish(self, file_names: list[str]) -> list[Subfile]:
        """The files with rows in gdb's symtab order (the CU's own file, then the line table's
        files in order), each sorted by address with end markers first at equal addresses."""
        order = list(self.subfiles)[:1] + file_names + list(self.subfiles)
        subfiles = [self.subfiles[name] for name in dict.fromkeys(order) if name in self.subfiles]
        for subfile in subfiles:
            subfile.rows.sort(key=lambda row: (row[0], row[1] != 0))
        return [subfile for subfile in subfiles if subfile.rows]


def subfile_name(header: LineHeader, index: int) -> str | None:
    """dwarf2_start_subfile(): the file name joined to its directory."""
    entry = header.file(index)
    if entry is None:
        return None
    name, directory = entry
    where = header.include_dir(directory)
    if not name.startswith("/") and where:
        name = where + ("" if where.endswith("/") else "/") + name
    return name


class LineState:
    """gdb's lnp_state_machine for one sequence."""

    __slots__ = ("header", "builder", "lowpc", "address", "last_address", "op_index", "file",
                 "line", "is_stmt", "discriminator", "last_subfile", "last_line",
                 "stmt_at_address", "recording", "nonzero_discriminator", "has_file")

    def __init__(self, header: LineHeader, builder: Builder, lowpc: int) -> None:
        self.header, self.builder, self.lowpc = header, builder, lowpc
        self.address = self.last_address = 0
        self.op_index = 0
        self.file, self.line = 1, 1
        self.is_stmt = header.default_is_stmt
        self.discriminator = 0
        self.last_subfile: Subfile | None = None
        self.last_line = 0
        self.stmt_at_address = False
        self.recording = True
        self.nonzero_discriminator = False
        self.has_file = header.file(1) is not None

    def start_file(self) -> None:
        name = subfile_name(self.header, self.file)
        if name is not None:
            self.builder.start_subfile(name)

    def advance(self, operation_advance: int) -> None:
        h = self.header
        self.address += (self.op_index + operation_advance) // h.max_ops * h.min_inst
        self.op_index = (self.op_index + operation_advance) % h.max_ops

    def advance_line(self, delta: int) -> None:
        self.line += delta
        if delta:
            self.nonzero_discriminator = self.discriminator != 0

    def set_file(self, index: int) -> None:
        self.file = index
        self.has_file = self.header.file(index) is not None
        if self.has_file:
            self.nonzero_discriminator = self.discriminator != 0
            self.start_file()

    def set_address(self, address: int) -> None:
        if (address == 0 and address < self.lowpc) or address in (MASK64, MASK64 - 1):
            self.recording = False
        self.op_index = 0
        self.address = address

    def record(self, end_sequence: bool) -> None:
        if self.has_file and (self.op_index == 0 or end_sequence):
            current = self.builder.current
            changed = self.last_subfile is not current
            ignore = ((changed and not end_sequence and self.last_address == self.address
                       and not self.is_stmt and self.stmt_at_address)
                      or (not end_sequence and self.line == 0))
            if (changed and not ignore) or end_sequence:
                if self.last_subfile is not None and self.recording:
                    self.builder.record_line(self.last_subfile, 0, self.address, True)
            if not end_sequence and not ignore and (
                    changed or self.line != self.last_line or not self.nonzero_discriminator):
                if self.recording:
                    self.builder.record_line(current, self.line, self.address, self.is_stmt)
                self.last_subfile = current
                self.last_line = self.line
        if self.last_address != self.address:
            self.stmt_at_address = False
            self.last_address = self.address
        self.stmt_at_address |= self.is_stmt

    def after_row(self) -> None:
        self.discriminator = 0


def decode_lines(data: bytes, header: LineHeader, builder: Builder, lowpc: int) -> None:
    """gdb's dwarf_decode_lines_1(): run the line program into *builder*."""
    data = bytes(data[header.program:header.end])
    r = Reader(data)
    h = header
    size = len(data)
    while r.pos < size:
        state = LineState(h, builder, lowpc)
        state.start_file()
        end_sequence = False
        while r.pos < size and not end_sequence:
            op = data[r.pos]
            r.pos += 1
            if op >= h.opcode_base:
                adjusted = op - h.opcode_base
                state.advance(adjusted // h.line_range)
                state.advance_line(h.line_base + adjusted % h.line_range)
                state.record(False)
                state.after_row()
            elif op == 0:
                length = r.uleb()
                end = r.pos + length
                sub = data[r.pos]
                r.pos += 1
                if sub >= DW_LNE_LO_USER:
                    r.pos = end
                    continue
                if sub == DW_LNE_END_SEQUENCE:
                    state.recording = True
                    end_sequence = True
                elif sub == DW_LNE_SET_ADDRESS:
                    state.set_address(r.u(end - r.pos))
                elif sub == DW_LNE_DEFINE_FILE:
                    r.pos = end
                elif sub == DW_LNE_SET_DISCRIMINATOR:
                    state.discriminator = r.uleb()
                    state.nonzero_discriminator |= state.discriminator != 0
                else:
                    return
                r.pos = end
            elif op == DW_LNS_COPY:
                state.record(False)
                state.after_row()
            elif op == DW_LNS_ADVANCE_PC:
                state.advance(r.uleb())
            elif op == DW_LNS_ADVANCE_LINE:
                state.advance_line(r.sleb())
            elif op == DW_LNS_SET_FILE:
                state.set_file(r.uleb())
            elif op == DW_LNS_NEGATE_STMT:
                state.is_stmt = not state.is_stmt
            elif op == DW_LNS_CONST_ADD_PC:
                state.advance((255 - h.opcode_base) // h.line_range)
            elif op == DW_LNS_FIXED_ADVANCE_PC:
                state.address += r.u(2)
                state.op_index = 0
            else:
                for _ in range(h.opcode_lengths[op]):
                    r.uleb()
        state.record(True)


def find_pc_line(subfiles: list[Subfile], pc: int) -> tuple[str, int] | None:
    """gdb's find_pc_sect_line(): the best row at or before *pc* over all files of the CU."""
    best: Row | None = None
    best_file: Subfile | None = None
    for subfile in subfiles:
        rows = subfile.rows
        i = bisect.bisect_right(subfile.pcs, pc)
        if i == 0:
            continue
        prev = rows[i - 1]
        if prev[1] and (best is None or prev[0] > best[0]):
            best, best_file = prev, subfile
            if not best[2]:
                j = i - 1
                while j > 0 and rows[j - 1][0] == rows[j][0] and rows[j - 1][1] != 0 \
                        and not rows[j][2]:
                    j -= 1
                if rows[j][2]:
                    best = rows[j]
    if best is None:
        return None
    return best_file.name, best[1]
