"""gdb's minimal symbols of vmlinux: whether gdb names an address ``<symbol>`` when it prints it
(minsyms.c lookup_minimal_symbol_by_pc_section, as build_address_symbolic uses it)."""

from __future__ import annotations

import bisect

import drgn

from crashsh.toolchain.elf import SHF_ALLOC, SHF_EXECINSTR, STT_SECTION, ElfFile

STT_FILE = 4


class MinimalSymbols:
    """The ELF symbols gdb keeps (not section or file symbols, not ``.L`` local labels), by
    section, relocated by *bias* (KASLR)."""

    def __init__(self, elf: ElfFile, bias: int) -> None:
        sections = sorted((s.addr + bias, s.addr + s.size + bias, s.index)
                          for s in elf.sections if s.flags & SHF_ALLOC and s.size)
        self.starts = [start for start, _, _ in sections]
        self.sections = sections
        by_section: dict[int, list[tuple[int, int]]] = {}
        strings, entries = elf.raw_symbols()
        for st_name, info, _other, shndx, value, size in entries:
            head = strings[st_name:st_name + 2]
            if info & 0xF in (STT_SECTION, STT_FILE) or head[:1] in (b"", b"\0") \
                    or head == b".L":
                continue
            by_section.setdefault(shndx, []).append((value + bias, size))
        self.symbols = {index: sorted(entries) for index, entries in by_section.items()}
        self.addresses = {index: [a for a, _ in entries] for index, entries in self.symbols.items()}
        self.code = {s.index for s in elf.sections if s.flags & SHF_EXECINSTR}

    def section_at(self, pc: int) -> int | None:
        i = bisect.bisect_right(self.starts, pc) - 1
        if i >= 0 and pc < self.sections[i][1]:
            return self.sections[i][2]
        return None

    def names(self, pc: int) -> bool:
        """Whether gdb names *pc*: the last sized symbol at or before it in its section holds
        it, or a zero-sized one follows that symbol in a code section (build_address_symbolic
        drops a zero-sized data symbol)."""
        index = self.section_at(pc)
        if index is None or index not in self.symbols:
            return False
        entries = self.symbols[index]
        hi = bisect.bisect_right(self.addresses[index], pc) - 1
        zero_sized = False
        while hi >= 0 and entries[hi][1] == 0:
            zero_sized = True
            hi -= 1
        if hi >= 0 and pc < entries[hi][0] + entries[hi][1]:
            return True
        return zero_sized and index in self.code


def in_kernel_text(prog: drgn.Program, address: int) -> bool:
    """Whether *address* is in the kernel's .text or .init.text: gdb's minimal symbol there
    is a text symbol (it takes the kind from the section)."""
    for start, end in (("_stext", "_etext"), ("_sinittext", "_einittext")):
        try:
            if prog.symbol(start).address <= address < prog.symbol(end).address:
                return True
        except LookupError:
            continue
    return False
