"""vm: a task's memory map (crash's cmd_vm / vm_area_dump / vm_area_page_dump, memory.c)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.mm import for_each_vma
from drgn.helpers.linux.slab import slab_object_info

from crashsh.commands.files import filename_component
from crashsh.commands.task import StructValue
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import dtol, htol, is_decimal, is_number
from crashsh.conventions.tasks import invalid_task, task_table
from crashsh.dumpfacts import facts
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import paths, swap, tasks
from crashsh.kernel.memmap import mem_map
from crashsh.kernel.memusage import memory_usage
from crashsh.kernel.pagetable import PageTable
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import LAYOUT, Address, TaskHeader, Word
from crashsh.registry import TaskRun, command, foreach_handler

KERNEL_SPACE_START = 0xFFFF800000000000  # x86_64: crash's IS_KVADDR

# crash's do_vm_flags() names in its order, as on x86_64 (0x200 is NOHUGEPAGE, not GROWSUP)
VM_FLAG_NAMES = (
    (0x1, "READ"), (0x2, "WRITE"), (0x4, "EXEC"), (0x8, "SHARED"), (0x10, "MAYREAD"),
    (0x20, "MAYWRITE"), (0x40, "MAYEXEC"), (0x80, "MAYSHARE"), (0x100, "GROWSDOWN"),
    (0x200, "NOHUGEPAGE"), (0x400, "PFNMAP"), (0x800, "DENYWRITE"), (0x1000, "EXECUTABLE"),
    (0x2000, "LOCKED"), (0x4000, "IO"), (0x8000, "SEQ_READ"), (0x10000, "RAND_READ"),
    (0x20000, "DONTCOPY"), (0x40000, "DONTEXPAND"), (0x80000, "RESERVED"),
    (0x400000, "HUGETLB"), (0x100000, "ACCOUNT"), (0x800000, "NONLINEAR"),
    (0x1000000, None),  # HUGEPAGE, or MAPPED_COPY without transparent huge pages
    (0x2000000, "INSERTPAGE"), (0x4000000, "ALWAYSDUMP"), (0x8000000, "CAN_NONLINEAR"),
    (0x10000000, "MIXEDMAP"), (0x20000000, "SAO"), (0x40000000, "PFN_AT_MMAP"),
    (0x80000000, "MERGEABLE"),
)


@dataclass
class VmFlags:
    """`vm -f`: a vm_flags value and crash's names for its bits."""

    value: Word
    names: list[str]


@dataclass
class VmSummary:
    """The MM PGD RSS TOTAL_VM line (zeros for a task without an mm)."""

    mm: Address
    pgd: Address
    rss_kb: int
    total_vm_kb: int


@dataclass
class PageTranslation:
    """One page of a VMA (`vm -p`): its physical address; or, not present, its swap place
    or file offset; or nothing (not mapped)."""

    virtual: Address
    physical: Address | None = None
    swap_device: str | None = None
    swap_offset: int | None = None
    file: str | None = None
    file_offset: int | None = None


@dataclass
class VmArea:
    """One vm_area_struct: address, range, vm_flags and crash's path of its file ("" if
    anonymous); ``pages`` for `vm -p`, -P and -R."""

    address: Address
    start: Address
    end: Address
    flags: Word
    file: str
    pages: list[PageTranslation] | None = None
    pgoff: int = field(default=0, metadata=LAYOUT)
    column_header: bool = field(default=False, metadata=LAYOUT)  # the VMA header above it


@dataclass
class TaskVm:
    """`vm` for one task: the task line, the summary and the VMAs that crash shows."""

    header: TaskHeader | None
    summary: VmSummary | None
    areas: list[VmArea] = field(default_factory=list)
    column_header: bool = field(default=False, metadata=LAYOUT)  # one header above all rows
    not_found: bool = field(default=False, metadata=LAYOUT)  # -P: "(not found)"
    blank_after: bool = field(default=False, metadata=LAYOUT)
    subsequent: bool = field(default=False, metadata=LAYOUT)  # a blank line before the header
    physical_width: int = field(default=8, metadata=LAYOUT)


@dataclass
class TaskVmStructs:
    """`vm -m` / `vm -v`: the mm_struct or each vm_area_struct as gdb prints it."""

    header: TaskHeader | None
    structs: list[StructValue]
    subsequent: bool = field(default=False, metadata=LAYOUT)


MODES = {"physical": "physical", "mm": "mm", "vmas": "vmas", "single_vma": "single"}


@dataclass(frozen=True)
class VmOptions:
    mode: str  # list | physical | mm | vmas | single
    radix: int
    reference: "VmReference | None" = None
    single_vma: int = 0
    forced_mm: int = 0


VM_HELP = """\
A task's address space: its mm_struct, page directory, RSS and total size, then each
virtual memory area's address, range, flags and file. -p translates every page of each area
(physical page, swap entry or "not mapped"), -P VMA one area's; -m and -v print the
mm_struct and each vm_area_struct; -R shows only areas referring to a name or number; -f
translates vm_flags.
"""
VM_EXAMPLES = """\
  vm 1             pid 1's areas, starting:
    PID: 1        TASK: ffff8d1bc11f8000  CPU: 1    COMMAND: "init"
           MM               PGD          RSS    TOTAL_VM
    ffff8d1bc259ed00  ffff8d1bc13ca000  1816k    2260k
          VMA           START       END     FLAGS FILE
    ffff8d1bfffba1c8     400000     401000 8000071 /bin/busybox
  vm -p 1          with each page's physical address
  vm -f 8100073    the names of a vm_flags value
"""


def vm_parser() -> CommandParser:
    p = CommandParser("vm", VM_HELP, examples=VM_EXAMPLES)
    p.add_argument("-p", dest="physical", action="store_true",
                   help="translate each page of each VMA")
    p.add_argument("-P", dest="single_vma", type=htol,
                   help="translate the pages of this VMA only")
    p.add_argument("-m", dest="mm", action="store_true", help="dump the mm_struct")
    p.add_argument("-v", dest="vmas", action="store_true", help="dump each vm_area_struct")
    p.add_argument("-R", dest="reference", action="append",
                   help="only VMAs and pages referencing a name or a number")
    p.add_argument("-M", dest="forced_mm", help="the mm_struct to use for a task without one")
    p.add_argument("-f", dest="flags", type=htol, help="translate a vm_flags value")
    p.add_argument("-x", dest="hex", action="store_true", help="hexadecimal struct output")
    p.add_argument("-d", dest="decimal", action="store_true", help="decimal struct output")
    completes(p.add_argument("tasks", nargs="*", metavar="pid | task"), PID_OR_TASK)
    return p


@command("vm", "virtual memory", vm_parser,
         synopsis="[-p | -P vma | -M mm | -v | -m | -x | -d | [-R reference] [pid | task]]\n"
                  "     [-f vm_flags]")
def run_vm(session, args):
    if args.flags is not None:
        return vm_flags(session.prog, args.flags)
    options = vm_options(session, args)
    if not args.tasks:
        found = vm_of(session, session.context, options, header=options.reference is None)
        return [found] if found is not None else []
    return vm_of_arguments(session, args.tasks, options)


def vm_options(session, args) -> VmOptions:
    modes = [m for m in ("physical", "mm", "vmas") if getattr(args, m)]
    if args.single_vma is not None:
        modes.append("single_vma")
    references = args.reference or []
    if len(modes) > 1 or len(references) > 1 or references and modes not in ([], ["physical"]):
        raise UsageError("conflicting options", "")
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    forced = 0
    if args.forced_mm is not None:
        forced = htol(args.forced_mm)
        if forced < KERNEL_SPACE_START:
            raise CommandError(f"invalid mm_struct address: {args.forced_mm}")
    mode = MODES[modes[0]] if modes else "physical" if references else "list"
    return VmOptions(
        mode=mode,
        radix=16 if args.hex else 10 if args.decimal else session.settings.radix,
        reference=VmReference.parse(references[0]) if references else None,
        single_vma=args.single_vma or 0,
        forced_mm=forced,
    )


def vm_of_arguments(session, texts: list[str], options: VmOptions) -> Iterator[object]:
    """cmd_vm's loop: every task line but the first follows a blank line; without -R an
    invalid argument counts too."""
    shown = 0
    table = task_table(session.prog)
    for text in texts:
        found = table.find(text)
        if found is None:
            yield Notice("vm", invalid_task(text), blank_before=shown > 0)
            shown += 1
            continue
        for task in found.tasks:
            item = vm_of(session, task, options, header=options.reference is None)
            if item is None:
                continue
            if options.reference is None:
                item.subsequent = shown > 0
                shown += 1
            yield item


def vm_flags(prog: drgn.Program, value: int) -> VmFlags:
    """crash's do_vm_flags()."""
    thp = prog.type("struct mm_struct").has_member("pmd_huge_pte")
    names = [name or ("HUGEPAGE" if thp else "MAPPED_COPY")
             for bit, name in VM_FLAG_NAMES if value & bit]
    return VmFlags(value, names)


# -- one task -----------------------------------------------------------------------------------
def summary(prog: drgn.Program, task: drgn.Object) -> VmSummary:
    """crash's get_task_mem_usage() as vm shows it (RSS as ps computes it)."""
    tc = tasks.context_of(task)
    mm = tc.mm
    if not mm or tc.state & tasks.EXIT_ZOMBIE:
        return VmSummary(0, 0, 0, 0)
    if tc.flags & tasks.PF_EXITING and mm.mm_count.counter.value_() <= 0:
        return VmSummary(mm.value_(), 0, 0, 0)
    memory = memory_usage(prog).of(tc)
    page_kb = facts(prog).page_size // 1024
    return VmSummary(mm.value_(), mm.pgd.value_(), memory.rss * page_kb,
                     memory.total_vm * page_kb)


def vm_of(session, task: drgn.Object, options: VmOptions,
          header: bool) -> TaskVm | TaskVmStructs | None:
    """crash's vm_area_dump() for one task; None when -R finds nothing."""
    prog = session.prog
    head = tasks.task_header(task) if header or options.reference else None
    totals = summary(prog, task)
    ref = options.reference
    if ref is not None and (ref.number(totals.mm) or ref.number(totals.pgd)):
        return TaskVm(head, totals, blank_after=True)
    mm_address = totals.mm or forced_mm(prog, options.forced_mm)
    if options.mode in ("mm", "vmas"):
        return TaskVmStructs(head, structs(session, mm_address, options) if mm_address else [])
    shown = totals if options.mode in ("list", "physical") and ref is None else None
    result = TaskVm(head, shown, physical_width=mem_map(prog).physical_width)
    if not mm_address:
        return None if ref is not None else result
    pages = PageWalk(prog, drgn.Object(prog, "struct mm_struct *", mm_address))
    rows = [vm_area(prog, vma) for vma in for_each_vma(pages.mm)]
    if ref is not None:
        result.areas = reference_areas(pages, rows, ref)
        result.summary, result.blank_after = totals, True
        return result if result.areas else None
    if options.mode == "list":
        result.areas, result.column_header = rows, True
        return result
    if options.mode == "single":
        rows = [row for row in rows if row.address == options.single_vma]
        result.not_found = not rows
    for row in rows:
        row.pages, row.column_header = pages.translations(row), True
    result.areas = rows
    return result


def forced_mm(prog: drgn.Program, address: int) -> int:
    """`vm -M`: the given mm_struct for a task without one, checked as crash's is_valid_mm()."""
    if not address:
        return 0
    info = slab_object_info(prog, address)
    if info is None or info.slab_cache.name.string_() != b"mm_struct":
        raise CommandError("invalid mm_struct address")
    mm = drgn.Object(prog, "struct mm_struct", address=address)
    if not mm.mm_count.counter.value_():
        raise CommandError("stale mm_struct address")
    return address


def structs(session, mm_address: int, options: VmOptions) -> list[StructValue]:
    printer = session.value_printer(options.radix)
    mm = drgn.Object(session.prog, "struct mm_struct *", mm_address)
    if options.mode == "mm":
        return [StructValue("mm_struct", mm_address, printer.format_object(mm[0]))]
    return [StructValue("vm_area_struct", vma.value_(), printer.format_object(vma[0]))
            for vma in for_each_vma(mm)]


def vm_area(prog: drgn.Program, vma: drgn.Object) -> VmArea:
    return VmArea(vma.value_(), vma.vm_start.value_(), vma.vm_end.value_(),
                  vma.vm_flags.value_(), vma_file(prog, vma), pgoff=vma.vm_pgoff.value_())


def vma_file(prog: drgn.Program, vma: drgn.Object) -> str:
    """crash's path of the VMA's file (no devpts or devtmpfs adjustment here)."""
    file = vma.vm_file.read_()
    if not file or not file.f_path.dentry:
        return ""
    return paths.crash_path(prog, file.f_path.dentry.value_(), file.f_path.mnt.value_())


class PageWalk:
    """The pages of one mm's VMAs as crash's vm_area_page_dump() translates them."""

    def __init__(self, prog: drgn.Program, mm: drgn.Object) -> None:
        self.prog = prog
        self.mm = mm
        self.table = PageTable.of(mm)
        self.page_size = facts(prog).page_size
        self.kernel_mm = mm.value_() == prog["init_mm"].address_

    def translations(self, area: VmArea) -> list[PageTranslation] | None:
        """Each page of the VMA; None for init_mm's (crash shows no page list then)."""
        if self.kernel_mm:
            return None
        return [self.translate(area, virtual)
                for virtual in range(area.start, area.end, self.page_size)]

    def translate(self, area: VmArea, virtual: int) -> PageTranslation:
        """Mapped; else a non-zero PTE is a swap entry; else a file page's offset."""
        found = self.table.translate(virtual)
        page = PageTranslation(virtual, found.physical)
        if found.physical is None and found.pte:
            kind, page.swap_offset = swap.swap_entry(found.pte)
            page.swap_device = swap.swap_device(self.prog, kind)
        elif found.physical is None and area.file:
            page.file = area.file
            page.file_offset = ((virtual - area.start) // self.page_size + area.pgoff) \
                * self.page_size
        return page


# -- vm -R ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VmReference:
    """crash's -R argument: a number (hex, and also decimal when all digits) or a name."""

    text: str
    hexval: int | None = None
    decval: int = 0  # crash's zeroed field stays in use

    @classmethod
    def parse(cls, text: str) -> "VmReference":
        if not is_number(text):
            return cls(text)
        return cls(text, htol(text), dtol(text) if is_decimal(text) else 0)

    def number(self, value: int | None) -> bool:
        return self.hexval is not None and self.hexval == value

    def names(self, text: str) -> bool:
        return filename_component(text, self.text)

    def page(self, page: PageTranslation) -> bool:
        """The page's address, physical address, swap offset or device, or file offset."""
        if self.number(page.virtual):
            return True
        if page.physical is not None:
            return self.number(page.physical)
        if page.swap_device is not None:
            return (self.hexval is not None and self.decval == page.swap_offset
                    or self.names(page.swap_device))
        return page.file is not None and self.number(page.file_offset)


def reference_areas(walk: PageWalk, rows: list[VmArea], ref: VmReference) -> list[VmArea]:
    """The VMA lines and page lines crash's -R search prints, with its header repeats: a
    VMA header goes above the first VMA line and above a VMA line after a page display; a
    page display repeats its VMA line unless that line was printed under a header."""
    shown: list[VmArea] = []
    header_seen = after_pages = False
    last = None  # the VMA last printed under a header
    for row in rows:
        if ref.number(row.address) or ref.number(row.flags) or ref.names(row.file):
            entry = VmArea(row.address, row.start, row.end, row.flags, row.file, pgoff=row.pgoff)
            if not header_seen or after_pages:
                entry.column_header = True
                header_seen, after_pages, last = True, False, row.address
            shown.append(entry)
        pages = [p for p in walk.translations(row) or [] if ref.page(p)]
        if not pages:
            continue
        after_pages = True
        if not header_seen or last != row.address:
            shown.append(VmArea(row.address, row.start, row.end, row.flags, row.file,
                                pgoff=row.pgoff, column_header=True))
            header_seen, last = True, row.address
        shown[-1].pages = pages
    return shown


@foreach_handler("vm")
def foreach_vm(session, flags) -> TaskRun:
    """`foreach ... vm [-p|-m|-v] [-R ref] [-x|-d]`: foreach prints the task line, except
    with -R."""
    if flags.get("x") and flags.get("d"):
        raise CommandError("vm: -x and -d options are mutually exclusive")
    modes = [m for m in "pmv" if flags.get(m)]
    if len(modes) > 1:
        raise CommandError("vm command accepts only one of -p, -m or -v flags")
    reference = flags.get("R")
    if reference is not None and modes and modes[0] != "p":
        raise CommandError(f"vm: -{modes[0]} is not applicable to the -R option")
    mode = {"p": "physical", "m": "mm", "v": "vmas"}.get(modes[0] if modes else "", "list")
    radix = 16 if flags.get("x") else 10 if flags.get("d") else session.settings.radix
    options = VmOptions(mode, radix, VmReference.parse(reference) if reference else None)

    def run(task: drgn.Object, subsequent: bool) -> TaskVm | TaskVmStructs | list:
        found = vm_of(session, task, options, header=False)
        return [] if found is None else found  # -R found nothing: no output for the task

    return run
