"""search: find values or strings in memory (crash's cmd_search, search_virtual,
search_physical, search_ulong/uint/ushort/chars, display_with_pre_and_post in memory.c)."""

from __future__ import annotations

import argparse

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import drgn
from drgn.helpers.linux.mm import for_each_vma

from crashsh.bytesearch import WordFinder, occurrences, printable
from crashsh.commands.memory import MemoryRow, RdOptions, memory_rows
from crashsh.conventions.expressions import can_eval, evaluate
from crashsh.conventions.numbers import htol, stol
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import memmap, tasks
from crashsh.kernel.readmem import Memory
from crashsh.kernel.searchpages import Chunk, PageSource, kernel_ranges
from crashsh.parsing import CommandParser, Ordered
from crashsh.records import LAYOUT, Address, RecordBatch, TaskHeader, Word
from crashsh.registry import command

SYNOPSIS = ("[-s start] [ -[kKV] | -u | -p | -t | -T ] [-e end | -l length] [-m mask]\n"
            "         [-x count] -[cwh] [value | (expression) | symbol | string] ...")
USAGE = f'Usage:\n  search {SYNOPSIS}\nEnter "help search" for details.'
USERSPACE_TOP = 0x0000800000000000
CHARS_CONTEXT = 56  # crash's CHARS_CTX
SIZES = {"ulong": 8, "uint": 4, "ushort": 2}


@dataclass
class Target:
    """A value (or string) searched for and the label crash prints after a match."""

    value: int | bytes
    label: str


@dataclass
class SearchHit:
    """One match: its address and the value found (``label`` is crash's "(expression)" or
    "(symbol)" of the value searched for); with -x, the memory around it."""

    address: Address
    value: Word
    label: str
    bits: int = field(metadata=LAYOUT)
    before: list[MemoryRow] | None = None
    after: list[MemoryRow] | None = None


@dataclass
class SearchHits(RecordBatch):
    """Matches in one piece of memory, in crash's order, kept compact: runs of consecutive
    matching words, ``spans`` holding each run's start and end (offsets from ``base``) one
    after the other, ``group_of`` the group of targets each run matches (targets that match
    the same words: crash shows such a word once per target); with -m, ``values`` holds the
    word found in each run. JSON writes them as SearchHit records."""

    base: Address
    spans: array
    group_of: array
    groups: list[list[Target]]
    bits: int
    values: array | None = None

    def records(self) -> Iterator[SearchHit]:
        size = self.bits // 8
        for i in range(len(self.group_of)):
            start, end = self.base + self.spans[2 * i], self.base + self.spans[2 * i + 1]
            for address in range(start, end, size):
                for t in self.groups[self.group_of[i]]:
                    value = t.value if self.values is None else self.values[i]
                    yield SearchHit(address, value, t.label, self.bits)


@dataclass
class StringHit:
    """A -c match: its address and the printable characters from it (crash's context)."""

    address: Address
    text: str


@dataclass
class SearchTask:
    """-t/-T: the task whose stack holds the matches that follow."""

    header: TaskHeader
    subsequent: bool = field(default=False, metadata=LAYOUT)


@dataclass
class SearchNote:
    """A line crash prints amid the search: ``search: TEXT``."""

    text: str


@dataclass
class Crossing:
    """search_chars()'s cross_match memory, from one piece of memory to the next: where the
    next must start (``next``) for the string matches begun at the end of the last to go on;
    per target index, the first address such a match can start at (``at``) and, for each
    begun, how many of its bytes the next piece must hold, less one (``hits``)."""

    next: int | None = None
    at: dict[int, int] = field(default_factory=dict)
    hits: dict[int, list[int]] = field(default_factory=dict)


SEARCH_HELP = """\
Searches memory for a value, a string or a symbol's address and prints each address where it
is found with what is there (a symbol name beside a kernel address). By default it searches
kernel virtual memory: the kernel image, the direct map, vmalloc and vmemmap, modules; -u a
task's user memory (the context task's), -p physical memory, -t/-T the kernel stacks of every
task or of the active tasks. -s/-e/-l bound the range; -m masks bits out of each compare; -w,
-h and -c search 32-bit, 16-bit values and strings; -x N shows N words around each hit.
-k/-K/-V leave out parts of kernel memory (-K vmalloc and the like, -V the unity map).
"""
SEARCH_EXAMPLES = """\
examples:
  search -s init_task -l 0x2000 -K init_task     pointers to init_task within it:
    ffffffff9cc1b3c0: ffffffff9cc1aa40 (init_task)
    ffffffff9cc1b3c8: ffffffff9cc1aa40 (init_task)
  search -t 0xdead000000000100                    LIST_POISON1 on the kernel stacks:
    PID: 1        TASK: ffff8e30c11fa0c0  CPU: 0    COMMAND: "init"
    ffffd41240013e10: dead000000000100
  search -c crashsh_panic                         a string, with the text around it:
    ffff8e30c19de029: crashsh_panic...........................................
"""


def search_parser() -> CommandParser:
    p = CommandParser("search", SEARCH_HELP, epilog=SEARCH_EXAMPLES, add_help=False,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("-t", "-T", "-u", "-k", "-K", "-V", "-p", "-h", "-w", "-c"):
        p.add_argument(flag, dest="options", action=Ordered, nargs=0)
    for flag in ("-l", "-s", "-e", "-m", "-x"):
        p.add_argument(flag, dest="options", action=Ordered)
    p.add_argument("values", nargs="*")
    p.set_defaults(options=[])
    return p


@dataclass
class SearchOptions:
    space: str | None = None  # kernel | user | physical
    start: Address | None = None
    end: Address | None = None
    length: int | None = None
    mask: int = 0
    mode: str = "ulong"  # ulong | uint | ushort | chars
    context: int = 0
    kernel_only: str = ""  # K: no vmalloc-type ranges, V: no unity/start map
    stacks: str = ""  # t: every task's stack, T: the active tasks' stacks
    notes: list[str] = field(default_factory=list)


def usage(reason: str = "") -> CommandError:
    """crash's error(INFO, reason) and usage block in the output (the block alone without
    a reason)."""
    if not reason:
        return UsageError("missing or conflicting arguments", "")
    return CommandError(f"{reason}\n{USAGE}")


def search_options(session, pairs: list[tuple[str, str | None]]) -> SearchOptions:
    """crash's getopt loop in cmd_search()."""
    o = SearchOptions()
    for flag, value in pairs:
        letter = flag[1:]
        if letter == "u":
            task = session.context
            if not task.mm:
                raise CommandError("current context has no user address space")
            if o.start is None:
                o.start = first_vma(task.mm)
            o.space = "user"
        elif letter == "p":
            if o.start is None:
                m = memmap.mem_map(session.prog)
                o.start = m.node_ranges[0][1] << m.pfn_shift
            o.space = "physical"
        elif letter in "kKV":
            if o.start is None:
                o.start = kernel_ranges(session.prog)[0].start
            o.space = "kernel"
            o.kernel_only = letter if letter != "k" else o.kernel_only
        elif letter in "se":
            found = session.symtab.lookup_name(value)
            address = found.value if found is not None else htol(value)
            if letter == "e" and not address:
                raise CommandError("invalid ending address: 0")
            setattr(o, "start" if letter == "s" else "end", address)
        elif letter == "l":
            o.length = stol(value)
        elif letter == "m":
            o.mask = htol(value)
        elif letter in "hwc":
            mode = {"h": "ushort", "w": "uint", "c": "chars"}[letter]
            if o.mode != "ulong":
                what = "type" if letter == "c" else "mode"
                o.notes.append(f'WARNING: overriding previously set search {what} with "{letter}"')
            o.mode = mode
        elif letter == "x":
            o.context = stol(value)
        elif letter in "tT":
            if o.stacks and o.stacks != letter:
                raise CommandError("-t and -T options are mutually exclusive")
            o.stacks = letter
    return o


def first_vma(mm: drgn.Object) -> int:
    """crash's address_space_start(): the first VMA's start."""
    return next((vma.vm_start.value_() for vma in for_each_vma(mm)), 0)


@command("search", "search memory", search_parser, synopsis=SYNOPSIS)
def run_search(session, args) -> Iterator[object]:
    o = search_options(session, args.options)
    for note in o.notes:
        yield SearchNote(note)
    if o.stacks and (o.space or o.start or o.end or o.length):
        raise CommandError(f"-{o.stacks.lower()} option cannot be used with other "
                           "memory-selection options")
    prog = session.prog
    if o.space is None:
        o.space = "kernel"
        if not o.stacks and o.start is None:
            o.start = kernel_ranges(prog)[0].start
    if (o.start is None and not o.stacks) or not args.values or (o.length and o.end):
        raise usage()
    start, end = bounds(session, o)
    if o.mask and o.mode == "chars":
        yield SearchNote("mask ignored on string search")
    if o.context:
        if o.mode == "chars":
            raise CommandError("-x option is not allowed with -c")
        most = 4096 // SIZES[o.mode]
        if o.context > most:
            raise CommandError(f"context value {o.context} is too large: maximum is {most}")
    targets = [t for t in (target(session, text, o) for text in args.values) if t is not None]
    if not targets:
        raise usage()
    search = Search(session, o, targets)
    if o.stacks:
        yield from stack_search(search)
        return
    source = PageSource(session, session.context.mm if o.space == "user" else None)
    carry = Crossing()
    if o.space != "kernel":
        if start % 8:
            start -= start % 8
            yield SearchNote(f"rounding down start address to: {start:x}")
        pages = (source.physical_pages(start, end) if o.space == "physical"
                 else source.user_pages(start, end))
        yield from search.scan(source.chunks(pages), start, end, carry)
        return
    for r in kernel_ranges(prog):
        if o.kernel_only == "V" and r.kind in ("unity", "start_map") or \
                o.kernel_only == "K" and r.kind in ("vmalloc", "modules", "vmemmap"):
            continue
        low, high = max(start, r.start), min(end, r.end)
        if low >= high:
            continue
        if low % 8:  # crash rounds in each range's search_virtual()
            low -= low % 8
            yield SearchNote(f"rounding down start address to: {low:x}")
        # the direct map holds every frame: a frame found quiet there is not read again
        quiet = source if r.kind == "unity" else None
        yield from search.scan(source.chunks(source.kernel_pages(r, low, high)), low, high,
                               carry, quiet)


def bounds(session, o: SearchOptions) -> tuple[int, int]:
    """The verified [start, end) of the search (crash's checks and defaults)."""
    prog = session.prog
    start = o.start or 0
    if o.space == "user" and not start < USERSPACE_TOP:
        raise usage(f"invalid user virtual address: {start:x}")
    if o.space == "kernel" and not o.stacks and not memmap.is_kernel_address(prog, start):
        raise usage(f"invalid kernel virtual address: {start:x}")
    end = o.end
    if end is None and o.length:
        end = start + o.length
    elif end is None:
        if o.space == "user":
            end = memmap.mem_map(prog).direct_map
        elif o.space == "kernel":
            end = max(r.end for r in kernel_ranges(prog))
        else:
            m = memmap.mem_map(prog)
            end = m.node_ranges[-1][2] << m.pfn_shift
    if o.space == "user" and end > memmap.mem_map(prog).direct_map:
        raise usage(f"ending address {end:x} is in kernel space: {end:x}")
    if end < start and not o.stacks:
        raise usage(f"ending address {end:x} is below starting address {start:x}")
    return start, end


def target(session, text: str, o: SearchOptions) -> Target | None:
    """A value argument: (expression) or arithmetic, a symbol, else hex; or a string (-c)."""
    if o.mode == "chars":
        return Target(text.encode(), "") if text else None
    label = "" if o.mask else (text if text.startswith("(") else f"({text})")
    if can_eval(text):
        value = evaluate(session.prog, text)
    else:
        found = session.symtab.lookup_name(text)
        if found is not None:
            value = found.value
        else:
            value, label = htol(text), ""
    limit = {"uint": 0xFFFFFFFF, "ushort": 0xFFFF}.get(o.mode)
    if limit is not None and value > limit:
        flag = "w" if o.mode == "uint" else "h"
        raise CommandError(f"value too large for -{flag} option: {value:x} {label}")
    return Target(value, label)


def stack_search(search: Search) -> Iterator[object]:
    """-t/-T: each task's kernel stack (-T: only the tasks running on a CPU), with a task
    header before its first match."""
    prog = search.session.prog
    active = tasks.active_tasks(prog)
    size = tasks.thread_size(prog)
    found = 0
    source = PageSource(search.session)
    for tc in tasks.task_contexts(prog):
        if search.o.stacks == "T" and tc.address not in active:
            continue
        base = tc.task.stack.value_()
        header = SearchTask(tasks.task_header(tc.task), found > 0)
        shown = False
        chunks = source.chunks(source.stack_pages(base, size))
        for item in search.scan(chunks, base, base + size, Crossing()):
            if not shown:
                yield header
                shown, found = True, found + 1
            yield item


class Search:
    """The matching of one search: its options and targets, over pieces of memory."""

    def __init__(self, session, o: SearchOptions, targets: list[Target]) -> None:
        self.session = session
        self.o = o
        self.targets = targets
        self.size = SIZES.get(o.mode, 1)
        # targets that match the same words (their values but for the mask), in order
        self.groups: list[list[Target]] = []
        self.finders: list[WordFinder] = []
        if o.mode != "chars":
            index: dict[int, int] = {}
            for t in targets:
                if t.value | o.mask not in index:
                    index[t.value | o.mask] = len(self.groups)
                    self.groups.append([])
                    self.finders.append(WordFinder(self.size, t.value, o.mask))
                self.groups[index[t.value | o.mask]].append(t)

    def scan(self, chunks: Iterable[Chunk], start: int, end: int, carry: Crossing,
             quiet: PageSource | None = None) -> Iterator[object]:
        """The matches in [start, end) of each chunk (crash searches whole longs only),
        in crash's order; *carry* keeps string matches that cross into the next chunk;
        *quiet* learns the frames that hold no match."""
        stop = end - end % 8
        for chunk in chunks:
            low = max(start, chunk.address) - chunk.address
            high = min(stop, chunk.address + chunk.size) - chunk.address
            if high <= low:
                continue
            if self.o.mode == "chars":
                if chunk.data is not None:
                    yield from self.string_hits(chunk.address, chunk.data, low, high, carry)
                    if quiet is not None:
                        quiet.settle(chunk, low, high, self.string_busy(chunk.data))
                continue
            hits = self.word_hits(chunk, low, high)
            if quiet is not None:
                quiet.settle(chunk, low, high, busy_pages(hits.spans if hits else array("I"),
                                                          self.page_size, chunk.size))
            if hits is not None and self.o.context:
                yield from self.with_context(hits)
            elif hits is not None:
                yield hits

    def word_hits(self, chunk: Chunk, low: int, high: int) -> SearchHits | None:
        """The runs of matching words in the chunk's [low, high)."""
        size, mask, data = self.size, self.o.mask, chunk.data
        if data is None:  # zeros: all words match the group whose value is 0 but for the mask
            found = [[low, high] if g[0].value | mask == mask else [] for g in self.groups]
        else:
            found = [finder.runs(data, low, high) for finder in self.finders]
        used = [g for g, runs in enumerate(found) if runs]
        if not used:
            return None
        if len(used) == 1:
            spans = array("I", found[used[0]])
            group_of = array("H", used) * (len(spans) // 2)
        else:  # the groups' runs hold different words: in address order
            ordered = sorted((runs[i], runs[i + 1], g) for g in used
                             for runs in (found[g],) for i in range(0, len(runs), 2))
            spans = array("I", [x for start, end, _ in ordered for x in (start, end)])
            group_of = array("H", [g for _, _, g in ordered])
        values = None
        if mask:
            values = array("Q", [0] * len(group_of) if data is None else
                           [int.from_bytes(data[at:at + size], "little") for at in spans[::2]])
        return SearchHits(chunk.address, spans, group_of, self.groups, size * 8, values)

    def with_context(self, hits: SearchHits) -> Iterator[SearchHit]:
        """display_with_pre_and_post(): each match with the -x words before and after."""
        o, size = self.o, self.size
        for hit in hits.records():
            hit.before = self.context_rows(hit.address - o.context * size)
            hit.after = self.context_rows(hit.address + size)
            yield hit

    def context_rows(self, address: int) -> list[MemoryRow]:
        """display_memory() of the -x words from *address* (unreadable ones left out)."""
        rows: list[MemoryRow] = []
        try:
            rows.extend(memory_rows(self.session, Memory(self.session, self.o.space), address,
                                    self.o.context, self.size * 8, RdOptions()))
        except Exception:  # noqa: BLE001 - crash's NO_ERROR: what could not be read is left out
            pass
        return rows

    def string_hits(self, address: int, data: bytes, low: int, high: int,
                    carry: Crossing) -> list[StringHit]:
        """search_chars() page after page of the pages at *address*: matches inside a page
        with up to 56 characters from the page; a match that crosses into the next page is
        reported with that page, after its own crossing matches (in target order)."""
        size = self.page_size
        last = (high - 1) // size  # the last page's window ends at high, the others whole
        found: list[tuple[tuple[int, ...], StringHit]] = []
        first = low // size
        if carry.next == address + low:
            for j, t in enumerate(self.targets):
                n = len(t.value)
                for k in carry.hits.get(j, ()):
                    if data[low:low + k + 1] == t.value[n - 1 - k:]:
                        text = t.value + data[low + k + 1:low + k + 1 + max(CHARS_CONTEXT - n, 0)]
                        found.append(((first, 0, j, k), StringHit(carry.at[j] + k,
                                                                  printable(text))))
        for j, t in enumerate(self.targets):
            n = len(t.value)
            for at in occurrences(data, t.value, low, min(len(data), high + n - 1)):
                if at >= high:
                    break
                page = at // size
                window_end = high if page == last else (page + 1) * size
                if at + n <= window_end:
                    text = data[at:at + min(CHARS_CONTEXT, window_end - at)]
                    found.append(((page, 1, at, j), StringHit(address + at, printable(text))))
                elif page < last and at + n <= (page + 2) * size:
                    text = data[at:at + max(CHARS_CONTEXT, n)]
                    found.append(((page + 1, 0, j, at), StringHit(address + at,
                                                                  printable(text))))
        carry.next = address + high
        carry.at = {j: address + high - (len(t.value) - 1) for j, t in enumerate(self.targets)}
        carry.hits = {}
        window_start = max(low, last * size)
        for j, t in enumerate(self.targets):
            n = len(t.value)
            for at in range(max(high - n + 1, window_start), high):
                if data[at:high] == t.value[:high - at]:
                    carry.hits.setdefault(j, []).append(n + at - high - 1)
        found.sort(key=lambda pair: pair[0])
        return [hit for _, hit in found]

    def string_busy(self, data: bytes) -> list[int]:
        """The indexes of the pages of *data* that take part in a string match wherever
        they are mapped: a target in them, or the start of one at their end, or the end of
        one at their start."""
        size, (heads, tails) = self.page_size, self.string_edges
        return [at // size for at in range(0, len(data), size)
                if any(data.find(t.value, at, at + size) >= 0 for t in self.targets)
                or data.endswith(heads, at, at + size) or data.startswith(tails, at, at + size)]

    @cached_property
    def string_edges(self) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
        """The targets' proper beginnings and ends."""
        return (tuple(t.value[:i] for t in self.targets for i in range(1, len(t.value))),
                tuple(t.value[i:] for t in self.targets for i in range(1, len(t.value))))

    @cached_property
    def page_size(self) -> int:
        return 1 << memmap.mem_map(self.session.prog).pfn_shift


def busy_pages(spans: array, page_size: int, size: int) -> list[int]:
    """The indexes, in order, of the pages of *size* bytes the runs of matching words touch
    (*spans*: start and end of each, in order)."""
    runs = len(spans) // 2
    if runs > size // page_size:  # many runs: look each page up
        starts, ends = spans[0::2], spans[1::2]
        return [page for page in range(size // page_size)
                if (i := bisect_right(ends, page * page_size)) < runs
                and starts[i] < (page + 1) * page_size]
    pages: set[int] = set()
    for i in range(0, len(spans), 2):
        pages.update(range(spans[i] // page_size, (spans[i + 1] - 1) // page_size + 1))
    return sorted(pages)
