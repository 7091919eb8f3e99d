"""The memory crash's search visits (memory.c search_virtual, search_physical, next_kpage,
next_physpage, next_upage, x86_64_get_kvaddr_ranges), read in large pieces.

crash walks page after page: a page is searched when it translates, has a struct page
(phys_to_page) and can be read; after one that does not translate it goes on at the page
next_kpage() names (the next memory node, vmalloc area, module or VMA). Here the walk takes
whole stretches with one outcome at a time (a memory section, a huge page, an empty page-table
entry); the dump's page map says which frames can be read, without a failing read for each
frame the dump left out; the frames are read in physically contiguous pieces of up to 1 MiB.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import drgn
from drgn.helpers.linux.mm import for_each_vma

from crashsh.intervals import Intervals
from crashsh.kernel import memmap
from crashsh.kernel.pagetable import PageTable
from crashsh.records import Address

RUN = 256  # pages read at once at most
FOREVER = 1 << 64

Extent = tuple[int, int, int]  # address, physical address, size: pages that translate alike
Following = Callable[[int], "int | None"]  # crash's next page after one that failed


@dataclass(frozen=True)
class KernelRange:
    """One of crash's kernel virtual address ranges: unity, vmalloc, vmemmap, start_map,
    modules; ``areas`` lists the only (start, end) spans with pages (vmalloc, modules)."""

    kind: str
    start: Address
    end: Address
    areas: tuple[tuple[int, int], ...] | None = None


def kernel_ranges(prog: drgn.Program) -> list[KernelRange]:
    """x86_64_get_kvaddr_ranges(), sorted by start."""
    m = memmap.mem_map(prog)
    areas = tuple((a.start, a.end) for a in memmap.vmap_areas(prog))
    ranges = [KernelRange("unity", m.direct_map, m.direct_map + m.high_memory),
              KernelRange("start_map", memmap.START_KERNEL_MAP, prog.symbol("_end").address),
              KernelRange("vmalloc", prog["vmalloc_base"].value_(),
                          max((end for _, end in areas), default=0), areas)]
    modules = sorted(module_spans(prog))
    if modules and not in_areas(modules[0][0], areas):
        ranges.append(KernelRange("modules", modules[0][0], round_up(modules[-1][1], 4096),
                                  tuple(modules)))
    vmemmap = prog["vmemmap_base"].value_()
    if not in_areas(vmemmap, areas):
        end_pfn = m.node_ranges[-1][2]
        ranges.append(KernelRange("vmemmap", vmemmap, vmemmap + end_pfn * m.struct_size))
    return sorted(ranges, key=lambda r: r.start)


def module_spans(prog: drgn.Program) -> list[tuple[int, int]]:
    """The loaded modules' memory (in the module area, so not vmlinux's)."""
    return [(start, end) for module in prog.modules() for start, end in module.address_ranges
            if memmap.is_module_address(start) and start < end]


def in_areas(address: int, areas: Iterable[tuple[int, int]]) -> bool:
    return any(start <= address < end for start, end in areas)


def round_up(value: int, to: int) -> int:
    return (value + to - 1) // to * to


@dataclass(frozen=True)
class Chunk:
    """Pages searched together: *size* bytes from *address* (virtual, or physical for a
    physical search), at *physical*; *data* their bytes, None where the dump holds zeros."""

    address: Address
    physical: Address
    size: int
    data: bytes | None


class PageSource:
    """The pages of one search: which ones crash visits, and their contents. Frames marked
    ``quiet`` (searched whole, nothing found) are not read again when mapped elsewhere."""

    def __init__(self, session, mm: drgn.Object | None = None) -> None:
        self.prog: drgn.Program = session.prog
        self.m = memmap.mem_map(self.prog)
        self.page_size = 1 << self.m.pfn_shift
        self.page_map = session.page_map
        self.mm = mm
        self.quiet = Intervals()

    # -- translation: (physical address or None, bytes from the page that translate alike) --
    @cached_property
    def kernel_table(self) -> PageTable:
        return PageTable.of(self.prog["init_mm"].address_of_())

    def kernel_extent(self, page: int) -> tuple[int | None, int]:
        """crash's x86_64_kvtop(): a table walk in the vmalloc spaces, else arithmetic."""
        if memmap.is_vmalloc_address(self.prog, page):
            return self.kernel_table.extent(page, kernel=True)
        return memmap.kernel_offset(self.prog, page)

    def user_extent(self, page: int) -> tuple[int | None, int]:
        return self.user_table.extent(page)

    @staticmethod
    def physical_extent(page: int) -> tuple[int | None, int]:
        return page, FOREVER

    @cached_property
    def user_table(self) -> PageTable:
        return PageTable.of(self.mm)

    @cached_property
    def with_pages(self) -> Intervals:
        """The physical memory with struct pages (crash's phys_to_page: a valid section)."""
        shift, count = self.m.pfn_shift, self.m.pages_per_section
        return Intervals((s.first_pfn << shift, (s.first_pfn + count) << shift)
                         for s in self.m.sections)

    @cached_property
    def nodes(self) -> Intervals:
        """The memory nodes' physical ranges."""
        shift = self.m.pfn_shift
        return Intervals((first << shift, end << shift) for _, first, end in self.m.node_ranges)

    # -- crash's walks --------------------------------------------------------------------------
    def walk(self, low: int, high: int, extent: Callable[[int], tuple[int | None, int]],
             following: Following, areas: Intervals | None = None) -> Iterator[Extent]:
        """search_virtual()'s walk from *low*'s page up to *high*: the stretches that
        translate to memory with struct pages; after a page that does not, on at
        ``following(page)``. That answer only changes at the edges of *areas*, so a stretch
        that fails is passed over whole."""
        size = self.page_size
        edges = sorted({*areas.starts, *areas.ends}) if areas else []
        page, top = low - low % size, round_up(high, size)
        while page < top:
            physical, span = extent(page)
            if physical is not None:
                inside, run = self.with_pages.at(physical)
                span = min(span, run or FOREVER)
                physical = physical if inside else None
            span = min(span, top - page)
            if physical is not None:
                yield page, physical, span
                page += span
                continue
            i = bisect_right(edges, page)
            if i < len(edges):
                span = min(span, edges[i] - page)
            found = following(page)
            if found == page + size and span > size:
                found = following(page + span - size)
            if found is None:
                return
            page = found

    def next_in(self, areas: Intervals, page: int) -> int | None:
        """next_identity_mapping(), next_vmlist_vaddr(), next_module_vaddr(), next_upage():
        the page after *page* when it is in one of *areas*, else the next area's start."""
        address = page + self.page_size
        if address >= FOREVER:  # wrapped back to zero
            return None
        inside, distance = areas.at(address)
        if inside:
            return address
        return None if distance is None else address + distance

    def kernel_pages(self, r: KernelRange, low: int, high: int) -> Iterator[Extent]:
        """One kernel range's walk (next_kpage() as the range's kind has it)."""
        if r.kind == "unity":
            direct = self.m.direct_map
            areas = Intervals((direct + a, direct + b) for a, b in self.nodes)
        elif r.areas is not None:
            areas = Intervals(r.areas)
        else:
            return self.walk(low, high, self.kernel_extent, self.next_page)
        return self.walk(low, high, self.kernel_extent, lambda page: self.next_in(areas, page),
                         areas)

    def next_page(self, page: int) -> int | None:
        address = page + self.page_size
        return address if address < FOREVER else None

    def stack_pages(self, base: int, size: int) -> Iterator[Extent]:
        """A task's stack: the search ends at a page that does not translate."""
        return self.walk(base, base + size, self.kernel_extent, lambda page: None)

    def user_pages(self, low: int, high: int) -> Iterator[Extent]:
        areas = Intervals((vma.vm_start.value_(), vma.vm_end.value_())
                          for vma in for_each_vma(self.mm))
        return self.walk(low, high, self.user_extent, lambda page: self.next_in(areas, page),
                         areas)

    def physical_pages(self, low: int, high: int) -> Iterator[Extent]:
        """search_physical(): next_physpage() after a page that fails."""
        def following(page: int) -> int | None:
            inside, distance = self.nodes.at(page)
            if inside:
                return page + self.page_size
            return None if distance is None else page + distance

        return self.walk(low, high, self.physical_extent, following, self.nodes)

    # -- contents -------------------------------------------------------------------------------
    def chunks(self, extents: Iterable[Extent]) -> Iterator[Chunk]:
        """The pages of *extents* the dump holds (but quiet ones), as Chunks of up to RUN
        pages: read, or without data where the dump holds zeros."""
        shift = self.m.pfn_shift
        for address, physical, size in extents:
            first = physical >> shift
            for a, b, zeros in self.page_map.held(first, (physical + size) >> shift):
                for low, high in self.quiet.outside(a, b):
                    for at in range(low, high, RUN):
                        end = min(high, at + RUN)
                        virtual = address + ((at - first) << shift)
                        if zeros:
                            yield Chunk(virtual, at << shift, (end - at) << shift, None)
                        else:
                            yield from self.read(virtual, at, end)

    def read(self, address: int, first: int, end: int) -> Iterator[Chunk]:
        """Frames *first* to *end* at *address*; page by page when that fails (a frame
        the dump has not got is left out, and remembered)."""
        shift = self.m.pfn_shift
        try:
            data = self.prog.read(first << shift, (end - first) << shift, True)
        except drgn.FaultError:
            for frame in range(first, end):
                try:
                    data = self.prog.read(frame << shift, 1 << shift, True)
                except drgn.FaultError:
                    self.page_map.unreadable(frame)
                    continue
                yield Chunk(address + ((frame - first) << shift), frame << shift, len(data),
                            data)
            return
        yield Chunk(address, first << shift, len(data), data)

    def settle(self, chunk: Chunk, low: int, high: int, busy: Iterable[int]) -> None:
        """Mark quiet the frames of *chunk* searched whole (from *low* to *high*) but the
        *busy* ones (the indexes, in order, of its pages that take part in a match)."""
        shift = self.m.pfn_shift
        first, at = chunk.physical >> shift, -(-low >> shift)  # whole pages only
        stop = min(high, chunk.size) >> shift
        for page in busy:
            if page >= stop:
                break
            self.quiet.add(first + at, first + page)
            at = max(at, page + 1)
        self.quiet.add(first + at, first + stop)
