"""kmem -s / -S: SLUB caches, slabs and objects as crash's dump_kmem_cache_slub() shows them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from crashsh.conventions.notices import Notice
from crashsh.errors import CommandError
from crashsh.kernel import memmap, slab
from crashsh.kernel.slab import Cache, CacheNode, CpuSlab, Slab, SlabWalker
from crashsh.records import LAYOUT, Address

SORT_KEYS = {
    "size": lambda row: -row.object_size,
    "objects": lambda row: -row.allocated,
    "name": lambda row: row.name,
}


@dataclass
class CacheRow:
    """One `kmem -s` line."""

    cache: Address
    name: str
    object_size: int
    allocated: int
    total: int
    slabs: int
    slab_kb: int


@dataclass
class IgnoredCache:
    """A cache named by `kmem -I`: crash shows its address and name, tagged [IGNORED]."""

    cache: Address
    name: str
    ignored: bool = True


@dataclass
class CacheTable:
    """`kmem -s`: the header and one row per cache."""

    rows: Iterator[CacheRow | IgnoredCache]


@dataclass(frozen=True)
class SlabQuery:
    """What `kmem -s|-S` shows: one cache or all, verbose or not, the caches to ignore (-I),
    the CPUs whose slabs -S shows (-S=cpus; None: all) and crashsh's --sort."""

    name: str | None = None
    verbose: bool = False
    ignore: frozenset[str] = frozenset()
    cpus: frozenset[int] | None = None
    sort: str | None = None


@dataclass
class CacheNames:
    """`kmem -s list`: address and name of every cache."""

    caches: list[tuple[Address, str]]


@dataclass
class SlabRow:
    """A slab line: its struct slab, memory, node and object counts."""

    slab: Address
    memory: Address
    node: int
    total: int
    allocated: int
    free: int


@dataclass
class SlabObject:
    address: Address
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
    kmem_cache_cpu: Address
    slab: SlabListing | None
    partial: Iterable[SlabListing]


@dataclass
class NodeSlabs:
    """`kmem -S`: one node's kmem_cache_node and its partial (and full) slab lines."""

    address: Address
    node: int
    slabs: int
    nr_partial: int
    per_cpu: int
    partial: Iterable[SlabRow]
    full: Iterable[SlabRow] | None  # None: the kernel does not track full slabs for this cache


@dataclass
class CacheDetail:
    """`kmem -S`: a cache row followed by its CPU and node slabs (read as they are shown)."""

    row: CacheRow
    cpus: Iterable[CpuSlabs]
    nodes: Iterable[NodeSlabs]


@dataclass
class CacheDetails:
    """`kmem -S` output. *named*: one cache was asked for, so crash prints the header before
    it; else it prints one first and another after each cache shown that is not the last."""

    caches: Iterator[CacheDetail | IgnoredCache]
    named: bool = field(default=False, metadata=LAYOUT)


@dataclass
class SlabOfAddress:
    """An address's cache row and its slab (only the object holding the address, unless all)."""

    row: CacheRow
    slab: SlabListing


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
    partial = (slab_listing(w, cache, s) for s in w.partial_chain(cpu.partial))
    return CpuSlabs(cpu.cpu, cpu.address, current, partial)


def node_slabs(w: SlabWalker, cache: Cache, node: CacheNode, cpus: list[CpuSlab]) -> NodeSlabs:
    """PER-CPU counts the shown CPUs' slabs on the node."""
    per_cpu = sum(1 for c in cpus if c.slab and c.slab.node == node.node)
    partial = (slab_row(s, s.inuse) for s in w.node_list(node))
    full = ((slab_row(s, s.inuse) for s in w.node_list(node, full=True))
            if cache.flags & slab.SLAB_STORE_USER else None)
    return NodeSlabs(node.address, node.node, node.nr_slabs, node.nr_partial, per_cpu,
                     partial, full)


def cache_detail(w: SlabWalker, cache: Cache, shown: frozenset[int] | None) -> CacheDetail:
    """crash's do_kmem_cache_slub(): the *shown* CPUs (all when None) and every node."""
    cpus = [c for c in w.cpu_slabs(cache) if shown is None or c.cpu in shown]
    return CacheDetail(cache_row(w, cache), (cpu_slabs(w, cache, c) for c in cpus),
                       (node_slabs(w, cache, node, cpus) for node in w.nodes(cache)))


def sorted_rows(rows: Iterator[CacheRow | IgnoredCache],
                key: str | None) -> Iterator[CacheRow | IgnoredCache]:
    """crashsh's --sort: the rows by *key*, the ignored caches last."""
    if key is None:
        return rows
    rows = list(rows)
    ignored = [r for r in rows if isinstance(r, IgnoredCache)]
    shown = [r for r in rows if isinstance(r, CacheRow)]
    return iter(sorted(shown, key=SORT_KEYS[key]) + ignored)


def cache_entry(w: SlabWalker, cache: Cache, query: SlabQuery):
    """One cache as -s or -S shows it, or its [IGNORED] line."""
    if cache.name in query.ignore:
        return IgnoredCache(cache.address, cache.name)
    return cache_detail(w, cache, query.cpus) if query.verbose else cache_row(w, cache)


def cache_listing(w: SlabWalker, caches: Iterator[Cache], query: SlabQuery, named: bool):
    entries = (cache_entry(w, c, query) for c in caches)
    if query.verbose:
        return CacheDetails(entries, named)
    return CacheTable(sorted_rows(entries, query.sort))


def cache_names(session) -> CacheNames:
    """`kmem -s list`: every cache's address and name."""
    return CacheNames([(c.address, c.name) for c in slab.walker(session.prog).caches()])


def slab_caches(session, query: SlabQuery):
    """`kmem -s|-S [name]`: every cache, or the named one (crash prints nothing if none is)."""
    w = slab.walker(session.prog)
    caches = (c for c in w.caches() if query.name is None or c.name == query.name)
    if query.name is not None:
        caches = itertools.islice(caches, 1)  # crash stops at the first cache of that name
    return cache_listing(w, caches, query, query.name is not None)


def slab_addresses(session, addresses: list[int], physical: list[bool],
                   query: SlabQuery) -> list[list[object]]:
    """`kmem -s|-S ADDRESS...`, crash's loop: a cache address selects that cache (shown when it
    is the last argument); any other address shows the slab holding it. Only the shown ones
    are separated by blank lines (one group each)."""
    w = slab.walker(session.prog)
    name = query.name
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
            shown = [cache_listing(w, iter([cache]), query, True)]
        else:
            shown = slab_of(w, address, name, query)
        if groups:
            groups[-1].extend(pending)
        else:
            shown = pending + shown
        groups.append(shown)
        pending = []
    return groups


def translation_warning(prog, address: int) -> Notice | None:
    """vaddr_to_kmem_cache()'s complaint about an address without a struct page."""
    phys = memmap.kvtop(prog, address)
    if phys is None:
        return Notice("WARNING", f"cannot make virtual-to-physical translation: {address:x}")
    if memmap.mem_map(prog).section_of_pfn(phys >> memmap.mem_map(prog).pfn_shift) is None:
        return Notice("WARNING", f"cannot find mem_map page for address: {address:x}")
    return None


def slab_of(w: SlabWalker, address: int, name: str | None, query: SlabQuery) -> list:
    """The slab holding *address* (just its object, unless verbose or *address* is the slab),
    or its cache's [IGNORED] line."""
    out: list = []
    found = w.slab_of_page(address)
    only = None
    if found is None:
        out.extend(filter(None, [translation_warning(w.prog, address)]))
        found = w.slab_of_address(address)
        only = None if query.verbose else address
    if found is None:
        return out + [Notice("kmem",
                             f"address is not allocated in slab subsystem: {address:x}")]
    if name is not None:  # crash compares name pointers, so even the same name is "ignored"
        out.append(Notice("kmem", f"ignoring pre-selected {name} cache for address: {address:x}",
                          informational=True))
    cache, s = found
    if cache.name in query.ignore:
        return out + [CacheTable(iter([IgnoredCache(cache.address, cache.name)]))]
    out.append(SlabOfAddress(cache_row(w, cache), slab_listing(w, cache, s, only)))
    return out
