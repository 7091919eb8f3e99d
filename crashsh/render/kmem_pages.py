"""Plain text of kmem -p, -m, -g, -f and -F (crash's memory.c: dump_mem_map_SPARSEMEM,
show_page_member_data, dump_page_flags, dump_free_pages_zones_v2)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from crashsh.commands.kmem_free import FreeBlock, FreePages, FreeZone
from crashsh.commands.kmem_pages import FlagBits, PageMembers, PageTable
from crashsh.dumpfacts import MASK64
from crashsh.kernel.memmap import PageRow
from crashsh.kernel.pagemembers import PageMember
from crashsh.render.common import centered, hex_centered
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render, stream_plain

BATCH = 512  # rows formatted together


# -- kmem -p, -g --------------------------------------------------------------------------------
def page_header(physical_width: int) -> str:
    return f"      PAGE       {'PHYSICAL':>{physical_width}}      MAPPING       INDEX CNT FLAGS\n"


@plain.register
def _(table: PageTable) -> Iterator[str]:
    w = table.physical_width
    for i, r in enumerate(table.rows):
        if i == 0:
            yield page_header(w)
        yield page_line(r, w)


def page_line(r: PageRow, w: int) -> str:
    """One `kmem -p` row (crash's dump_mem_map)."""
    return (f"{r.page:<16x} {r.physical:{w}x} {r.mapping:16x} {r.index:8x} {r.count:2d} "
            f"{r.flags:x}{r.flag_names}\n")


# -- kmem -m -------------------------------------------------------------------------------------
def integer_format(member: PageMember) -> Callable[[int], str]:
    """crash's printf of an integer member: by its length, signedness and radix (a signed
    value in hex is C's %x of it as an int, or of all 64 bits, then without the two spaces)."""
    digits = member.length * 2
    if member.radix == 10:
        return "%d  ".__mod__
    if member.unsigned:
        return f"%0{digits}x  ".__mod__
    if member.length == 8:
        return lambda v: f"{v & MASK64:016x}"
    return lambda v: f"{v & 0xFFFFFFFF:0{digits}x}  "


def member_format(member: PageMember) -> Callable[[object], str]:
    """show_page_member_data()'s text of one member's value (some without the two spaces)."""
    if member.kind == "integer":
        return integer_format(member)
    if member.kind == "bool":
        return lambda v: (("true  " if v else "false  ") if v <= 1
                          else f"{v}" if member.radix == 10 else f"{v:x}  ")
    if member.kind == "words":
        return (",".join(["%016x"] * (member.length // 8)) + "  ").__mod__
    if member.kind == "ints":
        return ",".join(["%08x"] * (member.length // 4)).__mod__
    return {"pointer": "%016x  ", "counter": "%d  ", "short": "%04x  "}[member.kind].__mod__


@plain.register
def _(table: PageMembers) -> Iterator[str]:
    """The header, then the rows formatted a member at a time, a batch of rows at once."""
    yield centered("PAGE", 16) + "".join(f"  {m.name}" for m in table.members) + "\n"
    formats = [member_format(m) for m in table.members]
    rows = iter(table.rows)
    while batch := list(itertools.islice(rows, BATCH)):
        columns = [map(text, [row.values[i] for row in batch]) for i, text in enumerate(formats)]
        pages = ["%x  " % row.page for row in batch]
        yield "".join(map("".join, zip(pages, *columns, itertools.repeat("\n"))))


@plain.register
def _(bits: FlagBits) -> Iterator[str]:
    indent = "  " if bits.flags else ""
    if bits.flags:
        yield f"FLAGS: {bits.flags:x}\n"
    yield f"{indent}{'PAGE-FLAG':<{bits.name_width}} BIT  VALUE\n"
    for name, value in bits.bits:
        yield f"{indent}{name:<{bits.name_width}}  {value:2d}  {1 << value:0{bits.value_digits}x}\n"
    if bits.flags and not bits.bits:
        yield "  (none found)\n"


# -- kmem -f, -F --------------------------------------------------------------------------------
ZONE_HEADER = "ZONE  NAME        SIZE    FREE      MEM_MAP       START_PADDR  START_MAPNR\n"
AREA_HEADER = "AREA    SIZE  FREE_AREA_STRUCT\n"


def zone_line(z: FreeZone) -> str:
    return (f"{z.index:3d}   {z.name:<9} {z.size:6d}  {z.free:6d}  {hex_centered(z.mem_map, 16)}  "
            f"{hex_centered(z.start_paddr, 11, True)}  {centered(str(z.start_mapnr), 11, True)}\n")


def area_line(order: int, size_kb: int, address: int) -> str:
    return f"{order:3d}  {f'{size_kb}k':>7}  {hex_centered(address, 16)}  "


@plain.register
def _(free: FreePages) -> Iterator[str]:
    for n, z in enumerate(free.zones):
        if free.show_nodes and z.index == 0:
            if n:
                yield "\n" + "-" * 74 + "\n"
            yield f"{chr(10) if n else ''}NODE\n {z.node:2d}\n"
        yield ("\n" if z.index else "") + ZONE_HEADER
        yield zone_line(z)
        if z.areas is None:
            continue
        if not free.verbose:
            yield "AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES\n"
        for a in z.areas:
            if free.verbose:
                yield AREA_HEADER + area_line(a.order, a.size_kb, a.address) + "\n"
                yield "".join(f"{page:x}\n" for page in a.blocks)
            else:
                yield (area_line(a.order, a.size_kb, a.address)
                       + f"{len(a.blocks):6d} {len(a.blocks) << a.order:6d}\n")
    verified = "(verified)" if free.found == free.total else f"(found {free.found})"
    yield f"\nnr_free_pages: {free.total}  {verified}\n"


@plain.register
def _(found: FreeBlock) -> Iterator[str]:
    yield ZONE_HEADER
    yield zone_line(found.zone)
    yield AREA_HEADER
    yield area_line(found.area.order, found.area.size_kb, found.area.address) + "\n"
    yield f"{found.block:x}  {found.note}\n"


# -- rich: the long listings stream as plain text ----------------------------------------------
@rich_render.register(PageTable)
@rich_render.register(PageMembers)
def _(data, console) -> None:
    stream_plain(data, console)
