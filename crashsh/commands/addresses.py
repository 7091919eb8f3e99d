"""vtop, ptov, pte: address translation (crash's cmd_vtop / do_vtop / cmd_ptov / cmd_pte in
memory.c, x86_64_kvtop / x86_64_uvtop_level4 / x86_64_translate_pte in x86_64.c)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.mm import vma_find

from crashsh.commands.kmem_pages import page_row
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import cpu_list, htol
from crashsh.conventions.tasks import task_table
from crashsh.commands.vm import VmArea, vm_area
from crashsh.dumpfacts import facts, per_dump
from crashsh.errors import CommandError
from crashsh.kernel import memmap, swap, tasks
from crashsh.kernel.pagetable import (PRESENT, PROTNONE, PSE, PageTable, TableEntry, Walk,
                                      physical_bits, physical_page_mask)
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import LAYOUT, Address, Word
from crashsh.registry import TaskRun, command, foreach_handler

USERSPACE_TOP = 0x0000800000000000  # x86_64, 4-level paging

# x86_64_translate_pte()'s flag names, in its order (PSE only when present, PROTNONE only not)
PTE_FLAGS = ((0x1, "PRESENT"), (0x2, "RW"), (0x4, "USER"), (0x8, "PWT"), (0x10, "PCD"),
             (0x20, "ACCESSED"), (0x40, "DIRTY"), (PSE, "PSE"), (PROTNONE, "PROTNONE"),
             (PROTNONE, "GLOBAL"), (1 << 63, "NX"))


@dataclass
class PteBits:
    """A PTE as crash translates it: its physical address and flag names, or, not present
    and not zero, its swap device and offset. No flags: "no mapping"."""

    pte: Word
    physical: Address
    flags: list[str]
    swap_device: str | None = None
    swap_offset: int | None = None


@dataclass
class AddressTranslation:
    """One `vtop` address: the translation line, the page-table walk, the VMA of a user
    address, and the struct page of a mapped one.

    ``status`` is "mapped", "not mapped", "not accessible" (no VMA of the task holds a user
    address) or "not a kernel virtual address" (-k with a user address); ``directory`` is
    the kernel's top table (crash's PGD DIRECTORY) for a kernel walk; ``page_size`` is ""
    for 4 KB pages, else "2MB" or "1GB"."""

    virtual: Address
    user: bool
    status: str
    physical: Address | None = None
    directory: Address | None = None
    entries: list[TableEntry] = field(default_factory=list)
    page: Address | None = None
    page_size: str = ""
    zero_page: bool = False
    bits: PteBits | None = None
    vma: VmArea | None = None
    location: str | None = None  # not mapped: "SWAP: dev  OFFSET: n" or "FILE: path  OFFSET: x"
    page_row: memmap.PageRow | None = None
    warning: str | None = None  # crash's sparsemem warning for a physical address beyond memory
    subsequent: bool = field(default=False, metadata=LAYOUT)
    page_header: bool = field(default=True, metadata=LAYOUT)  # first struct page row of the command
    physical_width: int = field(default=8, metadata=LAYOUT)


@dataclass
class PhysicalToVirtual:
    """`ptov PHYS`: the direct-map address of a physical address."""

    physical: Address
    virtual: Address
    subsequent: bool = field(default=False, metadata=LAYOUT)


@dataclass
class PerCpuAddresses:
    """`ptov OFFSET:CPUS`: a per-cpu offset plus each CPU's __per_cpu_offset."""

    offset: Address
    addresses: list[tuple[int, Address]]  # (cpu, address)
    cpu_width: int = field(metadata=LAYOUT)
    subsequent: bool = field(default=False, metadata=LAYOUT)


# -- pte ----------------------------------------------------------------------------------------
def pte_bits(prog: drgn.Program, pte: int) -> PteBits:
    """crash's x86_64_translate_pte() for display."""
    physical = pte & physical_page_mask(prog)
    if not pte & (PRESENT | PROTNONE) and pte:
        kind, offset = swap.swap_entry(pte)
        return PteBits(pte, physical, [], swap.swap_device(prog, kind), offset)
    present = bool(pte & PRESENT)
    flags = [name for mask, name in PTE_FLAGS if pte & mask
             and (name != "PSE" or present) and (name != "PROTNONE" or not present)]
    return PteBits(pte, physical, flags)


PTE_HELP = """\
Decodes page table entries: for each hexadecimal PTE value, the physical address it maps
and its flag bits by name (PRESENT, RW, USER, ACCESSED, DIRTY, PSE, GLOBAL, NX, ...); a
not-present entry is decoded as a swap entry (swap type and offset) when it is one.
"""
PTE_EXAMPLES = """\
  pte 800000003b463063     a present, writable, non-executable entry:
      PTE         PHYSICAL  FLAGS
    800000003b463063  3b463000  (PRESENT|RW|ACCESSED|DIRTY|NX)
  pte 0x63 0x80000000000001e1 several entries at once
"""


def pte_parser() -> CommandParser:
    p = CommandParser("pte", PTE_HELP, examples=PTE_EXAMPLES)
    p.add_argument("entries", nargs="*")
    return p


@command("pte", "translate a page table entry", pte_parser, synopsis="contents ...")
def run_pte(session, args) -> Iterator[PteBits]:
    for text in args.entries:
        bits = pte_bits(session.prog, htol(text))
        yield bits
        if bits.swap_device is not None and len(bits.swap_device.split()) != 1:
            # crash re-parses "DEVICE  OFFSET: N" into three words, after printing "PTE  "
            raise CommandError("cannot determine swap location")


# -- ptov ---------------------------------------------------------------------------------------
PTOV_HELP = """\
Physical addresses to their kernel virtual addresses in the direct map; OFFSET:CPUSPEC
(e.g. 0x10:a) gives a per-CPU offset's address on each chosen CPU instead.
"""
PTOV_EXAMPLES = """\
  ptov 1000000      the direct-map address of physical 16 MB:
    VIRTUAL           PHYSICAL
    ffff8d1bc1000000  1000000
  ptov 100:0,1      per-CPU offset 0x100 on CPUs 0 and 1
"""


def ptov_parser() -> CommandParser:
    p = CommandParser("ptov", PTOV_HELP, examples=PTOV_EXAMPLES)
    p.add_argument("addresses", nargs="+")
    return p


@command("ptov", "physical to virtual", ptov_parser,
         synopsis="[address | offset:cpuspec]")
def run_ptov(session, args) -> Iterator[PhysicalToVirtual | PerCpuAddresses]:
    prog = session.prog
    for i, text in enumerate(args.addresses):
        text, colon, spec = text.partition(":")
        value = htol(text)
        if not colon:
            yield PhysicalToVirtual(value, (value + facts(prog).page_offset) & (2**64 - 1), i > 0)
            continue
        ncpus = len(tasks.present_cpus(prog))
        cpus = [tasks.cpu_of(session.context)] if not spec else cpu_list(spec, ncpus)
        offsets = prog["__per_cpu_offset"]
        yield PerCpuAddresses(value, [(c, (value + offsets[c].value_()) & (2**64 - 1))
                                      for c in cpus], len(f"[{ncpus - 1}]") + 2, i > 0)


# -- vtop ---------------------------------------------------------------------------------------
VTOP_HELP = """\
Translates virtual addresses to physical ones, walking the page tables level by level (PGD,
PUD, PMD, PTE) and printing each entry, the PTE's flags and the page struct of the target.
A user address is translated in the current context's (or -c's task's) address space; a
swapped-out user page shows its swap entry.
"""
VTOP_EXAMPLES = """\
  vtop ffffffff97e00000      kernel text, mapped by a 2 MB page:
    VIRTUAL           PHYSICAL
    ffffffff97e00000  16200000
    ...
      PMD: 17c165f8 => 162001e1
      PAGE: 16200000  (2MB)
  vtop -c 1 400000           pid 1's user page at 0x400000
"""


def vtop_parser() -> CommandParser:
    p = CommandParser("vtop", VTOP_HELP, examples=VTOP_EXAMPLES)
    completes(p.add_argument("-c", dest="task", help="pid or task: use its page tables"),
              PID_OR_TASK)
    p.add_argument("-u", dest="user", action="store_true", help="user virtual address")
    p.add_argument("-k", dest="kernel", action="store_true", help="kernel virtual address")
    p.add_argument("addresses", nargs="+")
    return p


@command("vtop", "virtual to physical", vtop_parser,
         synopsis="[-c [pid | taskp]] [-u|-k] address ...")
def run_vtop(session, args) -> Iterator[AddressTranslation]:
    task = session.context
    if args.task is not None:
        task = task_table(session.prog).get(args.task).tasks[0]
    if args.user and args.kernel:
        raise CommandError("-u and -k options are mutually exclusive")
    header = True
    for i, text in enumerate(args.addresses):
        vaddr = htol(text)
        user = args.user or (not args.kernel and address_kind(session.prog, vaddr))
        result = vtop(session, task, vaddr, user, i > 0)
        result.page_header = header  # crash's HEADER_PRINTED: once per command
        header = header and result.page_row is None
        yield result


@foreach_handler("vtop")
def foreach_vtop(session, flags) -> TaskRun:
    """`foreach ... vtop [-c] [-u|-k] address ...`: crash's do_vtop() of each address in
    the task's context, with no blank line between them and the struct page header once per
    command; a failing address ends the task's part with crash's error line."""
    if not flags["arguments"]:
        raise CommandError("foreach command requires address argument")
    if "R" in flags:
        raise CommandError("vtop command does not support -R option")
    if flags.get("u") and flags.get("k"):
        raise CommandError("vtop: -u and -k options are mutually exclusive")
    page_header_shown = False

    def run(task: drgn.Object, subsequent: bool) -> list[AddressTranslation | Notice]:
        nonlocal page_header_shown
        results: list[AddressTranslation | Notice] = []
        for text in flags["arguments"]:
            try:
                vaddr = htol(text)
                user = bool(flags.get("u")) or (not flags.get("k")
                                                 and address_kind(session.prog, vaddr))
            except CommandError as e:
                results.append(Notice("vtop", str(e)))
                break
            result = vtop(session, task, vaddr, user, False)
            result.page_header = not page_header_shown
            page_header_shown = page_header_shown or result.page_row is not None
            results.append(result)
        return results

    return run


def address_kind(prog: drgn.Program, vaddr: int) -> bool:
    """crash's vaddr_type(): True for a user address, False for a kernel one."""
    user = vaddr < USERSPACE_TOP
    if user == memmap.is_kernel_address(prog, vaddr):
        raise CommandError(f"ambiguous address: {vaddr:x}  (requires -u or -k)")
    return user


def vtop(session, task: drgn.Object, vaddr: int, user: bool,
         subsequent: bool) -> AddressTranslation:
    """crash's do_vtop() for one address."""
    prog = session.prog
    result = AddressTranslation(vaddr, user, "mapped", subsequent=subsequent)
    kernel = memmap.is_kernel_address(prog, vaddr)
    if user and not kernel:
        mm = task.mm.read_()
        vma = vma_find(mm, vaddr) if mm else None
        if not vma:
            result.status = "not accessible"
            return result
        result.vma = vm_area(prog, vma)
        walk = PageTable.of(mm).walk(vaddr)
        fill_walk(prog, result, walk, kernel=False)
        if walk.physical is None:
            result.location = unmapped_location(prog, result.vma, vaddr, walk.leaf)
    elif user or kernel:
        if user:  # -u with a kernel address
            result.status = "not accessible"
            return result
        init_mm = prog["init_mm"].address_of_()
        walk = PageTable.of(init_mm).walk(vaddr, kernel=True)
        result.directory = init_mm.pgd.value_()
        fill_walk(prog, result, walk, kernel=True)
        if not memmap.is_vmalloc_address(prog, vaddr):
            result.status, result.physical = "mapped", memmap.kvtop(prog, vaddr)
    else:
        result.status = "not a kernel virtual address"
        return result
    if result.physical is not None:
        m = memmap.mem_map(prog)
        result.page_row = page_row(session, result.physical, physical=True)
        result.physical_width = m.physical_width
        section = (result.physical >> m.pfn_shift) // m.pages_per_section
        if section >= ((1 << physical_bits(prog)) >> m.pfn_shift) // m.pages_per_section:
            result.warning = f"sparsemem: invalid section number: {section}"
    return result


def fill_walk(prog: drgn.Program, result: AddressTranslation, walk: Walk, kernel: bool) -> None:
    """The walk's entries, the page line and the PTE bits crash shows after them."""
    result.entries = walk.entries
    if walk.physical is None:
        result.status = "not mapped"
        if walk.leaf:
            result.bits = pte_bits(prog, walk.leaf)
        return
    result.physical = walk.physical
    shift = {"1GB": 30, "2MB": 21}.get(walk.page_size, facts(prog).page_shift)
    result.page = walk.physical >> shift << shift
    result.page_size = walk.page_size
    result.zero_page = not kernel and walk.page_size != "1GB" and result.page in zero_pages(prog)
    result.bits = pte_bits(prog, walk.leaf)


@per_dump
def zero_pages(prog: drgn.Program) -> tuple[int, ...]:
    """crash's zero_paddr and huge_zero_paddr: the physical addresses of the zero pages."""
    found = []
    shift = facts(prog).page_shift
    for name in ("zero_pfn", "huge_zero_pfn"):
        try:
            pfn = prog[name].value_()
        except (KeyError, drgn.FaultError):
            continue
        if pfn != 2**64 - 1:
            found.append(pfn << shift)
    return tuple(found)


def unmapped_location(prog: drgn.Program, vma: VmArea, vaddr: int, pte: int) -> str | None:
    """crash's swap_location() of a non-present PTE, else vma_file_offset()."""
    if pte:
        kind, offset = swap.swap_entry(pte)
        return f"SWAP: {swap.swap_device(prog, kind)}  OFFSET: {offset}"
    if vma.file:
        page_size = facts(prog).page_size
        offset = ((vaddr - vma.start) // page_size + vma.pgoff) * page_size
        return f"FILE: {vma.file}  OFFSET: {offset:x}"
    return None
