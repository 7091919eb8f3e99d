"""Module symbol tables as crash keeps them (symbols.c), and what ``mod -S`` makes of them.

crashsh.kernel.modtables builds a module's table from the dump alone. After ``mod -S`` finds the
module's object file (store_load_module_symbols): the object file's symbols, placed through the
sections the kallsyms entries locate (calculate_load_order_v2/_6_4), plus the entries left over.
Module per-cpu sections are not placed (none of the fixtures' modules has one).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from crashsh.toolchain.elf import ElfFile, ElfSymbol

STRIPPED_SUFFIXES = (".isra.", ".part.", ".llvm.")
SYMBOL_START_TAGS = ("_MODULE_START_", "_MODULE_TEXT_START_")
MARKER_NAMES = ("_MODULE_START_", "_MODULE_END_", "_MODULE_INIT_START_", "_MODULE_INIT_END_")
NON_BFD_SECTIONS = (2, 3, 4, 9, 18)  # symbol, string and relocation tables: not BFD sections


def strip_symbol_end(name: str) -> str:
    """crash's strip_symbol_end(): cut at the first of .isra., .part., .llvm. (in that order)."""
    if "." not in name:
        return name
    for suffix in STRIPPED_SUFFIXES:
        at = name.find(suffix)
        if at >= 0:
            return name[:at]
    return name


@dataclass
class Entry:
    """One module table entry (mutable: crash fixes up kallsyms types in place)."""

    value: int
    type: str
    name: str

    @property
    def pseudo(self) -> bool:
        return self.name.startswith("_MODULE_")


@dataclass(frozen=True)
class Region:
    """A module memory area: 6.4+ one per ``mod->mem[]`` type, before that core and init."""

    tag: str  # TEXT, DATA, ... ("" and "INIT" before 6.4)
    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size

    def __contains__(self, value: int) -> bool:
        return self.base <= value < self.end

    @property
    def start_name(self) -> str:
        return f"_MODULE_{self.tag}_START_" if self.tag else "_MODULE_START_"

    @property
    def end_name(self) -> str:
        return f"_MODULE_{self.tag}_END_" if self.tag else "_MODULE_END_"


@dataclass(frozen=True)
class ModSection:
    """A section of the module's object file and where crash placed it (addr None: not found)."""

    name: str
    size: int
    is_code: bool
    addr: int | None


@dataclass
class ModuleTable:
    """One module's symbols as crash keeps them."""

    name: str
    memory_layout: bool  # 6.4+ mod->mem[]
    regions: list[Region]  # core areas with a size (crash's IN_MODULE)
    init_regions: list[Region]
    entries: list[Entry]  # sorted, with the _MODULE_* pseudo entries
    spans: list[tuple[int, int]]  # entries[lo..hi] (inclusive) searched per region
    sections: list[ModSection]  # empty without debuginfo
    text_end: int  # before 6.4 and without debuginfo: crash's mod_etext_guess

    @property
    def base(self) -> int:
        return self.regions[0].base if self.regions else 0

    @property
    def loaded(self) -> bool:
        """crash's MOD_LOAD_SYMS: the module's object file was read (mod -S)."""
        return bool(self.sections)

    def contains(self, value: int) -> bool:
        return any(value in r for r in self.regions + self.init_regions)

    def region_of(self, value: int) -> Region | None:
        return next((r for r in self.regions + self.init_regions if value in r), None)

    def section_start(self, section: ModSection) -> int:
        """Where crash thinks a section starts (an unplaced section sits at the base before 6.4)."""
        if section.addr is not None:
            return section.addr
        return 0 if self.memory_layout else self.base

    def is_text(self, value: int) -> bool:
        """crash's is_kernel_text() for a module address."""
        if not self.contains(value):
            return False
        if self.loaded:
            return any(s.is_code and self.section_start(s) <= value
                       < self.section_start(s) + s.size for s in reversed(self.sections))
        if self.memory_layout:
            return any(value in r for r in self.regions + self.init_regions
                       if r.tag in ("TEXT", "INIT_TEXT"))
        return self.base <= value < self.text_end

    def section_name(self, value: int) -> str:
        """crash's get_section() for a module address (sym -s)."""
        if not self.loaded:
            return f"in {self.name} module"
        for section in reversed(self.sections):
            start = self.section_start(section)
            if start <= value < start + section.size:
                return section.name
        return ""


def strip_module_symbol_end(name: str) -> str:
    """crash's strip_module_symbol_end(): drop an ``_R<hex>`` or ``_Rsmp_`` version suffix."""
    at = name.rfind("R")
    if at < 1 or name[at - 1] != "_":
        return name
    rest = name[at + 1:]
    if rest.startswith("smp_") or (rest and all(c in "0123456789abcdefABCDEF" for c in rest)):
        return name[:at - 1]
    return name


def sort_entries(entries: list[Entry]) -> list[Entry]:
    """crash's compare_syms(): by value, a module's start marker first, otherwise stable."""
    return sorted(entries, key=lambda e: (e.value, not e.name.startswith(SYMBOL_START_TAGS)))


def region_spans(entries: list[Entry], regions: list[Region], name: str) -> list[tuple[int, int]]:
    """Index ranges from each region's start marker to its end marker."""
    index = {e.name: i for i, e in enumerate(entries) if e.pseudo}
    spans = []
    for region in regions:
        lo, hi = index.get(region.start_name + name), index.get(region.end_name + name)
        if lo is not None and hi is not None:
            spans.append((lo, hi))
    return spans


def object_file_table(ext: ModuleTable, path: str) -> ModuleTable:
    """The table after ``mod -S`` (store_load_module_symbols): the object file's symbols placed
    by the sections crash located through the kallsyms table, plus unmatched kallsyms entries."""
    elf = ElfFile(path)
    symbols = elf.symbols()
    symbols.sort(key=lambda s: (not s.undefined, 0 if s.undefined else s.value, s.name))
    sections = locate_sections(ext, elf, symbols)
    placed = {s.name: s for s in reversed(sections) if s.addr is not None}
    unused: dict[str, deque[Entry]] = {}  # each name's kallsyms entries not yet matched
    for e in ext.entries:
        if not e.pseudo:
            unused.setdefault(e.name, deque()).append(e)
    entries: list[Entry] = []
    for sym in symbols:
        section = elf.section_of(sym)
        where = placed.get(section.name) if section else None
        if where is None or sym.name.startswith("."):
            continue
        if unused.get(sym.name):
            value = unused[sym.name].popleft().value
        else:
            value = where.addr + sym.value
        name = strip_symbol_end(strip_module_symbol_end(sym.name))
        if name:
            entries.append(Entry(value, elf.nm_type(sym), name))
    names = {e.name for e in entries}
    for e in ext.entries:
        if e.name not in names:
            names.add(e.name)
            entries.append(Entry(e.value, e.type, e.name))
    entries = sort_entries(entries)
    areas = ext.regions + ext.init_regions
    spans = (region_spans(entries, areas, ext.name) if ext.memory_layout
             else [(0, len(entries) - 1)])
    return ModuleTable(ext.name, ext.memory_layout, ext.regions, ext.init_regions, entries,
                       spans, sections, ext.text_end)


def locate_sections(ext: ModuleTable, elf: ElfFile, symbols: list[ElfSymbol]) -> list[ModSection]:
    """calculate_load_order_v2/_6_4(): place each section by the first kallsyms entry whose name
    is a symbol defined in it."""
    by_name: dict[str, ElfSymbol] = {}
    for sym in symbols:
        by_name.setdefault(sym.name, sym)
    sizes: dict[str, int] = {}
    for section in elf.sections[1:]:
        sizes.setdefault(section.name, section.size)
    found: dict[str, int] = {}
    for lo, hi in ext.spans:
        for entry in ext.entries[lo:hi]:
            if entry.pseudo or any(start <= entry.value < start + sizes[name]
                                   for name, start in found.items()):
                continue
            sym = by_name.get(entry.name)
            section = elf.section_of(sym) if sym else None
            if section is not None and section.name not in found:
                found[section.name] = entry.value - sym.value
    return [ModSection(s.name, s.size, s.is_code, found.get(s.name)) for s in elf.sections[1:]
            if s.type not in NON_BFD_SECTIONS]
