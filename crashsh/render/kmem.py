"""Plain text of kmem -s/-S and kmem ADDRESS (crash's memory.c: dump_kmem_cache_slub,
do_slab_slub, kmem_search); the other options are in kmem_pages and kmem_usage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from crashsh.commands.kmem import Separated
from crashsh.commands.kmem_search import AddressReport, NotInMemMap
from crashsh.commands.kmem_slabs import (
    CacheDetail,
    CacheDetails,
    CacheNames,
    CacheRow,
    CacheTable,
    CpuSlabs,
    IgnoredCache,
    NodeSlabs,
    SlabListing,
    SlabOfAddress,
    SlabRow,
)
from crashsh.conventions.notices import Notice
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render, stream_plain

CACHE_HEADER = "CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME\n"
SLAB_HEADER = "  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE\n"
FREE_HEADER = "  FREE / [ALLOCATED]\n"
NODE_HEADER = "KMEM_CACHE_NODE   NODE  SLABS  PARTIAL  PER-CPU\n"


@plain.register
def _(separated: Separated) -> Iterator[str]:
    for i, group in enumerate(separated.groups):
        if i:
            yield "\n"
        for item in group:
            yield from plain(item)


# -- slabs --------------------------------------------------------------------------------------
def cache_line(row: CacheRow) -> str:
    return (f"{row.cache:<16x} {row.object_size:8d}  {row.allocated:9d}  {row.total:8d}  "
            f"{row.slabs:5d}  {row.slab_kb:4d}k  {row.name}\n")


def slab_line(row: SlabRow) -> str:
    return (f"  {row.slab:<16x}  {row.memory:<16x}  {row.node:4d}  {row.total:5d}  "
            f"{row.allocated:9d}  {row.free:4d}\n")


def listing_lines(listing: SlabListing) -> Iterator[str]:
    yield SLAB_HEADER
    yield slab_line(listing.row)
    yield FREE_HEADER
    for obj in listing.objects:
        if obj.allocated:
            yield f"  [{obj.address:x}]\n"
        else:
            cpu = f"(cpu {obj.cpu} cache)" if obj.cpu is not None else ""
            yield f"   {obj.address:x}  {cpu}\n"


def cpu_lines(cpu: CpuSlabs) -> Iterator[str]:
    yield f"CPU {cpu.cpu} KMEM_CACHE_CPU:\n  {cpu.kmem_cache_cpu:x}\n"
    yield f"CPU {cpu.cpu} SLAB:\n"
    if cpu.slab is None:
        yield "  (empty)\n"
    else:
        yield from listing_lines(cpu.slab)
    yield f"CPU {cpu.cpu} PARTIAL:\n"
    empty = True
    for listing in cpu.partial:
        empty = False
        yield from listing_lines(listing)
    if empty:
        yield "  (empty)\n"


def slab_rows(title: str, rows: Iterable[SlabRow]) -> Iterator[str]:
    yield title
    empty = True
    for row in rows:
        if empty:
            empty = False
            yield SLAB_HEADER
        yield slab_line(row)
    if empty:
        yield "  (empty)\n"


def node_lines(node: NodeSlabs) -> Iterator[str]:
    yield NODE_HEADER
    yield (f"{node.address:x}  {node.node:4d}  {node.slabs:5d}  {node.nr_partial:7d}  "
           f"{node.per_cpu:7d}\n")
    yield from slab_rows(f"NODE {node.node} PARTIAL:\n", node.partial)
    if node.full is None:
        yield f"NODE {node.node} FULL:\n  (not tracked)\n"
    else:
        yield from slab_rows(f"NODE {node.node} FULL:\n", node.full)


def ignored_line(ignored: IgnoredCache) -> str:
    """crash's DUMP_KMEM_CACHE_TAG: ``%lx %-43s  %s``."""
    return f"{ignored.cache:x} {'[IGNORED]':<43}  {ignored.name}\n"


def cache_entry(entry: CacheRow | IgnoredCache) -> str:
    return ignored_line(entry) if isinstance(entry, IgnoredCache) else cache_line(entry)


@plain.register
def _(table: CacheTable) -> Iterator[str]:
    for i, row in enumerate(table.rows):
        if i == 0:
            yield CACHE_HEADER
        yield cache_entry(row)


@plain.register
def _(details: CacheDetails) -> Iterator[str]:
    """A header first, then after each cache shown unless it is the last one; a named
    cache gets one just before it."""
    entries = iter(details.caches)
    entry = next(entries, None)
    if not details.named:
        yield CACHE_HEADER
    while entry is not None:
        following = next(entries, None)
        if details.named:
            yield CACHE_HEADER
        if isinstance(entry, IgnoredCache):
            yield ignored_line(entry)
        else:
            yield from plain(entry)
            if not details.named and following is not None:
                yield CACHE_HEADER
        entry = following


@plain.register
def _(detail: CacheDetail) -> Iterator[str]:
    yield cache_line(detail.row)
    for cpu in detail.cpus:
        yield from cpu_lines(cpu)
    for node in detail.nodes:
        yield from node_lines(node)
    yield "\n"


@plain.register
def _(found: SlabOfAddress) -> Iterator[str]:
    yield CACHE_HEADER
    yield cache_line(found.row)
    yield from listing_lines(found.slab)


@plain.register
def _(names: CacheNames) -> Iterator[str]:
    for address, name in names.caches:
        yield f"{address:x} {name}\n"


# -- kmem ADDRESS -------------------------------------------------------------------------------
@plain.register
def _(report: AddressReport) -> Iterator[str]:
    for finding in report.findings:
        yield from plain(finding)
        if not isinstance(finding, Notice):
            yield "\n"
    yield from plain(report.page)


@plain.register
def _(missing: NotInMemMap) -> Iterator[str]:
    kind = "physical" if missing.physical else "kernel virtual"
    yield f"{missing.address:x}: {kind} address not found in mem map\n"


# -- rich: the long listings stream as plain text ----------------------------------------------
@rich_render.register(CacheDetails)
def _(data, console) -> None:
    stream_plain(data, console)
