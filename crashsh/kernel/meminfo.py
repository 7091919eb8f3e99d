"""Memory counters as crash reads them: kmem -i rows, vm_stat items, zones, vm events."""

from __future__ import annotations

from dataclasses import dataclass

import drgn
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.mmzone import for_each_online_pgdat
from drgn.helpers.linux.percpu import per_cpu, percpu_counter_sum

from crashsh.dumpfacts import facts
from crashsh.kernel.tasks import present_cpus
from crashsh.records import Address

SWP_USED = 1


def crash_cpus(prog: drgn.Program) -> range:
    """crash's CPUs (kt->cpus on x86_64): 0 up to the highest present CPU."""
    return range(max(present_cpus(prog)) + 1)


# -- vm_stat ------------------------------------------------------------------------------------
def enum_names(prog: drgn.Program, enum: str, stop: str) -> list[str]:
    """Enumerator names by value below *stop*; when two share a value the later one wins."""
    names: dict[int, str] = {}
    for name, value in prog.type(f"enum {enum}").enumerators:
        if name == stop:
            break
        names[value] = name
    return [names[i] for i in sorted(names)]


def zone_stat_names(prog: drgn.Program) -> list[str]:
    return enum_names(prog, "zone_stat_item", "NR_VM_ZONE_STAT_ITEMS")


def node_stat_names(prog: drgn.Program) -> list[str]:
    return enum_names(prog, "node_stat_item", "NR_VM_NODE_STAT_ITEMS")


def event_names(prog: drgn.Program) -> list[str]:
    return enum_names(prog, "vm_event_item", "NR_VM_EVENT_ITEMS")


def counters(array: drgn.Object, count: int) -> list[int]:
    """The first *count* ``atomic_long_t`` values of an array."""
    return [array[i].counter.value_() for i in range(count)]


def global_zone_stats(prog: drgn.Program) -> dict[str, int]:
    names = zone_stat_names(prog)
    return dict(zip(names, counters(prog["vm_zone_stat"], len(names))))


def global_node_stats(prog: drgn.Program) -> dict[str, int]:
    names = node_stat_names(prog)
    return dict(zip(names, counters(prog["vm_node_stat"], len(names))))


def zone_stats(zone: drgn.Object) -> dict[str, int]:
    names = zone_stat_names(zone.prog_)
    return dict(zip(names, counters(zone.vm_stat, len(names))))


def vm_events(prog: drgn.Program) -> dict[str, int]:
    """``vm_event_states`` summed over crash's CPUs."""
    names = event_names(prog)
    totals = [0] * len(names)
    for cpu in crash_cpus(prog):
        events = per_cpu(prog["vm_event_states"], cpu).event
        for i in range(len(names)):
            totals[i] += events[i].value_()
    return dict(zip(names, totals))


# -- zones --------------------------------------------------------------------------------------
def zones(prog: drgn.Program) -> list[tuple[int, int, drgn.Object]]:
    """(node, index, zone) for every zone of every online node."""
    found = []
    for pgdat in for_each_online_pgdat(prog):
        nid = pgdat.node_id.value_()
        for i, zone in enumerate(pgdat.node_zones):
            found.append((nid, i, zone))
    return found


def zone_name(zone: drgn.Object) -> str:
    return zone.name.string_().decode(errors="replace")


def watermarks(zone: drgn.Object) -> tuple[int, int, int]:
    """(min, low, high) from the zone's watermark array, without the boost."""
    prog = zone.prog_
    try:
        marks = zone._watermark
    except AttributeError:  # renamed _watermark in 5.0 (watermark boosting)
        marks = zone.watermark
    return tuple(marks[prog[w].value_()].value_()
                 for w in ("WMARK_MIN", "WMARK_LOW", "WMARK_HIGH"))


# -- kmem -i ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryUsage:
    """The page counts of crash's kmem -i."""

    total: int
    free: int
    buffers: int
    cached: int
    slab: int
    huge_total: int
    huge_free: int
    swap_total: int
    swap_used: int
    commit_limit: int
    committed: int


def totalram_pages(prog: drgn.Program) -> int:
    try:
        return prog["_totalram_pages"].counter.value_()
    except KeyError:  # an unsigned long before 5.0
        return prog["totalram_pages"].value_()


def blockdev_pages(prog: drgn.Program) -> int:
    """crash's nr_blockdev_pages_v2(): ``i_mapping->nrpages`` over the bdev superblock's inodes."""
    sb = prog["blockdev_superblock"]
    return sum(
        inode.i_mapping.nrpages.value_()
        for inode in list_for_each_entry("struct inode", sb.s_inodes.address_of_(), "i_sb_list")
    )


@dataclass(frozen=True)
class HugeState:
    """One ``hstates[]`` entry."""

    address: Address
    order: int
    free: int
    total: int
    name: str


def huge_states(prog: drgn.Program) -> list[HugeState]:
    """The hstates with a non-zero order (the others are unused slots)."""
    try:
        hstates = prog["hstates"]
    except KeyError:
        return []
    return [
        HugeState(h.address_of_().value_(), h.order.value_(), h.free_huge_pages.value_(),
                  h.nr_huge_pages.value_(), h.name.string_().decode(errors="replace"))
        for h in hstates
        if h.order.value_()
    ]


def hugetlb_pages(prog: drgn.Program) -> tuple[int, int]:
    """(total, free) base pages in the hstates."""
    states = huge_states(prog)
    return (sum(h.total << h.order for h in states), sum(h.free << h.order for h in states))


def swap_pages(prog: drgn.Program) -> tuple[int, int]:
    """(total, used) pages of the ``swap_info[]`` entries with SWP_USED."""
    total = used = 0
    for i in range(prog["nr_swapfiles"].value_()):
        si = prog["swap_info"][i]
        if si and si.flags.value_() & SWP_USED:
            total += si.pages.value_()
            used += si.inuse_pages.value_()
    return total, used


SLAB_ITEMS = (  # crash's order: the first set whose first item exists
    ("NR_SLAB",),
    ("NR_SLAB_RECLAIMABLE", "NR_SLAB_UNRECLAIMABLE"),
    ("NR_SLAB_RECLAIMABLE_B", "NR_SLAB_UNRECLAIMABLE_B"),  # 5.9
)


def slab_pages(stats: dict[str, int]) -> int:
    for items in SLAB_ITEMS:
        if items[0] in stats:
            return sum(stats.get(item, 0) for item in items)
    return 0


def memory_usage(prog: drgn.Program) -> MemoryUsage:
    """The values of crash's dump_kmeminfo(); COMMITTED is the true percpu sum, not crash's."""
    total = totalram_pages(prog)
    stats = global_zone_stats(prog) | global_node_stats(prog)
    buffers = blockdev_pages(prog)
    huge_total, huge_free = hugetlb_pages(prog)
    swap_total, swap_used = swap_pages(prog)
    overcommit_kb = prog["sysctl_overcommit_kbytes"].value_()
    if overcommit_kb:
        limit = overcommit_kb >> (facts(prog).page_shift - 10)
    else:
        limit = (total - huge_total) * prog["sysctl_overcommit_ratio"].value_() // 100
    committed = max(percpu_counter_sum(prog["vm_committed_as"].address_of_()), 0)
    return MemoryUsage(
        total=total,
        free=sum(span.free for span in zone_spans(prog)),
        buffers=buffers,
        cached=max(stats["NR_FILE_PAGES"] - stats.get("NR_SWAPCACHE", 0) - buffers, 0),
        slab=slab_pages(stats),
        huge_total=huge_total,
        huge_free=huge_free,
        swap_total=swap_total,
        swap_used=swap_used,
        commit_limit=limit + swap_total,
        committed=committed,
    )


# -- free areas ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class FreeList:
    """One ``free_area[order].free_list[migratetype]`` and the head pages of its blocks."""

    order: int
    address: Address
    pages: list[Address]


@dataclass(frozen=True)
class ZoneSpan:
    """A zone's place and size, and its free pages (``vm_stat[NR_FREE_PAGES]``)."""

    node: int
    index: int
    name: str
    spanned: int
    free: int
    start_pfn: int
    zone: drgn.Object


def zone_spans(prog: drgn.Program) -> list[ZoneSpan]:
    index = prog["NR_FREE_PAGES"].value_()
    return [
        ZoneSpan(nid, i, zone_name(z), z.spanned_pages.value_(),
                 z.vm_stat[index].counter.value_(), z.zone_start_pfn.value_(), z)
        for nid, i, z in zones(prog)
    ]


def free_lists(zone: drgn.Object) -> list[FreeList]:
    """Every free list of the zone, by order then migrate type, walked through ``page.lru``."""
    prog = zone.prog_
    lru = drgn.offsetof(prog.type("struct page"), "lru")
    found = []
    for order, area in enumerate(zone.free_area):
        for head in area.free_list:
            address = head.address_of_().value_()
            found.append(FreeList(order, address, list_entries(prog, address, lru)))
    return found


def list_entries(prog: drgn.Program, head: int, offset: int) -> list[int]:
    """The containers of a list_head list (raw reads; stops at a repeated entry, as crash)."""
    entries: list[int] = []
    seen = set()
    node = prog.read_u64(head)
    while node != head and node not in seen:
        seen.add(node)
        entries.append(node - offset)
        node = prog.read_u64(node)
    return entries
