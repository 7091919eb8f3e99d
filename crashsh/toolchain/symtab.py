"""crash's symbol table: vmlinux .symtab as crash stores it, plus each module's symbols.

Kernel (symbols.c symtab_init/store_symbols, x86_64_verify_symbol): every named .symtab entry,
sorted by (undefined first, value, name); entries before ``_text``/``_stext`` are dropped except
the per-cpu ones; names are cut at ``.isra.``/``.part.``/``.llvm.``; values inside the kernel's
sections get the KASLR offset.

Modules: see crashsh.toolchain.modsyms (the dump's tables come from crashsh.kernel.modtables).
"""

from __future__ import annotations

import bisect
import gc
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import drgn

from crashsh.dumpfacts import MASK64
from crashsh.filecache import cache_file
from crashsh.intervals import Ranges
from crashsh.toolchain.elf import ElfFile
from crashsh.toolchain.linetable import LineTable
from crashsh.toolchain.modsyms import (
    MARKER_NAMES,
    Entry,
    ModuleTable,
    Region,
    object_file_table,
    strip_symbol_end,
)


@dataclass(frozen=True)
class Symbol:
    """One symbol of crash's table: name, value, nm type letter and module (None: vmlinux)."""

    name: str
    value: int
    type: str
    module: str | None = None


@dataclass
class KernelTable:
    """The vmlinux part: parallel lists in crash's order."""

    values: list[int]
    types: list[str]
    names: list[str]
    first_ksymbol: int  # the unrelocated _text/_stext value (crash's st->first_ksymbol)
    percpu: bool

    @cached_property
    def by_name(self) -> dict[str, list[int]]:
        """Each name's indexes, in table order."""
        index: dict[str, list[int]] = {}
        with gc_paused():
            for i, name in enumerate(self.names):
                index.setdefault(name, []).append(i)
        return index


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while 100k+ small objects are made: it would run often for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def relocation_range(elf: ElfFile) -> tuple[int, int]:
    """crash's [first_section_start, last_section_end]: .text start to the highest section end."""
    text = elf.section(".text")
    if text is None:
        return 0, 0
    end = max(s.addr + s.size for s in elf.sections[text.index:])
    return text.addr, end


def read_kernel_table(elf: ElfFile, kaslr: int) -> KernelTable:
    """Build the vmlinux table as symtab_init() does."""
    symbols = elf.symbols()
    symbols.sort(key=lambda s: (not s.undefined, 0 if s.undefined else s.value, s.name))
    low, high = relocation_range(elf)
    values: list[int] = []
    types: list[str] = []
    names: list[str] = []
    started = percpu = False
    first_ksymbol = 0
    for sym in symbols:
        name = strip_symbol_end(sym.name)
        if not name:
            continue
        letter = elf.nm_type(sym)
        if not started:
            if name in ("_text", "_stext"):
                started, first_ksymbol = True, sym.value
            elif name == "__per_cpu_start":
                percpu = True
            elif not (percpu and (name.startswith("per_cpu") or name == "__per_cpu_end"
                                  or letter in "VdD")):
                continue
        value = sym.value + kaslr if low <= sym.value <= high else sym.value
        values.append(value)
        types.append(letter)
        names.append(name)
    return KernelTable(values, types, names, first_ksymbol, percpu)


# -- a cache of the vmlinux table: reading 100k+ ELF symbols takes ~0.6 s, loading it 30 ms ---
CACHE_VERSION = 1


def table_cache_file(vmlinux: str, kaslr: int) -> Path:
    """Per vmlinux (path, size, mtime) and KASLR offset, under $XDG_CACHE_HOME/crashsh."""
    return cache_file("symtab", vmlinux, CACHE_VERSION, kaslr, suffix=".pickle")


def load_cached_table(vmlinux: str, kaslr: int) -> KernelTable | None:
    try:
        with open(table_cache_file(vmlinux, kaslr), "rb") as f, gc_paused():
            values, types, names, first_ksymbol, percpu = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        return None
    return KernelTable(values, types, names, first_ksymbol, percpu)


def store_cached_table(vmlinux: str, kaslr: int, table: KernelTable) -> None:
    """Best effort: a read-only or full cache directory only costs the next start-up."""
    try:
        path = table_cache_file(vmlinux, kaslr)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump((table.values, table.types, table.names, table.first_ksymbol,
                         table.percpu), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass


# -- the table ------------------------------------------------------------------------------
def signed64(value: int) -> int:
    value &= MASK64
    return value - (1 << 64) if value >> 63 else value


@dataclass(frozen=True)
class Marker:
    """A module boundary line of ``sym -l/-M/-m``: ``%lx LABEL: TEXT``."""

    value: int
    label: str
    text: str


class CrashSymbolTable:
    """crash's symbol table for one program; each part is built on first use. *dump_modules*
    reads each loaded module's table from the dump (crashsh.kernel.modtables)."""

    def __init__(self, prog: drgn.Program,
                 dump_modules: Callable[[drgn.Program], list[ModuleTable]]) -> None:
        self.prog = prog
        self.dump_modules = dump_modules
        self.lines_of_module: dict[str, LineTable] = {}
        # stacks and memory repeat the same addresses: each one's lookup is kept
        self.lookup_address = lru_cache(maxsize=1 << 16)(self.search_address)

    # -- construction -------------------------------------------------------------------------
    @cached_property
    def vmlinux(self) -> ElfFile:
        main = self.prog.main_module()
        return ElfFile(main.debug_file_path or main.loaded_file_path)

    @cached_property
    def kaslr(self) -> int:
        from drgn.helpers.linux.boot import kaslr_offset

        return kaslr_offset(self.prog)

    @cached_property
    def kernel(self) -> KernelTable:
        path = self.prog.main_module().debug_file_path or self.prog.main_module().loaded_file_path
        cached = load_cached_table(path, self.kaslr)
        if cached is not None:
            return cached
        with gc_paused():
            table = read_kernel_table(self.vmlinux, self.kaslr)
        store_cached_table(path, self.kaslr, table)
        return table

    @cached_property
    def modules(self) -> list[ModuleTable]:
        """Every loaded module's table, by base address (crash's load_modules order)."""
        tables = []
        for table in self.dump_modules(self.prog):
            if table.name in self.debug_modules:
                table = object_file_table(table, self.debug_modules[table.name].debug_file_path)
            tables.append(table)
        return sorted(tables, key=lambda t: t.base)

    @cached_property
    def debug_modules(self) -> dict[str, drgn.RelocatableModule]:
        """drgn's modules whose debuginfo was found (crash's ``mod -S`` loads those)."""
        return {m.name: m for m in self.prog.modules()
                if isinstance(m, drgn.RelocatableModule) and m.debug_file_path}

    @cached_property
    def kernel_lines(self) -> LineTable:
        return LineTable(self.vmlinux, bias=self.kaslr)

    def module_lines(self, name: str) -> LineTable:
        """A module's lines, its sections where the kernel put them (as crash tells gdb)."""
        if name not in self.lines_of_module:
            module = self.debug_modules[name]
            elf = ElfFile(module.debug_file_path)
            addresses = module.section_addresses
            placed = {s.index: addresses[s.name] for s in elf.sections if s.name in addresses}
            self.lines_of_module[name] = LineTable(elf, section_addrs=placed)
        return self.lines_of_module[name]

    def source_line(self, addr: int) -> str | None:
        """What crash shows after a text address: gdb's ``file: line`` or "" (None: not text)."""
        if not self.is_text(addr):
            return None
        table = self.module_of(addr)
        if table is None:
            return self.kernel_lines.lookup(addr)
        if not table.loaded:
            return ""
        return self.module_lines(table.name).lookup(addr)

    @cached_property
    def kernel_text(self) -> list[tuple[int, int]]:
        """The vmlinux code sections, relocated (crash's is_kernel_text)."""
        return [(s.addr + self.kaslr, s.addr + s.size + self.kaslr)
                for s in self.vmlinux.sections if s.is_code]

    # -- symbols ------------------------------------------------------------------------------
    def kernel_symbol(self, i: int) -> Symbol:
        k = self.kernel
        return Symbol(k.names[i], k.values[i], k.types[i])

    @staticmethod
    def module_symbol(table: ModuleTable, entry: Entry) -> Symbol:
        return Symbol(entry.name, entry.value, entry.type, table.name)

    def module_of(self, value: int) -> ModuleTable | None:
        """crash's module_symbol(): the module whose memory holds *value*."""
        return self.module_areas.find(value)

    @cached_property
    def module_areas(self) -> Ranges[ModuleTable]:
        """Every module's memory areas (modules do not overlap)."""
        return Ranges((r.base, r.end, t) for t in self.modules for r in t.regions + t.init_regions)

    def module_named(self, name: str) -> ModuleTable | None:
        return next((t for t in self.modules if t.name == name), None)

    # -- by name ------------------------------------------------------------------------------
    def lookup_name(self, name: str) -> Symbol | None:
        """crash's symbol_search(): the kernel's first entry of that name, else a module's."""
        found = self.lookup_all(name)
        return found[0] if found else None

    def lookup_all(self, name: str) -> list[Symbol]:
        """Every symbol of that name: the kernel's in table order, then each module's."""
        found = [self.kernel_symbol(i) for i in self.kernel.by_name.get(name, ())]
        markers = any(tag in name for tag in MARKER_NAMES)  # crash's skip_symbols()
        for table in self.modules:
            found += [self.module_symbol(table, e) for e in table.entries
                      if e.name == name and (markers or not e.pseudo)]
        return found

    def query(self, text: str) -> list[Symbol]:
        """``sym -q``: every symbol whose name contains *text*."""
        k = self.kernel
        found = [self.kernel_symbol(i) for i, n in enumerate(k.names) if text in n]
        for table in self.modules:
            found += [self.module_symbol(table, e) for e in table.entries
                      if text in e.name and not e.pseudo]
        return found

    # -- by address ---------------------------------------------------------------------------
    def in_range(self, addr: int) -> bool:
        """crash's in_ksymbol_range(): the kernel's [_text, last symbol] or a module's memory."""
        k = self.kernel
        if k.values and k.values[0] <= addr <= k.values[-1]:
            return not (k.percpu and addr < k.first_ksymbol)
        return self.module_of(addr) is not None

    def search_address(self, addr: int) -> tuple[Symbol, int] | None:
        """crash's value_search(): the symbol at or before *addr* and the offset into it
        (lookup_address() is this, cached)."""
        if not self.in_range(addr):
            return None
        if self.module_of(addr) is None:
            return self.kernel_search(addr)
        for table in self.modules:
            found = self.module_search(table, addr)
            if found is not None:
                return found
        return None

    def kernel_search(self, addr: int) -> tuple[Symbol, int]:
        values, names = self.kernel.values, self.kernel.names
        i = bisect.bisect_left(values, addr)
        if i < len(values) and values[i] == addr:
            if self.prefer_next(names[i]) and i + 1 < len(values) and values[i + 1] == addr:
                i += 1
            return self.kernel_symbol(i), 0
        i = max(i - 1, 0)
        return self.kernel_symbol(i), signed64(addr - values[i])

    @staticmethod
    def prefer_next(name: str) -> bool:
        """value_search(): aliases it skips for the next symbol at the same address."""
        return (name.startswith((".text.", "SyS_", "compat_SyS_")) or "_text_start" in name)

    def module_search(self, table: ModuleTable, addr: int) -> tuple[Symbol, int] | None:
        """value_search_module(): scan each searched span of the module's entries."""
        if not table.memory_layout:
            lo, hi = table.spans[0] if table.spans else (0, -1)
            if hi < 0 or table.entries[lo].value > addr:
                return None
        elif not table.contains(addr):
            return None
        entries = table.entries
        for lo, hi in table.spans:
            if not entries[lo].value <= addr <= entries[hi].value:
                continue
            found = scan_span(entries, lo, hi, addr)
            if found is not None:
                entry, offset = found
                return self.module_symbol(table, entry), offset
        return None

    def value_symbol(self, addr: int) -> str | None:
        """crash's value_symbol(): the name of the symbol at exactly *addr*, else None."""
        found = self.lookup_address(addr)
        return found[0].name if found and found[1] == 0 else None

    def symstr(self, addr: int, radix: int = 10) -> str:
        """crash's value_to_symstr(): ``name+off`` (offset in *radix*, 10 or 16), ``name`` or ""."""
        plus = "+0x{:x}" if radix == 16 else "+{}"
        found = self.lookup_address(addr)
        table = self.module_of(addr)
        if found is None:
            if table is None:
                return ""
            region = table.region_of(addr)
            offset = addr - region.base if region else 0
            return f"({table.name} module)" + (plus.format(offset) if offset else "")
        sym, offset = found
        name = sym.name
        if table is not None:
            name = name.removeprefix("_MODULE_START_")
            owner = self.module_named(name)
            if owner is not None and addr < self.text_start(owner):
                return f"({name} module){plus.format(offset)}" if offset else f"({name})"
        return name + plus.format(offset) if offset else name

    @staticmethod
    def text_start(table: ModuleTable) -> int:
        """crash's mod_text_start: the .text section's address, else the module base."""
        text = next((s for s in table.sections if s.name == ".text" and s.addr is not None), None)
        return text.addr if text else table.base

    def is_text(self, addr: int) -> bool:
        """crash's is_kernel_text()."""
        for start, end in self.kernel_text:
            if start <= addr < end:
                return True
        found = self.lookup_address(addr)
        if found is not None and self.is_text_symbol(found[0]):
            return True
        table = self.module_of(addr)
        return table is not None and table.is_text(addr)

    def is_text_symbol(self, sym: Symbol) -> bool:
        if sym.type in "Tt":
            return True
        if sym.type in "Ww":
            return self.text_bounds is not None \
                and self.text_bounds[0] <= sym.value < self.text_bounds[1]
        return False

    @cached_property
    def text_bounds(self) -> tuple[int, int] | None:
        """The values of _stext and _etext."""
        stext, etext = self.lookup_name("_stext"), self.lookup_name("_etext")
        return (stext.value, etext.value) if stext and etext else None

    def section_name(self, addr: int) -> str:
        """crash's get_section() (``sym -s``): vmlinux sections are compared unrelocated."""
        table = self.module_of(addr)
        if table is not None:
            return table.section_name(addr)
        section = next((s for s in self.vmlinux.sections[1:]
                        if s.addr <= addr < s.addr + s.size), None)
        return section.name if section else ""

    # -- neighbours ---------------------------------------------------------------------------
    def next_symbol(self, sym: Symbol) -> Symbol | None:
        """crash's next_symbol(NULL, sp)."""
        if sym.module is None:
            k = self.kernel
            i = bisect.bisect_right(k.values, sym.value)
            if i < len(k.values):
                return self.kernel_symbol(i)
            if self.modules and self.modules[0].memory_layout:
                return None
            return self.first_module_symbol()
        table, i = self.position(sym)
        if not table.memory_layout:
            return self.following_module_symbol(table, i)
        lo, hi = next(span for span in table.spans if span[0] <= i <= span[1])
        if i == hi:
            return self.module_symbol_after(table.entries[i].value)
        entry = table.entries[i + 1]
        if entry.pseudo:
            return self.module_symbol_after(entry.value)
        return self.module_symbol(table, entry)

    def prev_symbol(self, sym: Symbol) -> Symbol | None:
        """crash's prev_symbol(NULL, sp)."""
        if sym.module is None:
            i = self.kernel_index(sym)
            return self.kernel_symbol(i - 1) if i > 0 else None
        table, i = self.position(sym)
        if not table.memory_layout:
            return self.preceding_module_symbol(table, i)
        lo, hi = next(span for span in table.spans if span[0] <= i <= span[1])
        if i == lo:
            return self.module_symbol_before(table.entries[i].value)
        entry = table.entries[i - 1]
        if entry.pseudo:
            return self.module_symbol_before(entry.value)
        return self.module_symbol(table, entry)

    def kernel_index(self, sym: Symbol) -> int:
        k = self.kernel
        i = bisect.bisect_left(k.values, sym.value)
        while k.names[i] != sym.name:
            i += 1
        return i

    def position(self, sym: Symbol) -> tuple[ModuleTable, int]:
        table = self.module_named(sym.module)
        i = next(i for i, e in enumerate(table.entries)
                 if e.name == sym.name and e.value == sym.value)
        return table, i

    def module_walk(self) -> list[tuple[ModuleTable, Entry]]:
        """Module entries as crash walks them before 6.4: each table but its last entry."""
        return [(t, e) for t in self.modules for e in t.entries[:-1] if not e.pseudo]

    def first_module_symbol(self) -> Symbol | None:
        walk = self.module_walk()
        return self.module_symbol(*walk[0]) if walk else None

    def following_module_symbol(self, table: ModuleTable, i: int) -> Symbol | None:
        walk = self.module_walk()
        at = next(n for n, (t, e) in enumerate(walk) if e is table.entries[i])
        return self.module_symbol(*walk[at + 1]) if at + 1 < len(walk) else None

    def preceding_module_symbol(self, table: ModuleTable, i: int) -> Symbol | None:
        walk = self.module_walk()
        at = next(n for n, (t, e) in enumerate(walk) if e is table.entries[i])
        if at:
            return self.module_symbol(*walk[at - 1])
        k = self.kernel
        return self.kernel_symbol(len(k.values) - 1) if k.values else None

    def module_symbol_after(self, value: int) -> Symbol | None:
        """next_module_symbol_by_value(): first real entry above *value* in the next span."""
        while True:
            spans = [(t, lo, hi) for t in self.modules for lo, hi in t.spans
                     if t.entries[lo].value > value]
            if not spans:
                return None
            table, lo, hi = min(spans, key=lambda s: s[0].entries[s[1]].value)
            for entry in table.entries[lo:hi]:
                if not entry.pseudo and entry.value > value:
                    return self.module_symbol(table, entry)
            value = table.entries[hi].value

    def module_symbol_before(self, value: int) -> Symbol | None:
        """prev_module_symbol_by_value(): last real entry below *value* in the previous span."""
        while True:
            spans = [(t, lo, hi) for t in self.modules for lo, hi in t.spans
                     if 0 < t.entries[hi].value < value]
            if not spans:
                return None
            table, lo, hi = max(spans, key=lambda s: s[0].entries[s[2]].value)
            for entry in reversed(table.entries[lo + 1:hi + 1]):
                if not entry.pseudo and entry.value < value:
                    return self.module_symbol(table, entry)
            value = table.entries[lo].value

    # -- listings -----------------------------------------------------------------------------
    def module_listing(self, name: str | None = None) -> list[Symbol | Marker]:
        """``sym -M`` / ``sym -m NAME``: each module's entries with its boundary markers."""
        lines: list[Symbol | Marker] = []
        for table in self.modules:
            if name is not None and table.name != name:
                continue
            for region, (lo, hi) in zip(table.regions + table.init_regions, table.spans):
                for entry in table.entries[lo:hi + 1]:
                    lines.append(self.listing_line(table, region, entry))
        return lines

    def listing_line(self, table: ModuleTable, region: Region, entry: Entry) -> Symbol | Marker:
        if not entry.pseudo:
            return Symbol(entry.name, entry.value, entry.type, table.name)
        what = f"MODULE {region.tag} " if region.tag else "MODULE "
        if entry.name == region.start_name + table.name:
            return Marker(entry.value, what + "START", table.name)
        if entry.name == region.end_name + table.name:
            return Marker(entry.value, what + "END", table.name)
        return Marker(entry.value, "unknown tag", entry.name)


def scan_span(entries: list[Entry], lo: int, hi: int, addr: int) -> tuple[Entry, int] | None:
    """The scan of value_search_module(): exact hits skip markers and section names."""
    last: Entry | None = None
    for i in range(lo, hi + 1):
        entry = entries[i]
        if entry.value == addr:
            if i == hi:
                return None  # the end marker
            if entry.pseudo:
                following = entries[i + 1]
                if following.pseudo:
                    continue
                if following.value == addr:
                    i, entry = i + 1, following
            if entry.name.startswith(".") and entries[i + 1].value == addr:
                entry = entries[i + 1]
            return entry, 0
        if entry.value > addr:
            before = last or entries[i - 1]
            return before, addr - before.value
        if not entry.pseudo:
            last = entry
    return None
