"""search: find values or strings in memory (crash's cmd_search, search_virtual,
search_physical, search_ulong/uint/ushort/chars, display_with_pre_and_post in memory.c)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.mm import for_each_vma

from crashsh.commands.memory import MemoryRow, Ordered, RdOptions, memory_rows
from crashsh.conventions.expressions import can_eval, evaluate
from crashsh.conventions.numbers import htol, stol
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import memmap, tasks
from crashsh.kernel.readmem import Memory
from crashsh.kernel.searchpages import (PageSource, kernel_ranges, physical_pages, stepped,
                                        user_pages)
from crashsh.parsing import CommandParser
from crashsh.records import TaskHeader
from crashsh.registry import command

SYNOPSIS = ("[-s start] [ -[kKV] | -u | -p | -t | -T ] [-e end | -l length] [-m mask]\n"
            "         [-x count] -[cwh] [value | (expression) | symbol | string] ...")
USAGE = f'Usage:\n  search {SYNOPSIS}\nEnter "help search" for details.'
USERSPACE_TOP = 0x0000800000000000
CHARS_CONTEXT = 56  # crash's CHARS_CTX
SIZES = {"ulong": 8, "uint": 4, "ushort": 2}
HIDDEN = {"json": False}


@dataclass
class SearchHit:
    """One match: its address and the value found (``label`` is crash's "(expression)" or
    "(symbol)" of the value searched for); with -x, the memory around it."""

    address: int
    value: int
    label: str
    bits: int = field(metadata=HIDDEN)
    before: list[MemoryRow] | None = None
    after: list[MemoryRow] | None = None


@dataclass
class StringHit:
    """A -c match: its address and the printable characters from it (crash's context)."""

    address: int
    text: str


@dataclass
class SearchTask:
    """-t/-T: the task whose stack holds the matches that follow."""

    header: TaskHeader
    subsequent: bool = field(default=False, metadata=HIDDEN)


@dataclass
class SearchNote:
    """A line crash prints amid the search: ``search: TEXT``."""

    text: str


@dataclass
class Target:
    """A value (or string) searched for and the label crash prints after a match."""

    value: int | bytes
    label: str


class IntermixedParser(CommandParser):
    """Options anywhere among the values, as GNU getopt permutes crash's arguments."""

    def parse_args(self, args=None, namespace=None):  # noqa: D102 - argparse's API
        return self.parse_intermixed_args(args, namespace)


def search_parser() -> CommandParser:
    p = IntermixedParser("search", "search memory", add_help=False)
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
    start: int | None = None
    end: int | None = None
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
    if o.stacks:
        yield from stack_search(session, o, targets)
        return
    source = PageSource(prog, o.space, session.context.mm if o.space == "user" else None)
    carry: dict = {}
    if o.space != "kernel":
        if start % 8:
            start -= start % 8
            yield SearchNote(f"rounding down start address to: {start:x}")
        pages = (physical_pages(source, start, end) if o.space == "physical"
                 else user_pages(source, session.context.mm, start, end))
        yield from scan(session, o, targets, pages, start, end, carry)
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
        yield from scan(session, o, targets, source.pages(stepped(source, r, low, high)),
                        low, high, carry)


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


def stack_search(session, o: SearchOptions, targets: list[Target]) -> Iterator[object]:
    """-t/-T: each task's kernel stack (-T: only the tasks running on a CPU), with a task
    header before its first match."""
    prog = session.prog
    active = tasks.active_tasks(prog)
    size = tasks.thread_size(prog)
    found = 0
    source = PageSource(prog, "kernel")
    for tc in tasks.task_contexts(prog):
        if o.stacks == "T" and tc.address not in active:
            continue
        base = tc.task.stack.value_()
        header = SearchTask(tasks.task_header(tc.task), found > 0)
        shown = False
        pages = source.pages(source.translated(range(base, base + size, source.page_size)))
        for item in scan(session, o, targets, pages, base, base + size, {}):
            if not shown:
                yield header
                shown, found = True, found + 1
            yield item


def scan(session, o: SearchOptions, targets: list[Target], pages, start: int, end: int,
         carry: dict) -> Iterator[object]:
    """The matches in each page's part of [start, end), in crash's order; *carry* keeps a
    string match that crosses into the next page."""
    for page, data in pages:
        low = max(start, page) - page
        high = min(end - page, len(data))
        count = (high - low) // 8 * 8
        if count <= 0:
            continue
        view = data[low:low + count]
        if o.mode == "chars":
            yield from string_hits(targets, page + low, view, carry)
        else:
            yield from value_hits(session, o, targets, page + low, view)


def value_hits(session, o: SearchOptions, targets: list[Target], address: int,
               view: bytes) -> Iterator[SearchHit]:
    size = SIZES[o.mode]
    hits: list[tuple[int, int]] = []
    if o.mask:
        words = memoryview(view).cast({8: "Q", 4: "I", 2: "H"}[size])
        for j, t in enumerate(targets):
            want = t.value | o.mask
            hits.extend((i * size, j) for i, w in enumerate(words) if w | o.mask == want)
    else:
        for j, t in enumerate(targets):
            pattern = t.value.to_bytes(size, "little")
            at = view.find(pattern)
            while at >= 0:
                if at % size == 0:
                    hits.append((at, j))
                at = view.find(pattern, at + 1)
    for offset, j in sorted(hits):
        value = int.from_bytes(view[offset:offset + size], "little")
        hit = SearchHit(address + offset, value, targets[j].label, size * 8)
        if o.context:
            hit.before = context_rows(session, o, address + offset - o.context * size, size)
            hit.after = context_rows(session, o, address + offset + size, size)
        yield hit


def context_rows(session, o: SearchOptions, address: int, size: int) -> list[MemoryRow]:
    """display_memory() of the -x words before or after a match (unreadable ones left out)."""
    rows: list[MemoryRow] = []
    try:
        rows.extend(memory_rows(session, Memory(session, o.space), address, o.context,
                                size * 8, RdOptions()))
    except Exception:  # noqa: BLE001 - crash's NO_ERROR: what could not be read is left out
        pass
    return rows


def printable(data: bytes) -> str:
    return "".join(chr(c) if 0x20 <= c < 0x7F else "." for c in data)


def string_hits(targets: list[Target], address: int, view: bytes,
                carry: dict) -> Iterator[StringHit]:
    """search_chars(): matches inside the page, with up to 56 characters from each; a match
    that crosses into the next page is reported when that page is searched."""
    count = len(view)
    if carry.get("next") == address:
        for j, t in enumerate(targets):
            n = len(t.value)
            for i in carry["hits"].get(j, ()):
                if view[:i + 1] == t.value[n - 1 - i:]:
                    tail = view[i + 1:i + 1 + max(CHARS_CONTEXT - n, 0)]
                    yield StringHit(carry["addr"][j] + i, printable(t.value + tail))
    carry["next"] = address + count
    carry["hits"] = {}
    carry["addr"] = {j: address + count - (len(t.value) - 1) for j, t in enumerate(targets)}
    found: list[tuple[int, int]] = []
    for j, t in enumerate(targets):
        n = len(t.value)
        at = view.find(t.value)
        while 0 <= at and at + n <= count:
            found.append((at, j))
            at = view.find(t.value, at + 1)
        for i in range(max(count - n + 1, 0), count):
            if view[i:] == t.value[:count - i]:
                carry["hits"].setdefault(j, []).append(n + i - count - 1)
    for at, j in sorted(found):
        yield StringHit(address + at, printable(view[at:at + CHARS_CONTEXT]))
