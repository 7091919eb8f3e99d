"""Plain text of kmem -i, -V, -z, -v, -h, -o and -n (crash's memory.c: dump_kmeminfo,
dump_vm_stat, dump_zone_stats, dump_vmlist, dump_hstates, dump_memory_nodes)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.kmem_search import VmapTable
from crashsh.commands.kmem_usage import (
    HugeStates,
    MemoryInfo,
    MemoryLayout,
    MemoryNode,
    PerCpuOffsets,
    VmStats,
    ZoneReport,
)
from crashsh.kernel.memmap import MemoryBlock
from crashsh.render.common import centered, hex_centered
from crashsh.render.plain import plain

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
