"""The memory map as crash walks it: SPARSEMEM sections, struct pages read in raw chunks,
nodes, kernel address translation and the vmalloc area list."""

from __future__ import annotations

import operator
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import drgn
from drgn.helpers.linux.device import dev_name
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.mm import (
    decode_memory_block_state,
    follow_phys,
    for_each_memory_block,
    memory_block_size_bytes,
    pfn_to_page,
)
from drgn.helpers.linux.mmzone import (
    NODE_DATA,
    for_each_present_section,
    section_decode_mem_map,
    section_mem_map_addr,
    section_nr_to_pfn,
    valid_section,
)
from drgn.helpers.linux.nodemask import for_each_online_node

from crashsh.dumpfacts import MASK64, facts, per_dump
from crashsh.kernel.pages import pageflag_names
from crashsh.records import Address, Word

CHUNK = 512  # struct pages read at once (crash's PGMM_CACHED)

# x86_64 with KASLR (4-level paging): crash's fixed address space boundaries
START_KERNEL_MAP = 0xFFFFFFFF80000000
MODULES = (0xFFFFFFFFC0000000, 0xFFFFFFFFFF000000)  # MODULES_VADDR (+1 GB image), MODULES_END
CPU_ENTRY_AREA = (0xFFFFFE0000000000, 0xFFFFFE7FFFFFFFFF)
VSYSCALL = (0xFFFFFFFFFF600000, 0xFFFFFFFFFF600FFF)


@dataclass(slots=True)
class PageRow:
    """One `kmem -p` line: a struct page and the fields crash shows."""

    page: Address
    physical: Address
    mapping: Address
    index: Word
    count: int
    flags: Word
    flag_names: str  # crash's " name,name" after the flags value, or ""


@dataclass(frozen=True)
class Section:
    nr: int
    address: Address  # struct mem_section
    coded_mem_map: Word
    mem_map: Address  # struct page of the section's first pfn
    first_pfn: int
    section_mem_map: Word  # the coded mem_map with the section's flag bits


class MemMap:
    """The page array of one program."""

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        page = prog.type("struct page")
        self.struct_size = drgn.sizeof(page)
        self.layout, self.in_order = self.page_layout(page)
        self.pfn_shift = facts(prog).page_shift
        self.pages_per_section = 1 << (prog["SECTION_SIZE_BITS"].value_() - self.pfn_shift)
        self.vmemmap = pfn_to_page(prog, 0).value_()
        self.direct_map = facts(prog).page_offset
        self._names: dict[int, str] = {}

    @staticmethod
    def page_layout(page: drgn.Type) -> tuple[struct.Struct, Callable[[tuple], tuple]]:
        """How to read (flags, mapping, index, _refcount) from one struct page: a Struct for
        the fields in offset order and a function putting them back in that order."""
        members = (("flags", "Q"), ("mapping", "Q"), ("index", "Q"), ("_refcount", "i"))
        fields = sorted((drgn.offsetof(page, name), i, code)
                        for i, (name, code) in enumerate(members))
        fmt, at = "<", 0
        for offset, _, code in fields:
            fmt += f"{offset - at}x{code}"
            at = offset + struct.calcsize(code)
        order = [i for _, i, _ in fields]
        return (struct.Struct(fmt + f"{drgn.sizeof(page) - at}x"),
                operator.itemgetter(*(order.index(i) for i in range(len(members)))))

    # -- nodes and sections ---------------------------------------------------------------------
    @cached_property
    def node_ranges(self) -> list[tuple[int, int, int]]:
        """(node, first pfn, end pfn) of each online node: crash's node table."""
        ranges = []
        for nid in for_each_online_node(self.prog):
            pgdat = NODE_DATA(self.prog, nid)
            start = pgdat.node_start_pfn.value_()
            ranges.append((nid, start, start + pgdat.node_spanned_pages.value_()))
        return ranges

    @cached_property
    def high_memory(self) -> int:
        """The physical end of the direct map (crash's VTOP(high_memory))."""
        return self.prog["high_memory"].value_() - self.direct_map

    def direct_address(self, phys: int) -> int | None:
        """crash's PTOV() below high memory; None above it."""
        return self.direct_map + phys if phys < self.high_memory else None

    def node_of_pfn(self, pfn: int) -> int:
        """crash's page_to_nid(); -1 outside every node."""
        return next((nid for nid, start, end in self.node_ranges if start <= pfn < end), -1)

    @cached_property
    def sections(self) -> list[Section]:
        """The valid (mem_map holding) sections, in order."""
        return [
            Section(nr, section.value_(), section_mem_map_addr(section).value_(),
                    section_decode_mem_map(section, nr).value_(),
                    section_nr_to_pfn(self.prog, nr).value_(), section.section_mem_map.value_())
            for nr, section in for_each_present_section(self.prog)
            if valid_section(section)
        ]

    @cached_property
    def _sections_by_nr(self) -> dict[int, Section]:
        return {s.nr: s for s in self.sections}

    def section_of_pfn(self, pfn: int) -> Section | None:
        return self._sections_by_nr.get(pfn // self.pages_per_section)

    @cached_property
    def physical_width(self) -> int:
        """crash's PADDR_PRLEN: hex digits of the highest memory address (at least 8)."""
        end = max(end for _, _, end in self.node_ranges)
        return max(len(f"{end << self.pfn_shift:x}"), 8)

    # -- pages ----------------------------------------------------------------------------------
    def is_page_ptr(self, address: int) -> bool:
        """crash's is_page_ptr(): a struct page address in a valid section."""
        offset = address - self.vmemmap
        if offset < 0 or offset % self.struct_size:
            return False
        return self.section_of_pfn(offset // self.struct_size) is not None

    def pfn_of_page(self, address: int) -> int:
        return (address - self.vmemmap) // self.struct_size

    def page_of_pfn(self, pfn: int) -> int:
        return self.vmemmap + pfn * self.struct_size

    def flag_names(self, flags: int) -> str:
        """crash's translate_page_flags() tail: " name,name" from ``pageflag_names``."""
        try:
            return self._names[flags]
        except KeyError:
            names = [name for mask, name in pageflag_names(self.prog) if flags & mask]
            text = " " + ",".join(names) if flags and names else ""
            self._names[flags] = text
            return text

    def chunks(self, section: Section, start: int = 0,
               stop: int | None = None) -> Iterator[tuple[int, int, bytes]]:
        """The section's struct pages from index *start* to *stop*, CHUNK at a time: (address
        and pfn of the first, their bytes; zeros where unreadable)."""
        stop = self.pages_per_section if stop is None else stop
        for first in range(start, stop, CHUNK):
            n = min(CHUNK, stop - first)
            address = section.mem_map + first * self.struct_size
            try:
                raw = self.prog.read(address, n * self.struct_size)
            except drgn.FaultError:
                raw = bytes(n * self.struct_size)
            yield address, section.first_pfn + first, raw

    def all_chunks(self) -> Iterator[tuple[int, int, bytes]]:
        for section in self.sections:
            yield from self.chunks(section)

    def chunk_of_pfn(self, pfn: int) -> tuple[int, int, bytes] | None:
        """The one struct page of *pfn* as a chunk; None outside the valid sections."""
        section = self.section_of_pfn(pfn)
        if section is None:
            return None
        i = pfn - section.first_pfn
        return next(self.chunks(section, i, i + 1))

    def rows(self, chunks: Iterator[tuple[int, int, bytes]]) -> Iterator[PageRow]:
        """The `kmem -p` row of each struct page in *chunks*."""
        for address, pfn, raw in chunks:
            for i, fields in enumerate(self.layout.iter_unpack(raw)):
                flags, mapping, index, count = self.in_order(fields)
                yield PageRow(address + i * self.struct_size, (pfn + i) << self.pfn_shift, mapping,
                              index, count, flags, self.flag_names(flags))

    def all_rows(self) -> Iterator[PageRow]:
        return self.rows(self.all_chunks())

    def shared_pages(self) -> int:
        """crash's GET_SHARED_PAGES count: pages not PG_reserved whose _refcount is above 1."""
        reserved = 1 << self.prog["PG_reserved"].value_()
        shared = 0
        for _, _, raw in self.all_chunks():
            for fields in self.layout.iter_unpack(raw):
                flags, _, _, refcount = self.in_order(fields)
                shared += not flags & reserved and refcount > 1
        return shared

    def row_of_pfn(self, pfn: int) -> PageRow | None:
        chunk = self.chunk_of_pfn(pfn)
        return None if chunk is None else next(self.rows(iter([chunk])))


@per_dump
def mem_map(prog: drgn.Program) -> MemMap:
    """The dump's MemMap, made on first use."""
    return MemMap(prog)


def is_kernel_address(prog: drgn.Program, address: int) -> bool:
    """crash's IS_KVADDR: at or above the direct map."""
    return address >= mem_map(prog).direct_map


def is_module_address(address: int) -> bool:
    return MODULES[0] <= address <= MODULES[1]


@per_dump
def vmalloc_spaces(prog: drgn.Program) -> tuple[tuple[int, int], ...]:
    """The (first, last) addresses of crash's x86_64 vmalloc spaces: vmalloc, vmemmap,
    modules, vsyscall, CPU entry area."""
    vmalloc, vmemmap = prog["vmalloc_base"].value_(), prog["vmemmap_base"].value_()
    return ((vmalloc, vmalloc + (32 << 40) - 1), (vmemmap, vmemmap + (1 << 40) - 1), MODULES,
            VSYSCALL, CPU_ENTRY_AREA)


def is_vmalloc_address(prog: drgn.Program, address: int) -> bool:
    """crash's x86_64 IS_VMALLOC_ADDR."""
    return any(lo <= address <= hi for lo, hi in vmalloc_spaces(prog))


def kvtop(prog: drgn.Program, address: int) -> int | None:
    """crash's x86_64_kvtop(): arithmetic outside vmalloc space (direct map, kernel image),
    a page table walk inside it; None when unmapped or not a kernel address."""
    if not is_kernel_address(prog, address):
        return None
    if not is_vmalloc_address(prog, address):
        return kernel_offset(prog, address)[0]
    try:
        return follow_phys(prog["init_mm"].address_of_(), address).value_()
    except drgn.FaultError:
        return None


def kernel_offset(prog: drgn.Program, address: int) -> tuple[int, int]:
    """x86_64_kvtop() of a kernel address outside the vmalloc spaces, by arithmetic: its
    physical address, and how many bytes from it translate on alike."""
    if address >= START_KERNEL_MAP:
        # phys_base is "negative" when KASLR loads the kernel below its link address
        physical = (address - START_KERNEL_MAP + phys_base(prog)) & MASK64
        return physical, min(MODULES[0] - address, MASK64 + 1 - physical)
    return address - mem_map(prog).direct_map, MASK64 + 1


@per_dump
def phys_base(prog: drgn.Program) -> int:
    return prog.read_u64(prog.symbol("phys_base").address)


def page_flag_bits(prog: drgn.Program) -> list[tuple[str, int]]:
    """The ``enum pageflags`` enumerators, in declaration order."""
    return [(name, value) for name, value in prog.type("enum pageflags").enumerators]


# -- sections and memory blocks -----------------------------------------------------------------
SECTION_STATE_LETTERS = (  # crash's fill_mem_section_state() order
    ("SECTION_MARKED_PRESENT_BIT", "P"),
    ("SECTION_HAS_MEM_MAP_BIT", "M"),
    ("SECTION_IS_ONLINE_BIT", "O"),
    ("SECTION_IS_EARLY_BIT", "E"),
    ("SECTION_TAINT_ZONE_DEVICE_BIT", "D"),
)


def section_state(prog: drgn.Program, section: Section) -> str:
    """The section's flag letters (PMOED), from the kernel's SECTION_*_BIT enumerators."""
    letters = ""
    for name, letter in SECTION_STATE_LETTERS:
        try:
            bit = prog[name].value_()
        except KeyError:  # e.g. no SECTION_TAINT_ZONE_DEVICE without CONFIG_ZONE_DEVICE
            continue
        if section.section_mem_map & (1 << bit):
            letters += letter
    return letters


@dataclass(frozen=True)
class MemoryBlock:
    address: Address
    name: str
    start: Address
    end: Address | None  # None when the block size is unknown
    node: int
    state: str
    start_section: int


def memory_blocks(prog: drgn.Program) -> list[MemoryBlock]:
    """The memory hotplug blocks in bus order, with their physical ranges."""
    m = mem_map(prog)
    try:
        size = prog["memory_block_size_probed"].value_()
    except KeyError:
        size = memory_block_size_bytes(prog).value_()
    blocks = []
    for mb in for_each_memory_block(prog):
        section = mb.start_section_nr.value_()
        start = (section * m.pages_per_section) << m.pfn_shift
        blocks.append(MemoryBlock(
            mb.value_(), dev_name(mb.dev.address_of_()).decode(), start,
            start + size - 1 if size else None, mb.nid.value_(),
            decode_memory_block_state(mb).removeprefix("MEM_"), section))
    return blocks


# -- vmalloc ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VmapArea:
    address: Address  # struct vmap_area
    vm: Address  # struct vm_struct
    start: Address
    end: Address


def vmap_areas(prog: drgn.Program) -> list[VmapArea]:
    """crash's vmap area list: the busy areas that have a vm_struct, by start address."""
    try:
        areas = vmap_list(prog["vmap_area_list"].address_of_())
    except KeyError:  # 6.9 split the busy list per vmap node: crash joins and sorts them
        nodes = prog["vmap_nodes"]
        areas = [a for i in range(prog["nr_vmap_nodes"].value_())
                 for a in vmap_list(nodes[i].busy.head.address_of_())]
        areas.sort(key=lambda a: a.start)
    return [a for a in areas if a.vm]


def vmap_list(head: drgn.Object) -> list[VmapArea]:
    return [
        VmapArea(va.value_(), va.vm.value_(), va.va_start.value_(), va.va_end.value_())
        for va in list_for_each_entry("struct vmap_area", head, "list")
    ]
