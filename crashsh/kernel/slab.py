"""SLUB as crash 9 walks it (memory.c): caches, CPU slabs, partial lists, hardened freelists.

Slabs and freelists are read as raw bytes with offsets taken once from the types, so walking a
cache with many slabs costs a few microseconds per slab, not a drgn Object per field.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.mm import PageSlab, compound_head, pfn_to_page

from crashsh.dumpfacts import per_dump
from crashsh.kernel.memmap import kvtop, mem_map
from crashsh.kernel.meminfo import crash_cpus
from crashsh.records import Address, Word

PAGE_MAPPING_ANON = 1  # a freelist pointer with this bit ends the walk (crash's test)
SLAB_RED_ZONE = 0x400
SLAB_STORE_USER = 0x10000
ULONG = struct.Struct("<Q")
ULONG_BE = struct.Struct(">Q")
OO_SHIFT, OO_MASK = 16, 0xFFFF  # kmem_cache_order_objects, as crash's oo_order()/oo_objects()


def swab64(value: int) -> int:
    """The 64-bit value with its bytes reversed (the kernel's swab())."""
    return ULONG_BE.unpack(ULONG.pack(value))[0]


@dataclass(frozen=True)
class Slab:
    """One slab (its ``struct slab``, which is its head ``struct page``) and its counters."""

    address: Address
    memory: Address  # virtual address of the first object
    node: int
    objects: int
    inuse: int
    freelist: Address
    next: Address  # slab.next: the CPU partial chain
    list_next: Address  # slab.slab_list.next: the node lists

    @property
    def free(self) -> int:
        return self.objects - self.inuse


@dataclass(frozen=True)
class CpuSlab:
    """One CPU's ``kmem_cache_cpu``: its slab, lockless freelist and partial chain."""

    cpu: int
    address: Address
    slab: Slab | None
    freelist: Address
    partial: Address  # first slab of the partial chain, 0 when empty


@dataclass(frozen=True)
class CacheNode:
    """One node's ``kmem_cache_node`` counters."""

    node: int
    address: Address
    nr_partial: int
    nr_slabs: int
    total_objects: int


@dataclass(frozen=True)
class Cache:
    """The ``struct kmem_cache`` fields crash uses."""

    address: Address
    name: str
    object_size: int
    size: int
    offset: int  # of the free pointer inside an object
    objects: int  # per slab, from oo
    slab_size: int  # bytes: PAGE_SIZE << the order in oo
    random: Word  # freelist hardening key; 0 without CONFIG_SLAB_FREELIST_HARDENED
    hardened: bool
    flags: Word
    red_left_pad: int
    cpu_slab: Address  # percpu pointer to kmem_cache_cpu

    @property
    def red_pad(self) -> int:
        """The left red zone crash adds to each object address."""
        return self.red_left_pad if self.flags & SLAB_RED_ZONE else 0


@dataclass(frozen=True)
class CacheUsage:
    """A `kmem -s` row's counts, by crash's arithmetic."""

    allocated: int
    total: int
    slabs: int


class SlabWalker:
    """Reads SLUB state of one program; offsets are computed once."""

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        slab = prog.type("struct slab")
        cpu = prog.type("struct kmem_cache_cpu")
        node = prog.type("struct kmem_cache_node")
        self.slab_struct_size = drgn.sizeof(slab)
        self.off_freelist = drgn.offsetof(slab, "freelist")
        self.off_counters = drgn.offsetof(slab, "counters")
        self.inuse_bits = self.bitfield(slab, "inuse")
        self.objects_bits = self.bitfield(slab, "objects")
        self.off_slab_cache = drgn.offsetof(slab, "slab_cache")
        self.off_next = drgn.offsetof(slab, "next")
        self.off_list = drgn.offsetof(slab, "slab_list")
        self.cpu_struct_size = drgn.sizeof(cpu)
        self.off_cpu_freelist = drgn.offsetof(cpu, "freelist")
        self.off_cpu_slab = drgn.offsetof(cpu, "slab")
        self.off_cpu_partial = drgn.offsetof(cpu, "partial")
        self.off_node_partial = drgn.offsetof(node, "partial")
        self.off_node_full = drgn.offsetof(node, "full")
        self.memmap = mem_map(prog)
        self.cpus = crash_cpus(prog)
        self.percpu_offsets = [prog["__per_cpu_offset"][c].value_() for c in self.cpus]
        self.page_offset_mask = (1 << self.memmap.pfn_shift) - 1

    def bitfield(self, slab: drgn.Type, name: str) -> tuple[int, int]:
        """(shift, mask) of a bitfield of ``slab.counters``."""
        member = slab.member(name)
        shift = member.bit_offset - slab.member("counters").bit_offset
        return shift, (1 << member.bit_field_size) - 1

    # -- caches ---------------------------------------------------------------------------------
    def caches(self) -> Iterator[Cache]:
        """Every cache in ``slab_caches`` order."""
        for obj in list_for_each_entry(
            "struct kmem_cache", self.prog["slab_caches"].address_of_(), "list"
        ):
            yield self.cache(obj)

    def cache(self, obj: drgn.Object) -> Cache:
        oo = obj.oo.x.value_()  # order << OO_SHIFT (16) | objects
        try:
            random, hardened = obj.random.value_(), True
        except AttributeError:  # no CONFIG_SLAB_FREELIST_HARDENED
            random, hardened = 0, False
        try:
            name = obj.name.string_().decode(errors="replace")
        except drgn.FaultError:
            name = "(unknown)"
        return Cache(
            address=obj.value_(),
            name=name,
            object_size=obj.object_size.value_(),
            size=obj.size.value_(),
            offset=obj.offset.value_(),
            objects=oo & OO_MASK,
            slab_size=1 << self.memmap.pfn_shift << (oo >> OO_SHIFT),
            random=random,
            hardened=hardened,
            flags=obj.flags.value_(),
            red_left_pad=obj.red_left_pad.value_(),
            cpu_slab=obj.cpu_slab.value_(),
        )

    def find_cache(self, name: str) -> Cache | None:
        return next((c for c in self.caches() if c.name == name), None)

    def cache_at(self, address: int) -> Cache | None:
        """The cache whose ``struct kmem_cache`` is at *address*, if it is on slab_caches."""
        return next((c for c in self.caches() if c.address == address), None)

    # -- slabs ----------------------------------------------------------------------------------
    def slab(self, address: int) -> Slab:
        raw = self.prog.read(address, self.slab_struct_size)
        counters = ULONG.unpack_from(raw, self.off_counters)[0]
        pfn = self.memmap.pfn_of_page(address)
        return Slab(
            address=address,
            memory=self.memmap.direct_map + (pfn << self.memmap.pfn_shift),
            node=self.memmap.node_of_pfn(pfn),
            objects=(counters >> self.objects_bits[0]) & self.objects_bits[1],
            inuse=(counters >> self.inuse_bits[0]) & self.inuse_bits[1],
            freelist=ULONG.unpack_from(raw, self.off_freelist)[0],
            next=ULONG.unpack_from(raw, self.off_next)[0],
            list_next=ULONG.unpack_from(raw, self.off_list)[0],
        )

    def cpu_slab(self, cache: Cache, cpu: int) -> CpuSlab:
        address = cache.cpu_slab + self.percpu_offsets[cpu]
        raw = self.prog.read(address, self.cpu_struct_size)
        freelist, slab, partial = (
            ULONG.unpack_from(raw, off)[0]
            for off in (self.off_cpu_freelist, self.off_cpu_slab, self.off_cpu_partial)
        )
        return CpuSlab(cpu, address, self.slab(slab) if slab else None, freelist, partial)

    def cpu_slabs(self, cache: Cache) -> list[CpuSlab]:
        return [self.cpu_slab(cache, cpu) for cpu in self.cpus]

    def partial_chain(self, first: int) -> Iterator[Slab]:
        """The CPU partial slabs, linked by ``slab.next``."""
        address = first
        while address:
            slab = self.slab(address)
            yield slab
            address = slab.next

    def node_list(self, node: CacheNode, full: bool = False) -> Iterator[Slab]:
        """The slabs on a node's partial (or full) list."""
        head = node.address + (self.off_node_full if full else self.off_node_partial)
        entry = self.prog.read_u64(head)
        seen = set()
        while entry != head and entry not in seen:
            seen.add(entry)
            slab = self.slab(entry - self.off_list)
            yield slab
            entry = slab.list_next

    def nodes(self, cache: Cache) -> list[CacheNode]:
        """The ``kmem_cache_node`` of each online node that has one."""
        obj = drgn.Object(self.prog, "struct kmem_cache", address=cache.address)
        nodes = []
        for nid, _, _ in self.memmap.node_ranges:
            ptr = obj.node[nid]
            if ptr:
                nodes.append(
                    CacheNode(
                        nid,
                        ptr.value_(),
                        ptr.nr_partial.value_(),
                        ptr.nr_slabs.counter.value_(),
                        ptr.total_objects.counter.value_(),
                    )
                )
        return nodes

    # -- freelists ------------------------------------------------------------------------------
    def page_of(self, pages: dict[int, bytes | None], address: int) -> bytes | None:
        """The page holding *address*, read once per walk (None if the dump lacks it)."""
        base = address & ~self.page_offset_mask
        if base not in pages:
            try:
                pages[base] = self.prog.read(base, self.page_offset_mask + 1)
            except drgn.FaultError:
                pages[base] = None
        return pages[base]

    def word_at(self, pages: dict[int, bytes | None], address: int) -> int | None:
        """The word at *address* from its page read once per walk (None where unreadable)."""
        offset = address & self.page_offset_mask
        if offset > self.page_offset_mask - 7:  # it crosses into the next page
            try:
                return self.prog.read_u64(address)
            except drgn.FaultError:
                return None
        page = self.page_of(pages, address)
        return None if page is None else ULONG.unpack_from(page, offset)[0]

    def freelist(self, cache: Cache, head: int) -> list[int]:
        """The free objects chained from *head*, stopping as crash does (NULL, bit 0, repeat).
        A hardened pointer is decoded as crash's freelist_ptr(): ``ptr ^ random ^
        swab(ptr_addr)``, or where that is unreadable the pre-5.7 ``ptr ^ random ^ ptr_addr``.
        The loop is inlined: a CPU's freelist can hold thousands of objects."""
        found: list[int] = []
        seen: set[int] = set()
        pages: dict[int, bytes | None] = {}
        mask, offset = self.page_offset_mask, cache.offset
        random = cache.random if cache.hardened else None
        unpack_from, page_of, swab = ULONG.unpack_from, self.page_of, swab64
        q = head
        while q and not q & PAGE_MAPPING_ANON and q not in seen:
            seen.add(q)
            found.append(q)
            ptr_addr = q + offset
            page = pages.get(ptr_addr & ~mask) or page_of(pages, ptr_addr)
            if page is not None and (ptr_addr & mask) <= mask - 7:
                q = unpack_from(page, ptr_addr & mask)[0]
            else:
                q = self.word_at(pages, ptr_addr)
                if q is None:
                    break
            if random is not None:
                value = q ^ random ^ swab(ptr_addr)
                if value and (pages.get(value & ~mask) or page_of(pages, value)) is None:
                    value = q ^ random ^ ptr_addr
                q = value
        return found

    # -- crash's counts -------------------------------------------------------------------------
    def usage(self, cache: Cache) -> CacheUsage:
        """crash's get_kmem_cache_slub_data(): free objects counted from the CPU slabs only."""
        free = 0
        for cpu in self.cpu_slabs(cache):
            if cpu.slab is None:
                continue  # crash skips the partial chain of a CPU without a current slab
            free += cpu.slab.free + len(self.freelist(cache, cpu.freelist))
            free += sum(s.free for s in self.partial_chain(cpu.partial))
        nodes = self.nodes(cache)
        for node in nodes:
            free += sum(s.free for s in self.node_list(node))
        total = sum(n.total_objects for n in nodes)
        return CacheUsage(total - free, total, sum(n.nr_slabs for n in nodes))

    def slab_owner(self, cache: Cache, slab: Slab) -> CpuSlab | None:
        """The CPU whose current slab this is."""
        return next(
            (c for c in self.cpu_slabs(cache) if c.slab and c.slab.address == slab.address), None
        )

    def shown_inuse(self, cache: Cache, slab: Slab, owner: CpuSlab | None) -> int:
        """In-use objects as crash's verbose slab line shows them (CPU freelist counted free)."""
        if owner is None:
            return slab.inuse
        free = len(self.freelist(cache, owner.freelist))
        if slab.freelist:
            free += slab.free
        return slab.objects - free

    def objects(self, cache: Cache, slab: Slab, cpu_freelist: int) -> Iterator[tuple[int, bool]]:
        """(address, free) of each object; free means on the slab's or the CPU's freelist."""
        free = set(self.freelist(cache, slab.freelist))
        free.update(self.freelist(cache, cpu_freelist))
        pad = cache.red_pad
        for i in range(slab.objects):
            address = slab.memory + i * cache.size + pad
            yield address, address in free

    # -- addresses ------------------------------------------------------------------------------
    def slab_of_address(self, address: int) -> tuple[Cache, Slab] | None:
        """crash's vaddr_to_kmem_cache(): the cache and slab of a mapped kernel address."""
        phys = kvtop(self.prog, address)
        if phys is None:
            return None
        pfn = phys >> self.memmap.pfn_shift
        if self.memmap.section_of_pfn(pfn) is None:
            return None
        page = compound_head(pfn_to_page(self.prog, pfn))
        try:
            if not PageSlab(page):
                return None
        except drgn.FaultError:
            return None
        return self.slab_with_cache(page.value_())

    def slab_with_cache(self, page: int) -> tuple[Cache, Slab] | None:
        """The slab at *page* and its cache, if the cache is on slab_caches."""
        cache = self.cache_at(self.prog.read_u64(page + self.off_slab_cache))
        return None if cache is None else (cache, self.slab(page))

    def slab_of_page(self, address: int) -> tuple[Cache, Slab] | None:
        """crash's is_slab_page(): *address* is a slab's head ``struct page``."""
        if not self.memmap.is_page_ptr(address):
            return None
        try:
            if not PageSlab(drgn.Object(self.prog, "struct page *", address)):
                return None
        except drgn.FaultError:
            return None
        return self.slab_with_cache(address)


@per_dump
def walker(prog: drgn.Program) -> SlabWalker:
    """The dump's SlabWalker, made on first use."""
    return SlabWalker(prog)
