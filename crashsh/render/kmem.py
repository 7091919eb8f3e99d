"""Plain text of kmem (crash's memory.c: dump_kmem_cache_slub, dump_kmeminfo, dump_mem_map ...)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.kmem import (
    AddressReport,
    CacheDetail,
    CacheDetails,
    CacheNames,
    CacheRow,
    CacheTable,
    CpuSlabs,
    FlagBits,
    FreeBlock,
    FreePages,
    FreeZone,
    HugeStates,
    MemoryInfo,
    MemoryLayout,
    MemoryNode,
    NodeSlabs,
    NotInMemMap,
    PageTable,
    PerCpuOffsets,
    Separated,
    SlabListing,
    SlabOfAddress,
    SlabRow,
    VmStats,
    VmapTable,
    ZoneReport,
)
from crashsh.conventions.notices import Notice
from crashsh.kernel.memmap import MemoryBlock, PageRow
from crashsh.render.common import centered
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render

CACHE_HEADER = "CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME\n"
SLAB_HEADER = "  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE\n"
FREE_HEADER = "  FREE / [ALLOCATED]\n"
NODE_HEADER = "KMEM_CACHE_NODE   NODE  SLABS  PARTIAL  PER-CPU\n"


def hex_centered(value: int, width: int, right_bias: bool = False) -> str:
    """crash's mkstring(CENTER|LONG_HEX[|RJUST])."""
    return centered(f"{value:x}", width, right_bias)


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
    if not cpu.partial:
        yield "  (empty)\n"
    for listing in cpu.partial:
        yield from listing_lines(listing)


def slab_rows(title: str, rows: list[SlabRow]) -> Iterator[str]:
    yield title
    if not rows:
        yield "  (empty)\n"
        return
    yield SLAB_HEADER
    for row in rows:
        yield slab_line(row)


def node_lines(node: NodeSlabs) -> Iterator[str]:
    yield NODE_HEADER
    yield (f"{node.address:x}  {node.node:4d}  {node.slabs:5d}  {node.nr_partial:7d}  "
           f"{node.per_cpu:7d}\n")
    yield from slab_rows(f"NODE {node.node} PARTIAL:\n", node.partial)
    if node.full is None:
        yield f"NODE {node.node} FULL:\n  (not tracked)\n"
    else:
        yield from slab_rows(f"NODE {node.node} FULL:\n", node.full)


@plain.register
def _(table: CacheTable) -> Iterator[str]:
    for i, row in enumerate(table.rows):
        if i == 0:
            yield CACHE_HEADER
        yield cache_line(row)


@plain.register
def _(details: CacheDetails) -> Iterator[str]:
    for detail in details.caches:
        yield from plain(detail)


@plain.register
def _(detail: CacheDetail) -> Iterator[str]:
    yield CACHE_HEADER
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


# -- kmem -i ------------------------------------------------------------------------------------
def pages_to_size(pages: int, page_size: int = 4096) -> str:
    """crash's pages_to_size(): "0", "%.1f GB|MB" (".0" dropped) or "%ld KB"."""
    if pages == 0:
        return "0"
    total = pages * page_size
    if total >= 1 << 30:
        text = f"{total / (1 << 30):.1f} GB"
    elif total >= 1 << 20:
        text = f"{total / (1 << 20):.1f} MB"
    else:
        text = f"{total // 1024} KB"
    return text.replace(".0 ", " ", 1)


@plain.register
def _(info: MemoryInfo) -> Iterator[str]:
    yield "                 PAGES        TOTAL      PERCENTAGE\n"
    for i, group in enumerate(info.groups):
        if i:
            yield "\n"
        for line in group:
            size = pages_to_size(line.pages, info.page_size)
            share = ("       ----" if line.percent is None
                     else f"{line.percent:3d}% of {line.base}")
            yield f"{line.label:>13}  {line.pages:7d}  {size:>11}  {share}\n"


# -- kmem -V, -z --------------------------------------------------------------------------------
def stat_lines(items: dict[str, int], width: int) -> Iterator[str]:
    for name, value in items.items():
        yield f"{name:>{width}}: {value}\n"


@plain.register
def _(stats: VmStats) -> Iterator[str]:
    width = max(map(len, [*stats.zone, *stats.node]))
    yield "  VM_ZONE_STAT:\n"
    yield from stat_lines(stats.zone, width)
    yield "\n  VM_NODE_STAT:\n"
    yield from stat_lines(stats.node, width)
    yield "\n  VM_EVENT_STATES:\n"
    yield from stat_lines(stats.events, max(map(len, stats.events)))


@plain.register
def _(report: ZoneReport) -> Iterator[str]:
    for z in report.zones:
        yield f'NODE: {z.node}  ZONE: {z.index}  ADDR: {z.address:x}  NAME: "{z.name}"\n'
        if not z.spanned:
            yield "  [unpopulated]\n\n"
            continue
        present = f"  PRESENT: {z.present}" if z.present < z.spanned else ""
        low, mid, high = z.watermarks
        yield f"  SIZE: {z.spanned}{present}  MIN/LOW/HIGH: {low}/{mid}/{high}\n"
        yield "  VM_STAT:\n"
        yield from stat_lines(z.vm_stat, max(map(len, z.vm_stat)))
        yield "\n\n"


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


# -- kmem -v, -h --------------------------------------------------------------------------------
VMAP_HEADER = ("   VMAP_AREA         VM_STRUCT                 ADDRESS RANGE                SIZE\n")


@plain.register
def _(table: VmapTable) -> Iterator[str]:
    for i, a in enumerate(table.areas):
        if i == 0:
            yield VMAP_HEADER
        yield f"{a.address:<16x}  {a.vm:<16x}  {a.start:16x} - {a.end:<16x}  {a.end - a.start:7d}\n"


@plain.register
def _(huge: HugeStates) -> Iterator[str]:
    yield centered("HSTATE", 16) + "   SIZE    FREE   TOTAL  NAME\n"
    for h in huge.states:
        size = pages_to_size(1 << h.order, huge.page_size).replace(" ", "", 1)
        yield f"{h.address:x}  {size:>5}  {h.free:6d}  {h.total:6d}  {h.name}\n"


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


@plain.register
def _(percpu: PerCpuOffsets) -> Iterator[str]:
    yield "PER-CPU OFFSET VALUES:\n"
    for cpu, offset in enumerate(percpu.offsets):
        yield f"{f'CPU {cpu}':>7}: {offset:x}\n"


# -- kmem -n ------------------------------------------------------------------------------------
NODE_TABLE_HEADER = "NODE    SIZE      PGLIST_DATA       BOOTMEM_DATA       NODE_ZONES   \n"
NODE_MAP_HEADER = "    MEM_MAP          START_PADDR    START_MAPNR\n"
NODE_ZONE_HEADER = "ZONE  NAME         SIZE       MEM_MAP      START_PADDR  START_MAPNR\n"
SECTION_HEADER = "NR      SECTION        CODED_MEM_MAP        MEM_MAP       STATE PFN\n"


def memory_node_lines(node: MemoryNode) -> Iterator[str]:
    first, *others = node.zone_addresses
    yield NODE_TABLE_HEADER
    yield (f" {node.node:2d}   {centered(str(node.size), 8)}  {hex_centered(node.pgdat, 16)}  "
           f"{centered('----', 16)}  {hex_centered(first, 16)}\n")
    for address in others:  # under the first, where crash's INDENT puts them
        yield " " * 52 + f"{address:x}\n"
    yield NODE_MAP_HEADER
    yield (f"{hex_centered(node.mem_map, 16)}  {hex_centered(node.start_paddr, 16, True)}  "
           f"{centered(str(node.start_mapnr), 11, True)}\n")
    yield "\n" + NODE_ZONE_HEADER
    for z in node.zones:
        yield (f" {z.index:2d}   {z.name:<9} {z.size:7d}  {z.mem_map:16x}  {z.start_paddr:11x}  "
               f"{z.start_mapnr:11d}\n")


def block_lines(blocks: list[MemoryBlock], width: int) -> Iterator[str]:
    yield (f"\n{centered('MEM_BLOCK', 16)} {centered('NAME', 10)}   "
           f"{centered('PHYSICAL RANGE', width * 2 + 2)}   NODE  STATE   START_SECTION_NO\n")
    for b in blocks:
        span = (f"{b.start:{width}x} - {b.end:{width}x}" if b.end is not None
                else hex_centered(b.start, width * 2 + 3))
        yield (f" {b.address:<16x} {centered(b.name, 12)} {span} {centered(str(b.node), 4)}  "
               f"{b.state:<7} {b.start_section:<12d}\n")


@plain.register
def _(layout: MemoryLayout) -> Iterator[str]:
    for n, node in enumerate(layout.nodes):
        if n:
            yield "\n" + "-" * (len(NODE_ZONE_HEADER) - 1) + "\n\n"
        yield from memory_node_lines(node)
    yield "\n" + "-" * 67 + "\n\n" + SECTION_HEADER
    for s in layout.sections:
        yield (f"{s.nr:2d}  {hex_centered(s.address, 16)}  {hex_centered(s.coded_mem_map, 16, True)}"
               f"  {hex_centered(s.mem_map, 16, True)}  {centered(s.state, 5)} {s.pfn:<16d}\n")
    if layout.blocks:
        yield from block_lines(layout.blocks, layout.physical_width)


# -- rich: the long listings stream as plain text (highlighting 262k page rows would not) --------
@rich_render.register(PageTable)
@rich_render.register(CacheDetails)
def _(data, console) -> None:
    for chunk in plain(data):
        console.file.write(chunk)
