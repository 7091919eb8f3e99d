"""The pages crash's search visits (memory.c search_virtual / search_physical, next_kpage,
x86_64_get_kvaddr_ranges): readable pages only, read in physically contiguous runs.

A page is searched when it translates, has a struct page (crash's phys_to_page) and can be
read; the others (unmapped, holes, pages a -d 31 dump left out) are skipped quietly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import drgn
from drgn.helpers.linux.mm import for_each_vma

from crashsh.dumpfacts import MASK64
from crashsh.kernel import memmap
from crashsh.kernel.pagetable import PageTable

RUN = 256  # pages read at once at most


@dataclass(frozen=True)
class KernelRange:
    """One of crash's kernel virtual address ranges: unity, vmalloc, vmemmap, start_map,
    modules; ``areas`` lists the only (start, end) spans with pages (vmalloc)."""

    kind: str
    start: int
    end: int
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


class PageSource:
    """Readable pages of one address space, as (page address, 4 KiB of bytes)."""

    def __init__(self, prog: drgn.Program, space: str, mm: drgn.Object | None = None) -> None:
        self.prog = prog
        self.space = space
        self.m = memmap.mem_map(prog)
        self.page_size = 1 << self.m.pfn_shift
        self.table = PageTable.of(mm) if mm is not None else None

    @cached_property
    def phys_base(self) -> int:
        return self.prog.read_u64(self.prog.symbol("phys_base").address)

    def physical(self, page: int, kind: str = "") -> int | None:
        """The page's physical address when it translates to a page crash knows of; the
        kernel range *kind* spares the unity map and the kernel image a table walk."""
        if self.space == "physical":
            phys = page
        elif self.space == "user":
            phys = self.table.translate(page).physical
        elif kind == "unity":
            phys = page - self.m.direct_map
        elif kind == "start_map":
            phys = (page - memmap.START_KERNEL_MAP + self.phys_base) & MASK64
        else:
            phys = memmap.kvtop(self.prog, page)
        if phys is None or self.m.section_of_pfn(phys >> self.m.pfn_shift) is None:
            return None
        return phys

    def translated(self, candidates: Iterable[int]) -> Iterator[tuple[int, int]]:
        """(page, physical address) of the *candidates* that translate."""
        for page in candidates:
            phys = self.physical(page)
            if phys is not None:
                yield page, phys

    def pages(self, translated: Iterable[tuple[int, int]]) -> Iterator[tuple[int, bytes]]:
        """The readable ones of the *translated* pages, read in contiguous runs."""
        run: list[tuple[int, int]] = []
        for page, phys in translated:
            if run and (len(run) == RUN or run[-1][0] + self.page_size != page
                        or run[-1][1] + self.page_size != phys):
                yield from self.read_run(run)
                run = []
            run.append((page, phys))
        yield from self.read_run(run)

    def read_run(self, run: list[tuple[int, int]]) -> Iterator[tuple[int, bytes]]:
        if not run:
            return
        size = self.page_size
        try:
            data = self.prog.read(run[0][1], len(run) * size, True)
        except drgn.FaultError:
            for page, phys in run:
                try:
                    yield page, self.prog.read(phys, size, True)
                except drgn.FaultError:
                    continue
            return
        for i, (page, _) in enumerate(run):
            yield page, data[i * size:(i + 1) * size]


def page_range(start: int, end: int, page_size: int) -> range:
    """The page addresses from *start*'s page up to *end*."""
    return range(start - start % page_size, end, page_size)


def stepped(source: PageSource, r: KernelRange, low: int,
            high: int) -> Iterator[tuple[int, int]]:
    """crash's search_virtual() walk of one range: page after page while they translate;
    after one that does not, on at next_kpage() (the next node, vmalloc area or module)."""
    size = source.page_size
    page = low - low % size
    while page < high:
        phys = source.physical(page, r.kind)
        if phys is not None:
            yield page, phys
            page += size
            continue
        found = next_kpage(source, r, page - page % size + size)
        if found is None:
            return
        page = found


def next_kpage(source: PageSource, r: KernelRange, address: int) -> int | None:
    """The first address at or after *address* that may hold a page of range *r*."""
    if r.kind == "unity":
        physical = address - source.m.direct_map
        for _, first, stop in source.m.node_ranges:
            start, end = first << source.m.pfn_shift, stop << source.m.pfn_shift
            if physical < end:
                return address if physical >= start else source.m.direct_map + start
        return None
    if r.areas is None:
        return address
    for start, end in r.areas:
        if address <= start:
            return start
        if address < end:
            return address
    return None


def user_pages(source: PageSource, mm: drgn.Object, start: int,
               end: int) -> Iterator[tuple[int, bytes]]:
    """The readable pages of the VMAs within [start, end) (crash's next_upage)."""
    for vma in for_each_vma(mm):
        low, high = max(start, vma.vm_start.value_()), min(end, vma.vm_end.value_())
        if low < high:
            yield from source.pages(source.translated(page_range(low, high, source.page_size)))


def physical_pages(source: PageSource, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """The readable pages within [start, end) inside the memory nodes."""
    size = source.page_size
    for _, first, stop in source.m.node_ranges:
        low, high = max(start, first * size), min(end, stop * size)
        if low < high:
            yield from source.pages(source.translated(page_range(low, high, size)))
