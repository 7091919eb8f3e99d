"""A small ELF64 little-endian reader: section headers, symbols and nm's type letters (as BFD)."""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

SHT_SYMTAB, SHT_RELA, SHT_NOBITS = 2, 4, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHN_UNDEF, SHN_LORESERVE, SHN_ABS, SHN_COMMON = 0, 0xFF00, 0xFFF1, 0xFFF2
STB_LOCAL, STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE = 0, 1, 2, 10
STT_OBJECT, STT_FUNC, STT_SECTION, STT_GNU_IFUNC = 1, 2, 3, 10
SECTION_HEADER = struct.Struct("<IIQQQQIIQQ")
SYMBOL = struct.Struct("<IBBHQQ")
DEBUG_PREFIXES = (".debug", ".gnu.debuglto_.debug_", ".gnu.linkonce.wi.", ".zdebug", ".line",
                  ".stab")
COFF_TYPES = ((".drectve", "i"), (".edata", "e"), (".idata", "i"), (".pdata", "p"))


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int

    @property
    def is_code(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)

    def nm_letter(self) -> str:
        """BFD's decode_section_type() letter (lower case) for a symbol in this section."""
        for prefix, letter in COFF_TYPES:
            rest = self.name[len(prefix):len(prefix) + 1]
            if self.name.startswith(prefix) and rest in ("", ".", "$", *"0123456789"):
                return letter
        alloc = self.flags & SHF_ALLOC
        contents = self.type != SHT_NOBITS
        if self.is_code:
            return "t"
        if alloc and contents:  # SEC_DATA
            return "d" if self.flags & SHF_WRITE else "r"
        if not contents:
            return "b"
        if not alloc and self.name.startswith(DEBUG_PREFIXES):
            return "N"
        if not self.flags & SHF_WRITE:
            return "n"
        return "?"


class ElfSymbol(NamedTuple):
    """One .symtab entry as BFD sees it: section symbols carry their section's name."""

    name: str
    value: int
    info: int
    shndx: int

    @property
    def binding(self) -> int:
        return self.info >> 4

    @property
    def kind(self) -> int:
        return self.info & 0xF

    @property
    def undefined(self) -> bool:
        return self.shndx == SHN_UNDEF


class ElfFile:
    """Section headers, .symtab and section contents of an ELF64 file (mapped, read lazily)."""

    def __init__(self, path: str) -> None:
        with open(path, "rb") as f:
            self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self.data[:4] != b"\x7fELF" or self.data[4] != 2 or self.data[5] != 1:
            raise ValueError(f"{path}: not a little-endian ELF64 file")
        self.path = path

    @cached_property
    def sections(self) -> list[Section]:
        shoff, = struct.unpack_from("<Q", self.data, 0x28)
        shnum, shstrndx = struct.unpack_from("<HH", self.data, 0x3C)
        raw = [SECTION_HEADER.unpack_from(self.data, shoff + i * SECTION_HEADER.size)
               for i in range(shnum)]
        names_at = raw[shstrndx][4]
        return [Section(i, self.cstring(names_at + h[0]), h[1], h[2], h[3], h[4], h[5], h[6], h[7])
                for i, h in enumerate(raw)]

    @cached_property
    def section_letters(self) -> list[str]:
        return [s.nm_letter() for s in self.sections]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def contents(self, section: Section) -> bytes:
        return self.data[section.offset:section.offset + section.size]

    def cstring(self, offset: int) -> str:
        end = self.data.find(b"\0", offset)
        return self.data[offset:end].decode("utf-8", "replace")

    def raw_symbols(self) -> tuple[bytes, Iterator[tuple[int, int, int, int, int, int]]]:
        """The .symtab's string table and its entries as (st_name, st_info, st_other,
        st_shndx, st_value, st_size), the null one first."""
        symtab = next((s for s in self.sections if s.type == SHT_SYMTAB), None)
        if symtab is None:
            return b"", iter(())
        strings = self.contents(self.sections[symtab.link])
        return strings, SYMBOL.iter_unpack(self.contents(symtab))

    def symbols(self) -> list[ElfSymbol]:
        """Every .symtab entry but the null one, in file order."""
        strings, entries = self.raw_symbols()
        result = []
        for st_name, info, _other, shndx, value, _size in entries:
            if info & 0xF == STT_SECTION and st_name == 0 and shndx < len(self.sections):
                name = self.sections[shndx].name
            else:
                name = strings[st_name:strings.index(b"\0", st_name)].decode("utf-8", "replace")
            result.append(ElfSymbol(name, value, info, shndx))
        return result[1:]

    def nm_type(self, sym: ElfSymbol) -> str:
        """The letter nm prints for *sym* (it depends only on st_info and st_shndx)."""
        key = (sym.info, sym.shndx)
        letter = self.type_letters.get(key)
        if letter is None:
            letter = self.type_letters[key] = self.decode_type(sym)
        return letter

    @cached_property
    def type_letters(self) -> dict[tuple[int, int], str]:
        return {}

    def decode_type(self, sym: ElfSymbol) -> str:
        """BFD's bfd_decode_symclass()."""
        if sym.shndx == SHN_COMMON:
            return "C"
        if sym.undefined:
            if sym.binding == STB_WEAK:
                return "v" if sym.kind == STT_OBJECT else "w"
            return "U"
        if sym.kind == STT_GNU_IFUNC:
            return "i"
        if sym.binding == STB_WEAK:
            return "V" if sym.kind == STT_OBJECT else "W"
        if sym.binding == STB_GNU_UNIQUE:
            return "u"
        if sym.binding not in (STB_LOCAL, STB_GLOBAL):
            return "?"
        if sym.shndx == SHN_ABS:
            letter = "a"
        elif sym.shndx >= SHN_LORESERVE or sym.shndx >= len(self.sections):
            return "?"
        else:
            letter = self.section_letters[sym.shndx]
        return letter.upper() if sym.binding == STB_GLOBAL else letter

    def section_of(self, sym: ElfSymbol) -> Section | None:
        """The section *sym* is defined in (None for undefined, absolute and common symbols)."""
        if sym.shndx == SHN_UNDEF or sym.shndx >= SHN_LORESERVE or sym.shndx >= len(self.sections):
            return None
        return self.sections[sym.shndx]
