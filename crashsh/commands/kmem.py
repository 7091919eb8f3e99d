"""kmem: kernel memory (crash's cmd_kmem in memory.c): slabs, usage, zones, pages, vmalloc."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from crashsh.commands.system import context_info
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import htol, is_hexadecimal
from crashsh.conventions.usage import usage_block, usage_error
from crashsh.errors import CommandError
from crashsh.kernel import meminfo, memmap, slab, tasks
from crashsh.kernel.slab import Cache, CpuSlab, Slab, SlabWalker
from crashsh.parsing import CommandParser, HelpRequested
from crashsh.registry import command

EXCLUSIVE = ("s", "S", "p", "f", "F", "V", "o", "v", "C", "c", "i", "g", "h", "r")
NO_ADDRESS = ("z", "n", "i", "F", "C", "V", "o", "h", "r")
UNSUPPORTED = ("c", "C", "r")  # page cache hash table, root caches: not on these kernels
SORT_KEYS = {
    "size": lambda row: -row.object_size,
    "objects": lambda row: -row.allocated,
    "name": lambda row: row.name,
}


# -- records ------------------------------------------------------------------------------------
@dataclass
class Separated:
    """Results crash separates with blank lines: one group per address it reported on."""

    groups: list[list[object]]


@dataclass
class CacheRow:
    """One `kmem -s` line."""

    cache: int
    name: str
    object_size: int
    allocated: int
    total: int
    slabs: int
    slab_kb: int


@dataclass
class CacheTable:
    """`kmem -s`: the header and one row per cache."""

    rows: Iterator[CacheRow]


@dataclass
class CacheNames:
    """`kmem -s list`: address and name of every cache."""

    caches: list[tuple[int, str]]


@dataclass
class SlabRow:
    """A slab line: its struct slab, memory, node and object counts."""

    slab: int
    memory: int
    node: int
    total: int
    allocated: int
    free: int


@dataclass
class SlabObject:
    address: int
    allocated: bool
    cpu: int | None = None  # the CPU whose lockless freelist holds this free object


@dataclass
class SlabListing:
    """A slab with its objects (crash's verbose do_slab_slub)."""

    row: SlabRow
    objects: list[SlabObject]


@dataclass
class CpuSlabs:
    """`kmem -S`: one CPU's kmem_cache_cpu, current slab and partial slabs."""

    cpu: int
    kmem_cache_cpu: int
    slab: SlabListing | None
    partial: list[SlabListing]


@dataclass
class NodeSlabs:
    """`kmem -S`: one node's kmem_cache_node and its partial (and full) slab lines."""

    address: int
    node: int
    slabs: int
    nr_partial: int
    per_cpu: int
    partial: list[SlabRow]
    full: list[SlabRow] | None  # None: the kernel does not track full slabs for this cache


@dataclass
class CacheDetail:
    """`kmem -S`: a cache row followed by its CPU and node slabs."""

    row: CacheRow
    cpus: list[CpuSlabs]
    nodes: list[NodeSlabs]


@dataclass
class CacheDetails:
    """`kmem -S` output: a header before each cache."""

    caches: Iterator[CacheDetail]


@dataclass
class SlabOfAddress:
    """An address's cache row and its slab (only the object holding the address, unless all)."""

    row: CacheRow
    slab: SlabListing


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
    address: int
    name: str
    spanned: int
    present: int
    watermarks: tuple[int, int, int]
    vm_stat: dict[str, int]


@dataclass
class ZoneReport:
    zones: list[ZoneStats]


@dataclass
class PageTable:
    """`kmem -p`: struct page rows (every page, or those of the given addresses)."""

    physical_width: int
    rows: Iterator[memmap.PageRow]


@dataclass
class FlagBits:
    """`kmem -g [flags]`: the page flag bits (all, or those set in *flags*)."""

    flags: int
    bits: list[tuple[str, int]]
    name_width: int
    value_digits: int


@dataclass
class FreeArea:
    """One free list of `kmem -f`: order, block size, list head and its blocks' head pages."""

    order: int
    size_kb: int
    address: int
    blocks: list[int] = field(default_factory=list)


@dataclass
class FreeZone:
    """A zone line of `kmem -f`, with its free lists when it has free pages."""

    node: int
    index: int
    name: str
    size: int
    free: int
    mem_map: int
    start_paddr: int
    start_mapnr: int
    areas: list[FreeArea] | None


@dataclass
class FreePages:
    """`kmem -f` / `kmem -F`: the buddy free lists of every zone."""

    verbose: bool
    show_nodes: bool
    zones: list[FreeZone]
    total: int
    found: int


@dataclass
class FreeBlock:
    """`kmem -f ADDRESS` (and kmem ADDRESS): the free block holding a page."""

    zone: FreeZone
    area: FreeArea
    block: int
    note: str  # "(ADDRESS is Nth of M pages)" inside a multi-page block, else ""


@dataclass
class VmapTable:
    """`kmem -v` (and the vmalloc part of kmem ADDRESS): vmap areas with a vm_struct."""

    areas: list[memmap.VmapArea]


@dataclass
class NodeZone:
    """A zone line of `kmem -n`."""

    index: int
    name: str
    size: int
    mem_map: int
    start_paddr: int
    start_mapnr: int


@dataclass
class MemoryNode:
    """One node of `kmem -n`: its pglist_data, zones and first page."""

    node: int
    size: int
    pgdat: int
    zone_addresses: list[int]
    mem_map: int
    start_paddr: int
    start_mapnr: int
    zones: list[NodeZone]


@dataclass
class SectionRow:
    nr: int
    address: int
    coded_mem_map: int
    mem_map: int
    state: str
    pfn: int


@dataclass
class MemoryLayout:
    """`kmem -n`: nodes, SPARSEMEM sections and memory hotplug blocks."""

    nodes: list[MemoryNode]
    sections: list[SectionRow]
    blocks: list[memmap.MemoryBlock]
    physical_width: int


@dataclass
class PerCpuOffsets:
    """`kmem -o`: each CPU's __per_cpu_offset."""

    offsets: list[int]


@dataclass
class HugeStates:
    """`kmem -h`: the hugetlb page sizes."""

    states: list[meminfo.HugeState]
    page_size: int


@dataclass
class NotInMemMap:
    """The last line of kmem ADDRESS when no struct page was found."""

    address: int
    physical: bool


@dataclass
class AddressReport:
    """`kmem ADDRESS`: what crash found about the address, in its order (each followed by a
    blank line, except notices), then the page row or NotInMemMap."""

    findings: list[object]
    page: PageTable | NotInMemMap


# -- slabs --------------------------------------------------------------------------------------
def cache_row(w: SlabWalker, cache: Cache) -> CacheRow:
    usage = w.usage(cache)
    return CacheRow(cache.address, cache.name, cache.object_size, usage.allocated, usage.total,
                    usage.slabs, cache.slab_size // 1024)


def slab_row(slab: Slab, inuse: int) -> SlabRow:
    return SlabRow(slab.address, slab.memory, slab.node, slab.objects, inuse, slab.objects - inuse)


def slab_listing(w: SlabWalker, cache: Cache, s: Slab, only: int | None = None) -> SlabListing:
    """A slab's verbose listing; with *only*, just the object containing that address."""
    owner = w.slab_owner(cache, s)
    cpu_freelist = owner.freelist if owner else 0
    objects = []
    for address, free in w.objects(cache, s, cpu_freelist):
        start = address - cache.red_pad
        if only is not None and not start <= only < start + cache.size:
            continue
        objects.append(SlabObject(address, not free, owner.cpu if free and owner else None))
    return SlabListing(slab_row(s, w.shown_inuse(cache, s, owner)), objects)


def cpu_slabs(w: SlabWalker, cache: Cache, cpu: CpuSlab) -> CpuSlabs:
    current = slab_listing(w, cache, cpu.slab) if cpu.slab else None
    partial = [slab_listing(w, cache, s) for s in w.partial_chain(cpu.partial)]
    return CpuSlabs(cpu.cpu, cpu.address, current, partial)


def cache_detail(w: SlabWalker, cache: Cache) -> CacheDetail:
    cpus = w.cpu_slabs(cache)
    nodes = []
    for node in w.nodes(cache):
        per_cpu = sum(1 for c in cpus if c.slab and c.slab.node == node.node)
        partial = [slab_row(s, s.inuse) for s in w.node_list(node)]
        full = ([slab_row(s, s.inuse) for s in w.node_list(node, full=True)]
                if cache.flags & slab.SLAB_STORE_USER else None)
        nodes.append(NodeSlabs(node.address, node.node, node.nr_slabs, node.nr_partial, per_cpu,
                               partial, full))
    return CacheDetail(cache_row(w, cache), [cpu_slabs(w, cache, c) for c in cpus], nodes)


def sorted_rows(rows: Iterator[CacheRow], key: str | None) -> Iterator[CacheRow]:
    if key is None:
        return rows
    return iter(sorted(rows, key=SORT_KEYS[key]))


def slab_caches(session, name: str | None, verbose: bool, sort: str | None):
    """`kmem -s|-S [name]`: every cache, or the named one (crash prints nothing if none is)."""
    w = slab.walker(session.prog)
    if name == "list":
        return CacheNames([(c.address, c.name) for c in w.caches()])
    caches = (c for c in w.caches() if name is None or c.name == name)
    if name is not None:
        caches = itertools.islice(caches, 1)  # crash stops at the first cache of that name
    if verbose:
        return CacheDetails(cache_detail(w, c) for c in caches)
    return CacheTable(sorted_rows((cache_row(w, c) for c in caches), sort))


def slab_addresses(session, addresses: list[int], physical: list[bool], name: str | None,
                   verbose: bool) -> Separated:
    """`kmem -s|-S ADDRESS...`, crash's loop: a cache address selects that cache (shown when it
    is the last argument); any other address shows the slab holding it. Only the shown ones
    are separated by blank lines."""
    w = slab.walker(session.prog)
    m = memmap.mem_map(session.prog)
    groups: list[list[object]] = []
    pending: list[object] = []  # crash's warnings come before the blank line
    for i, (address, phys) in enumerate(zip(addresses, physical)):
        if phys and m.direct_address(address) is not None:
            address = m.direct_address(address)
        elif phys:
            pending.append(Notice(
                "WARNING", f"cannot make virtual-to-physical translation: {address:x}"))
        cache = w.cache_at(address)
        if cache is not None:
            if name is not None:
                raise CommandError("only one kmem_cache reference is allowed")
            name = cache.name
            if i + 1 < len(addresses):
                continue
            shown = [CacheDetails(iter([cache_detail(w, cache)])) if verbose
                     else CacheTable(iter([cache_row(w, cache)]))]
        else:
            shown = slab_of(w, address, name, verbose)
        if groups:
            groups[-1].extend(pending)
        else:
            shown = pending + shown
        groups.append(shown)
        pending = []
    return Separated(groups)


def translation_warning(prog, address: int) -> Notice | None:
    """vaddr_to_kmem_cache()'s complaint about an address without a struct page."""
    phys = memmap.kvtop(prog, address)
    if phys is None:
        return Notice("WARNING", f"cannot make virtual-to-physical translation: {address:x}")
    if memmap.mem_map(prog).section_of_pfn(phys >> memmap.mem_map(prog).pfn_shift) is None:
        return Notice("WARNING", f"cannot find mem_map page for address: {address:x}")
    return None


def slab_of(w: SlabWalker, address: int, name: str | None, verbose: bool) -> list:
    """The slab holding *address* (just its object, unless verbose or *address* is the slab)."""
    out: list = []
    found = w.slab_of_page(address)
    only = None
    if found is None:
        out.extend(filter(None, [translation_warning(w.prog, address)]))
        found = w.slab_of_address(address)
        only = None if verbose else address
    if found is None:
        return out + [Notice("kmem",
                             f"address is not allocated in slab subsystem: {address:x}")]
    if name is not None:  # crash compares name pointers, so even the same name is "ignored"
        out.append(Notice("kmem",
                          f"ignoring pre-selected {name} cache for address: {address:x}"))
    cache, s = found
    out.append(SlabOfAddress(cache_row(w, cache), slab_listing(w, cache, s, only)))
    return out


def page_size(session) -> int:
    return 1 << memmap.mem_map(session.prog).pfn_shift


# -- kmem -i -----------------------------------------------------------------------------------
def percent(part: int, whole: int) -> int:
    return part * 100 // whole if whole else 0


def memory_info(session) -> MemoryInfo:
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


# -- pages --------------------------------------------------------------------------------------
def page_row(session, address: int, physical: bool) -> memmap.PageRow | None:
    """crash's dump_mem_map() for one address: a struct page, a kernel or a physical address."""
    m = memmap.mem_map(session.prog)
    if not physical and memmap.is_kernel_address(session.prog, address):
        if m.is_page_ptr(address):
            return m.row_of_pfn(m.pfn_of_page(address))
        phys = memmap.kvtop(session.prog, address)
        if phys is None:
            return None
        address = phys
    return m.row_of_pfn(address >> m.pfn_shift)


def page_table(session, addresses: list[int] | None, physical: bool) -> PageTable:
    m = memmap.mem_map(session.prog)
    if addresses is None:
        return PageTable(m.physical_width, m.all_rows())
    rows = (page_row(session, a, physical) for a in addresses)
    return PageTable(m.physical_width, (r for r in rows if r is not None))


def flag_bits(session, flags: int) -> FlagBits:
    """crash's dump_page_flags(): widths from every enumerator, rows for the PG_ ones."""
    enumerators = memmap.page_flag_bits(session.prog)
    bits = [(name, value) for name, value in enumerators if "PG_" in name]
    largest = max((value for _, value in bits), default=0)
    shown = [(n, v) for n, v in bits if not flags or flags & (1 << v)]
    return FlagBits(flags, shown, max(len(name) for name, _ in enumerators), (largest + 1) // 4 + 1)


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


# -- kmem ADDRESS -------------------------------------------------------------------------------
def symbol_finding(session, address: int, module_tag: bool):
    """crash's show_symbol() line for an address in the kernel image or a module."""
    from crashsh.commands.symbols import line

    found = session.symtab.lookup_address(address)
    if found is None:
        return None
    sym, offset = found
    tag = sym.module if module_tag else None
    return line(sym, offset, tag, source=session.symtab.source_line(address))


def vmalloc_mappings(prog, phys: int) -> list[tuple[memmap.VmapArea, int]]:
    """The vmap areas with a page mapping the physical address, and that page's address plus
    the offset (crash's GET_PHYS_TO_VMALLOC takes the first; dump_vmlist lists them all)."""
    page_mask = (1 << memmap.mem_map(prog).pfn_shift) - 1
    found = []
    for area in memmap.vmap_areas(prog):
        for vaddr in range(area.start, area.end, page_mask + 1):
            mapped = memmap.kvtop(prog, vaddr)
            if mapped is not None and mapped & ~page_mask == phys & ~page_mask:
                found.append((area, vaddr + (phys & page_mask)))
                break
    return found


def address_report(session, address: int, physical: bool) -> AddressReport:
    """crash's kmem_search()."""
    prog = session.prog
    findings: list[object] = []
    vaddr = memmap.mem_map(prog).direct_address(address) if physical else address
    stext, end = prog.symbol("_stext").address, prog.symbol("_end").address
    if vaddr is not None and (stext <= vaddr <= end or memmap.is_module_address(address)):
        found = symbol_finding(session, vaddr, True)
        if found is not None:
            findings.append(found)
    if not physical and memmap.is_vmalloc_address(prog, address):
        owner = tasks.stack_owner(session.prog, address)
        if owner is not None:
            findings.append(context_info(session, owner))
        phys = memmap.kvtop(prog, address)
        areas = [a for a in memmap.vmap_areas(prog) if a.start <= address < a.end]
        if phys is not None and areas:
            findings.append(VmapTable(areas))
            return AddressReport(findings, page_or_missing(session, phys, True))
    mappings = vmalloc_mappings(prog, address) if physical else []
    if mappings:
        mapped = mappings[0][1]
        owner = tasks.stack_owner(session.prog, mapped)
        if owner is not None:
            findings.append(context_info(session, owner))
        found = symbol_finding(session, mapped, False)
        if found is not None:
            findings.append(found)
        findings.append(VmapTable([area for area, _ in mappings]))
        return AddressReport(findings, page_or_missing(session, address, True))
    if vaddr is not None:
        w = slab.walker(prog)
        findings.extend(filter(None, [translation_warning(prog, vaddr)]))
        found_slab = w.slab_of_address(vaddr)
        if found_slab is not None:
            cache, s = found_slab
            findings.append(SlabOfAddress(cache_row(w, cache), slab_listing(w, cache, s, vaddr)))
        found_page = w.slab_of_page(vaddr)
        if found_page is not None:
            cache, s = found_page
            findings.append(SlabOfAddress(cache_row(w, cache), slab_listing(w, cache, s)))
    findings.extend(free_block(session, address, physical))
    if vaddr is not None:
        task = tasks.task_holding(session.prog, vaddr)
        if task is not None:
            findings.append(context_info(session, task))
    if vaddr is None:
        return AddressReport(findings, NotInMemMap(address, physical))
    return AddressReport(findings, page_or_missing(session, address, physical))


def page_or_missing(session, address: int, physical: bool) -> PageTable | NotInMemMap:
    row = page_row(session, address, physical)
    if row is None:
        # crash reports the translated address, still calling it "kernel virtual"
        phys = None if physical else memmap.kvtop(session.prog, address)
        return NotInMemMap(address if phys is None else phys, physical)
    return PageTable(memmap.mem_map(session.prog).physical_width, iter([row]))


# -- arguments ----------------------------------------------------------------------------------
RIVALS = {"s": "Sr", "S": "sr", "r": "sS", "f": "F", "F": "f", "c": "C", "C": "c"}


class LaterWins(argparse.Action):
    """crash's getopt: -s, -S and -r cancel each other (as do -f/-F and -c/-C); the later wins."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        for rival in RIVALS[self.dest]:
            setattr(namespace, rival, False)
        setattr(namespace, self.dest, True)


def kmem_parser() -> CommandParser:
    p = CommandParser("kmem", "kernel memory", add_help=False)  # -h is hstates

    def flag(letter: str, text: str) -> None:
        action = LaterWins if letter in RIVALS else "store_true"
        p.add_argument(f"-{letter}", dest=letter, action=action, help=text)

    flag("s", "kmem_cache (slab) usage")
    flag("S", "kmem -s plus each CPU's and node's slabs and objects")
    flag("r", "root slab caches (memcg kernels)")
    flag("i", "memory usage summary")
    flag("v", "vmalloc areas")
    flag("V", "vm_stat, vm_node_stat and vm_event_states")
    flag("n", "memory nodes, sections and blocks")
    flag("z", "zone statistics")
    flag("f", "free pages by zone and order")
    flag("F", "kmem -f with each free page")
    flag("p", "the page structs (mem_map)")
    flag("g", "page flag bits, or the names of the bits in a flags value")
    flag("h", "hugetlb hstates")
    flag("c", "page cache hash table (old kernels)")
    flag("C", "page cache hash table, verbose (old kernels)")
    flag("o", "per-CPU offsets")
    flag("P", "the address is physical")
    p.add_argument("--sort", choices=tuple(SORT_KEYS), help="crashsh: order kmem -s rows")
    p.add_argument("args", nargs="*", metavar="address|slab")
    return p


SYNOPSIS = ("[-f|-F|-c|-C|-i[=shared]|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]\n"
            "       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]")


def usage(message: str = "") -> Exception:
    """crash's cmd_usage(), after its reason when there is one (both in the output)."""
    if message:
        return usage_error("kmem", message)
    return HelpRequested(usage_block("kmem"))


@command("kmem", "kernel memory", kmem_parser, synopsis=SYNOPSIS)
def run_kmem(session, args):
    chosen = [f for f in EXCLUSIVE if getattr(args, f)]
    if len(chosen) > 1:
        raise usage("only one flag allowed!")
    for letter in UNSUPPORTED:
        if getattr(args, letter):
            raise CommandError(f"-{letter} option not supported or applicable on this "
                               "architecture or kernel")
    addresses: list[int] = []
    name = None
    for text in args.args:
        if is_hexadecimal(text):
            addresses.append(htol(text))
            continue
        if name is not None:
            raise CommandError("only one kmem_cache reference is allowed")
        name = text[1:] if text.startswith("\\") else text
        if not (args.s or args.S or args.r):
            raise usage()
    if addresses:
        if any(getattr(args, f) for f in NO_ADDRESS):
            raise usage("no address arguments allowed with this option")
        return address_outputs(session, args, addresses, name)
    return whole_outputs(session, args, name)


def address_outputs(session, args, addresses: list[int], name: str | None):
    prog = session.prog
    physical = [args.P or not memmap.is_kernel_address(prog, a) for a in addresses]
    if args.p:  # one header for all the rows
        return page_table(session, addresses, args.P)
    if args.v:
        areas = memmap.vmap_areas(prog)
        return VmapTable([a for address in addresses for a in areas if a.start <= address < a.end])
    if args.s or args.S:
        return slab_addresses(session, addresses, physical, name, args.S)
    if args.g:
        return Separated([[flag_bits(session, address)] for address in addresses])
    if args.f:
        return Separated([free_block(session, a, p) for a, p in zip(addresses, physical)])
    return Separated([[address_report(session, a, p)] for a, p in zip(addresses, physical)])


def whole_outputs(session, args, name: str | None):
    if args.s or args.S:
        return slab_caches(session, name, args.S, args.sort)
    if args.i:
        return memory_info(session)
    if args.g:
        return flag_bits(session, 0)
    if args.p:
        return page_table(session, None, args.P)
    if args.f or args.F:
        return free_pages(session, args.F)
    if args.v:
        return VmapTable(memmap.vmap_areas(session.prog))
    if args.h:
        return HugeStates(meminfo.huge_states(session.prog), page_size(session))
    if args.n:
        return memory_layout(session)
    if args.o:
        return PerCpuOffsets(slab.walker(session.prog).percpu_offsets)
    if args.V:
        return vm_stats(session)
    if args.z:
        return zone_report(session)
    raise usage()
