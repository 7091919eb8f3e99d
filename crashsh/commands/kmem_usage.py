"""kmem -i, -V, -z, -n, -h, -o: memory usage, vm statistics, zones, nodes and sections."""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsh.kernel import memmap, meminfo
from crashsh.records import LAYOUT, Address, Word


@dataclass
class UsageLine:
    """A `kmem -i` row: pages, and the percentage of its base (None prints ``----``)."""

    label: str
    pages: int
    percent: int | None = None
    base: str = "TOTAL MEM"


@dataclass
class MemoryInfo:
    """`kmem -i`: groups of rows separated by blank lines."""

    groups: list[list[UsageLine]]
    page_size: int


@dataclass
class VmStats:
    """`kmem -V`: the global zone and node counters and the summed VM events."""

    zone: dict[str, int]
    node: dict[str, int]
    events: dict[str, int]


@dataclass
class ZoneStats:
    """One zone of `kmem -z`."""

    node: int
    index: int
    address: Address
    name: str
    spanned: int
    present: int
    watermarks: tuple[int, int, int]
    vm_stat: dict[str, int]


@dataclass
class ZoneReport:
    zones: list[ZoneStats]


@dataclass
class NodeZone:
    """A zone line of `kmem -n`."""

    index: int
    name: str
    size: int
    mem_map: Address
    start_paddr: Address
    start_mapnr: int


@dataclass
class MemoryNode:
    """One node of `kmem -n`: its pglist_data, zones and first page."""

    node: int
    size: int
    pgdat: Address
    zone_addresses: list[Address]
    mem_map: Address
    start_paddr: Address
    start_mapnr: int
    zones: list[NodeZone]


@dataclass
class SectionRow:
    nr: int
    address: Address
    coded_mem_map: Word
    mem_map: Address
    state: str
    pfn: int


@dataclass
class MemoryLayout:
    """`kmem -n`: nodes, SPARSEMEM sections and memory hotplug blocks."""

    nodes: list[MemoryNode]
    sections: list[SectionRow]
    blocks: list[memmap.MemoryBlock]
    physical_width: int = field(metadata=LAYOUT)


@dataclass
class PerCpuOffsets:
    """`kmem -o`: each CPU's __per_cpu_offset."""

    offsets: list[Address]


@dataclass
class HugeStates:
    """`kmem -h`: the hugetlb page sizes."""

    states: list[meminfo.HugeState]
    page_size: int


def page_size(session) -> int:
    return 1 << memmap.mem_map(session.prog).pfn_shift


# -- kmem -i -----------------------------------------------------------------------------------
def percent(part: int, whole: int) -> int:
    return part * 100 // whole if whole else 0


def memory_info(session, shared: bool = False) -> MemoryInfo:
    """`kmem -i`; `-i=shared` adds SHARED, which crash counts walking every struct page."""
    u = meminfo.memory_usage(session.prog)
    of_total = lambda label, pages: UsageLine(label, pages, percent(pages, u.total))
    used = u.total - u.free
    swap_free = u.swap_total - u.swap_used
    committed = UsageLine("COMMITTED", u.committed)
    if u.commit_limit:
        committed = UsageLine("COMMITTED", u.committed, percent(u.committed, u.commit_limit),
                              "TOTAL LIMIT")
    return MemoryInfo([
        [UsageLine("TOTAL MEM", u.total), of_total("FREE", u.free), of_total("USED", used),
         *([of_total("SHARED", memmap.mem_map(session.prog).shared_pages())] if shared else []),
         of_total("BUFFERS", u.buffers), of_total("CACHED", u.cached), of_total("SLAB", u.slab)],
        [UsageLine("TOTAL HUGE", u.huge_total),
         UsageLine("HUGE FREE", u.huge_free, percent(u.huge_free, u.huge_total), "TOTAL HUGE")],
        [UsageLine("TOTAL SWAP", u.swap_total),
         UsageLine("SWAP USED", u.swap_used, percent(u.swap_used, u.swap_total), "TOTAL SWAP"),
         UsageLine("SWAP FREE", swap_free, percent(swap_free, u.swap_total), "TOTAL SWAP")],
        [UsageLine("COMMIT LIMIT", u.commit_limit), committed],
    ], page_size(session))


# -- vm_stat and zones --------------------------------------------------------------------------
def vm_stats(session) -> VmStats:
    prog = session.prog
    return VmStats(meminfo.global_zone_stats(prog), meminfo.global_node_stats(prog),
                   meminfo.vm_events(prog))


def zone_report(session) -> ZoneReport:
    """`kmem -z`: every zone of every online node (numbered as crash counts nodes)."""
    nodes: dict[int, int] = {}
    zones = []
    for nid, index, zone in meminfo.zones(session.prog):
        n = nodes.setdefault(nid, len(nodes))
        zones.append(ZoneStats(n, index, zone.address_of_().value_(), meminfo.zone_name(zone),
                               zone.spanned_pages.value_(), zone.present_pages.value_(),
                               meminfo.watermarks(zone), meminfo.zone_stats(zone)))
    return ZoneReport(zones)


# -- kmem -n -----------------------------------------------------------------------------------
def memory_layout(session) -> MemoryLayout:
    prog = session.prog
    m = memmap.mem_map(prog)
    nodes = []
    for nid, start, end in m.node_ranges:
        zones = [span for span in meminfo.zone_spans(prog) if span.node == nid]
        rows = []
        for span in zones:
            mem_map = (m.page_of_pfn(span.start_pfn)
                       if span.spanned and m.section_of_pfn(span.start_pfn) else 0)
            rows.append(NodeZone(span.index, span.name, span.spanned, mem_map,
                                 span.start_pfn << m.pfn_shift,
                                 span.start_pfn if span.spanned else 0))
        pgdat = zones[0].zone.zone_pgdat.value_()
        nodes.append(MemoryNode(nid, end - start, pgdat,
                                [z.zone.address_of_().value_() for z in zones],
                                m.page_of_pfn(start), start << m.pfn_shift, start, rows))
    sections = [SectionRow(s.nr, s.address, s.coded_mem_map, s.mem_map,
                           memmap.section_state(prog, s), s.first_pfn) for s in m.sections]
    return MemoryLayout(nodes, sections, memmap.memory_blocks(prog), m.physical_width)
