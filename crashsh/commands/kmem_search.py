"""kmem ADDRESS (crash's kmem_search) and the vmap area table of kmem -v."""

from __future__ import annotations

from dataclasses import dataclass

from crashsh.commands.kmem_free import free_block
from crashsh.commands.kmem_pages import PageTable, page_row
from crashsh.commands.kmem_slabs import SlabOfAddress, cache_row, slab_listing, translation_warning
from crashsh.commands.system import context_info
from crashsh.kernel import memmap, slab, tasks
from crashsh.records import Address


@dataclass
class VmapTable:
    """`kmem -v` (and the vmalloc part of kmem ADDRESS): vmap areas with a vm_struct."""

    areas: list[memmap.VmapArea]


@dataclass
class NotInMemMap:
    """The last line of kmem ADDRESS when no struct page was found."""

    address: Address
    physical: bool


@dataclass
class AddressReport:
    """`kmem ADDRESS`: what crash found about the address, in its order (each followed by a
    blank line, except notices), then the page row or NotInMemMap."""

    findings: list[object]
    page: PageTable | NotInMemMap


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
