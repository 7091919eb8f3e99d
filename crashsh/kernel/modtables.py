"""Module symbol tables as crash builds them from the dump (symbols.c).

store_module_symbols_v2 (_6_4 since Linux 6.4): start and end markers per memory area, the
exported symbols, then the module's kallsyms. crashsh.toolchain.modsyms keeps the tables and
reads the modules' object files (``mod -S``).
"""

from __future__ import annotations

import drgn
from drgn.helpers.linux.module import for_each_module

from crashsh.dumpfacts import MASK64
from crashsh.toolchain.elf import SYMBOL as SYMBOL_FIELDS
from crashsh.toolchain.modsyms import (
    Entry,
    ModuleTable,
    Region,
    region_spans,
    sort_entries,
    strip_module_symbol_end,
    strip_symbol_end,
)

MEM_TAGS = ("TEXT", "DATA", "RODATA", "RO_AFTER_INIT", "INIT_TEXT", "INIT_DATA", "INIT_RODATA")
FIRST_INIT_MEM = 4  # MOD_INIT_TEXT
ELF64_SYM_SIZE = 24


def module_tables(prog: drgn.Program) -> list[ModuleTable]:
    """Each loaded module's table as crash builds it from the dump, in the modules list's order."""
    return [kallsyms_table(mod, mod.name.string_().decode(errors="replace"))
            for mod in for_each_module(prog)]


def module_regions(mod: drgn.Object) -> tuple[list[Region], list[Region], int, bool]:
    """(core regions, init regions, etext guess, 6.4 layout) of a ``struct module``."""
    try:
        mem = mod.mem  # Linux 6.4: struct module_memory mem[MOD_MEM_NUM_TYPES]
    except AttributeError:
        core = mod.core_layout
        base = core.base.value_()
        init = mod.init_layout
        regions = [Region("", base, core.size.value_())]
        init_regions = [Region("INIT", init.base.value_(), init.size.value_())]
        return regions, [r for r in init_regions if r.size], base + core.text_size.value_(), False
    areas = [Region(tag, mem[i].base.value_(), mem[i].size.value_())
             for i, tag in enumerate(MEM_TAGS)]
    core = [r for r in areas[:FIRST_INIT_MEM] if r.size]
    init = [r for r in areas[FIRST_INIT_MEM:] if r.size]
    return core, init, 0, True


def exported_symbols(mod: drgn.Object) -> list[Entry]:
    """The module's EXPORT_SYMBOL and EXPORT_SYMBOL_GPL entries, type '?'."""
    entries = []
    for table, count in (("syms", "num_syms"), ("gpl_syms", "num_gpl_syms")):
        try:
            syms, n = getattr(mod, table), getattr(mod, count).value_()
        except AttributeError:
            continue
        for i in range(n):
            value, name = kernel_symbol(syms[i])
            name = strip_symbol_end(strip_module_symbol_end(name))
            if name:
                entries.append(Entry(value, "?", name))
    return entries


def kernel_symbol(sym: drgn.Object) -> tuple[int, str]:
    """(value, name) of a ``struct kernel_symbol``, PREL32 offsets or plain pointers."""
    prog = sym.prog_
    try:
        value = sym.value_offset.address_ + sym.value_offset.value_()
        name_at = sym.name_offset.address_ + sym.name_offset.value_()
    except AttributeError:  # no CONFIG_HAVE_ARCH_PREL32_RELOCATIONS
        value, name_at = sym.value.value_(), sym.name.value_()
    name = drgn.Object(prog, "char *", name_at).string_().decode(errors="replace")
    return value & MASK64, name


def kallsyms_symbols(mod: drgn.Object, table: ModuleTable, exports: list[Entry]) -> list[Entry]:
    """store_module_kallsyms_v2(): the module's core kallsyms not already exported."""
    prog = mod.prog_
    kallsyms = mod.core_kallsyms
    count = kallsyms.num_symtab.value_()
    strtab = kallsyms.strtab.value_()
    raw = prog.read(kallsyms.symtab.value_(), count * ELF64_SYM_SIZE)
    region = table.region_of(strtab)
    strings = prog.read(strtab, region.end - strtab) if region else b""
    exported: dict[tuple[int, str], Entry] = {}
    for e in exports:
        exported.setdefault((e.value, e.name), e)
    entries = []
    for i in range(1, count):
        at = i * ELF64_SYM_SIZE
        st_name, info, _other, shndx, value, _size = SYMBOL_FIELDS.unpack_from(raw, at)
        if not table.contains(value) or shndx == 0 or not table.contains(strtab + st_name):
            continue
        end = strings.find(b"\0", st_name)
        name = strip_symbol_end(strings[st_name:end].decode(errors="replace"))
        if not name:
            continue
        export = exported.get((value, name))
        if export is not None:
            if export.type == "?":
                export.type = kallsyms_type(info)
            continue
        entries.append(Entry(value, kallsyms_type(info), name))
    return entries


def kallsyms_type(info: int) -> str:
    """crash's Elf64_Sym_to_common() view of st_info as a type letter."""
    if 0x20 <= info < 0x7F:
        return chr(info)
    return {0x02: "t", 0x12: "T"}.get(info, "?")


def kallsyms_table(mod: drgn.Object, name: str) -> ModuleTable:
    """The module's table as crash builds it from the dump (store_module_symbols_v2/_6_4)."""
    regions, init_regions, text_end, layout = module_regions(mod)
    table = ModuleTable(name, layout, regions, init_regions, [], [], [], text_end)
    areas = regions + init_regions
    starts = [Entry(r.base, "m", r.start_name + name) for r in areas]
    exports = exported_symbols(mod)
    last = 1 if layout else 0  # since 6.4 an end marker is the area's last byte
    ends = [Entry(r.end - last, "m", r.end_name + name) for r in areas]
    entries = starts + exports + kallsyms_symbols(mod, table, exports) + ends
    table.entries = sort_entries(entries)
    table.spans = region_spans(table.entries, areas, name)
    return table
