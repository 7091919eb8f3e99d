"""kmem -f, -F: the buddy allocator's free lists (crash's dump_free_pages_zones_v2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsh.conventions.notices import Notice
from crashsh.kernel import memmap, meminfo
from crashsh.records import LAYOUT, Address


@dataclass
class FreeArea:
    """One free list of `kmem -f`: order, block size, list head and its blocks' head pages."""

    order: int
    size_kb: int
    address: Address
    blocks: list[Address] = field(default_factory=list)


@dataclass
class FreeZone:
    """A zone line of `kmem -f`, with its free lists when it has free pages."""

    node: int
    index: int
    name: str
    size: int
    free: int
    mem_map: Address
    start_paddr: Address
    start_mapnr: int
    areas: list[FreeArea] | None


@dataclass
class FreePages:
    """`kmem -f` / `kmem -F`: the buddy free lists of every zone."""

    verbose: bool = field(metadata=LAYOUT)
    show_nodes: bool = field(metadata=LAYOUT)
    zones: list[FreeZone]
    total: int
    found: int


@dataclass
class FreeBlock:
    """`kmem -f ADDRESS` (and kmem ADDRESS): the free block holding a page."""

    zone: FreeZone
    area: FreeArea
    block: Address
    note: str  # "(ADDRESS is Nth of M pages)" inside a multi-page block, else ""


# -- free pages ---------------------------------------------------------------------------------
def free_zone(session, span: meminfo.ZoneSpan, node_mem_map: int, areas) -> FreeZone:
    m = memmap.mem_map(session.prog)
    mem_map = 0
    if span.spanned and m.section_of_pfn(span.start_pfn) is not None:
        mem_map = m.page_of_pfn(span.start_pfn)
    mapnr = (mem_map - node_mem_map) // m.struct_size if mem_map else 0
    return FreeZone(span.node, span.index, span.name, span.spanned, span.free, mem_map,
                    span.start_pfn << m.pfn_shift, mapnr, areas)


def free_areas(span: meminfo.ZoneSpan) -> list[FreeArea]:
    size_kb = 1 << memmap.mem_map(span.zone.prog_).pfn_shift >> 10
    return [FreeArea(fl.order, size_kb << fl.order, fl.address, fl.pages)
            for fl in meminfo.free_lists(span.zone)]


def node_mem_maps(session) -> dict[int, int]:
    """Each node's first struct page (crash's node_table mem_map)."""
    m = memmap.mem_map(session.prog)
    return {nid: m.page_of_pfn(start) for nid, start, _ in m.node_ranges}


def free_pages(session, verbose: bool) -> FreePages:
    maps = node_mem_maps(session)
    zones = []
    found = 0
    for span in meminfo.zone_spans(session.prog):
        areas = free_areas(span) if span.free else None
        found += sum(len(a.blocks) << a.order for a in areas or ())
        zones.append(free_zone(session, span, maps[span.node], areas))
    return FreePages(verbose, len(maps) > 1, zones, sum(z.free for z in zones), found)


def ordinal(n: int) -> str:
    """crash's ordinal(): the suffix follows the last digit only (so 11st, 12nd)."""
    return f"{n}" + {"1": "st", "2": "nd", "3": "rd"}.get(str(n)[-1], "th")


def free_block(session, address: int, physical: bool) -> list:
    """crash's free-list search for one address: [] when it is not in a free block."""
    prog = session.prog
    m = memmap.mem_map(prog)
    if physical:
        phys = address
    elif m.is_page_ptr(address):
        phys = m.pfn_of_page(address) << m.pfn_shift
    else:
        phys = memmap.kvtop(prog, address)
        if phys is None:
            return []
    pfn = phys >> m.pfn_shift
    if m.section_of_pfn(pfn) is None:
        return [Notice("kmem", f"cannot determine page for {address:x}")]
    page = m.page_of_pfn(pfn)
    maps = node_mem_maps(session)
    for span in meminfo.zone_spans(prog):
        start, end = next((s, e) for n, s, e in m.node_ranges if n == span.node)
        if not span.free or not start <= pfn < end:
            continue
        for area in free_areas(span):
            pages_per_block = 1 << area.order
            for block in area.blocks:
                # crash's callback accepts the page just past the block too, then stops looking
                if block <= page <= block + pages_per_block * m.struct_size:
                    return found_block(session, span, maps, area, block, address, physical, phys)
    return []


def found_block(session, span, maps, area: FreeArea, block: int, address: int, physical: bool,
                phys: int) -> list:
    m = memmap.mem_map(session.prog)
    first = m.pfn_of_page(block) << m.pfn_shift
    pages_per_block = 1 << area.order
    if not first <= phys < first + (pages_per_block << m.pfn_shift):
        return []
    note = ""
    if pages_per_block > 1:
        within = "in " if physical and address & ((1 << m.pfn_shift) - 1) else ""
        nth = ordinal((phys - first) // (1 << m.pfn_shift) + 1)
        note = f"({address:x} is {within}{nth} of {pages_per_block} pages)"
    zone = free_zone(session, span, maps[span.node], None)
    return [FreeBlock(zone, FreeArea(area.order, area.size_kb, area.address), block, note)]
