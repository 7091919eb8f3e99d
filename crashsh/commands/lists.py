"""list: walk a linked list (crash's cmd_list and do_list, tools.c).

The list is walked through the pointer at ``-o offset`` of each entry; with ``-h``/``-H``
the entries are linked by embedded list_heads and the addresses printed are those of the
containing structures. The walk ends at NULL, at the start, at the first entry (after
one), at an entry pointing to itself, or at ``-e end``; an entry seen twice ends it with
crash's "duplicate list entry" error, so a corrupted list never loops.
"""

from __future__ import annotations

import argparse

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.expressions import can_eval, evaluate
from crashsh.conventions.numbers import htol, is_number, stol
from crashsh.conventions.usage import usage_error
from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError
from crashsh.kernel import structview
from crashsh.kernel.structview import StructNotice
from crashsh.parsing import CommandParser
from crashsh.records import LAYOUT, Address
from crashsh.registry import command

SYNOPSIS = ("[[-o] offset][-e end][-[s|S] struct[.member[,member] [-l offset]] -[x|d]]\n"
            "       [-r|-B] [-h [-O head_offset]|-H] start")
POINTER_SIZE = 8


@dataclass
class ListEntry:
    """One entry: its address and, with -s/-S, crash's text of its structure or members."""

    address: Address
    lines: list[str | StructNotice] = field(default_factory=list)


@dataclass
class ListEmpty:
    """A -H or -O list head that points to itself: ``(empty)``."""


@dataclass
class ListNotice:
    """``list: TEXT`` amid the entries (-B's loop report; *newline* False: crash ends the
    line only with the error that follows)."""

    text: str
    newline: bool = field(default=True, metadata=LAYOUT)


@dataclass
class ListOptions:
    """cmd_list's list_data after its arguments are read."""

    start: Address = 0
    member_offset: int = 0
    list_head_offset: int = 0
    struct_offset: int = 0  # -l
    end: Address = 0
    head_format: bool = False
    offset_entered: bool = False
    structs: list[str] = field(default_factory=list)
    fast: bool = False  # -S
    brent: bool = False  # -B
    radix: int = 10


LIST_HELP = """\
Walks a linked list from START and prints each entry's address, optionally with its
structure (-s struct[.member,...]; -S reads the members without gdb's formatting). START is
an address or symbol; -o gives the offset (or struct.member) of the "next" pointer, -h says
START is a list_head inside a structure (-H: a pointer to the list's head), -e the address
that ends the list, -l the offset of an embedded list_head, -r walks backwards, -B uses
Brent's cycle detection, -x/-d the radix.
"""
LIST_EXAMPLES = """\
  list -h task_struct.tasks init_task -s task_struct.pid
    ffffffff9981aa40
      pid = 0,
    ffff8d1bc11f8000
      pid = 1,
  list -o module.list -H modules     the module structs after the list's head
"""


def list_parser() -> CommandParser:
    p = CommandParser("list", LIST_HELP, examples=LIST_EXAMPLES, add_help=False)
    p.add_argument("-B", dest="brent", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-H", dest="head_pointer", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-h", dest="head", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-r", dest="reverse", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-s", dest="parse", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-S", dest="read", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-e", dest="end", help=argparse.SUPPRESS)
    p.add_argument("-o", dest="offsets", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-O", dest="head_offsets", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-x", dest="hex", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-d", dest="decimal", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-l", dest="struct_offset", help=argparse.SUPPRESS)
    p.add_argument("args", nargs="*")
    return p


def member_offset(prog: drgn.Program, text: str) -> int | None:
    """crash's arg_to_datatype(RETURN_ON_ERROR) > 1: the offset of ``struct.member``."""
    name, dot, member = text.partition(".")
    if not dot or not member:
        return None
    offset, _ = structview.member_layout(structview.struct_type(prog, name), member)
    return offset


def offset_option(prog: drgn.Program, text: str, option: str) -> int:
    """-o, -O and -l: a number or ``struct.member``."""
    if is_number(text):
        return stol(text)
    offset = member_offset(prog, text)
    if offset is None:
        raise CommandError(f"invalid {option}: {text}")
    return offset


def hexadecimal_only(text: str) -> bool:
    """crash's hexadecimal_only(): hex digits with at least one of a-f or x."""
    body = text.rstrip()
    return (all(c in "0123456789abcdefABCDEFxX" for c in body)
            and any(c in "abcdefABCDEFxX" for c in body))


def read_options(session, args) -> ListOptions:
    """cmd_list's option and argument rules, with its messages."""
    prog = session.prog
    opts = ListOptions()
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    if args.parse and args.read:
        raise CommandError("-S and -s options are mutually exclusive")
    opts.radix = 16 if args.hex else 10 if args.decimal else session.settings.radix
    opts.structs = args.parse or args.read
    opts.fast = bool(args.read)
    opts.brent = args.brent
    opts.head_format = args.head or args.head_pointer or args.reverse
    if len(args.offsets) > 1:
        first = offset_option(prog, args.offsets[0], "-o argument")
        raise CommandError(f"offset value {first} (0x{first:x}) already entered")
    if args.offsets:
        opts.member_offset = offset_option(prog, args.offsets[0], "-o argument")
        opts.offset_entered = True
    head_offset = None
    if args.head_offsets:
        head_offset = offset_option(prog, args.head_offsets[0], "-O argument")
    if args.end is not None:
        opts.end = htol(args.end)
    struct_offset = 0
    if args.struct_offset is not None:
        struct_offset = offset_option(prog, args.struct_offset, "-l option")
    if len(args.args) > 2:
        raise usage_error("list", "too many arguments")
    if opts.structs:
        opts.struct_offset = struct_offset
    elif struct_offset:
        raise usage_error("list", "-l option can only be used with -s or -S option")
    start = positional(session, args.args, opts)
    if start is None:
        raise usage_error("list", "starting address required")
    if opts.offset_entered and opts.struct_offset:
        raise usage_error("list", "-l and -o are mutually exclusive")
    opts.start = start
    return head_options(session, args, opts, head_offset)


def positional(session, words: list[str], opts: ListOptions) -> int | None:
    """The start and offset arguments, told apart as cmd_list does without -o."""
    prog = session.prog
    page_offset = facts(prog).page_offset
    start = None
    offset_entered = opts.offset_entered
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        offset = member_offset(prog, word) if "." in word else None
        if offset is not None:
            if offset_entered:
                raise CommandError(f"offset value {opts.member_offset} "
                                   f"(0x{opts.member_offset:x}) already entered")
            opts.member_offset, offset_entered = offset, True
            continue
        symbol = session.symtab.lookup_name(word)
        if symbol is not None:
            if start is not None:
                raise CommandError("list start already entered")
            start = symbol.value
            continue
        if not is_number(word):
            if can_eval(word):
                value = evaluate(prog, word)
                if value >= page_offset:
                    if start is not None:
                        raise CommandError("list start already entered")
                    start = value
                    continue
            raise CommandError(f"invalid argument: {word}")
        if start is not None:
            opts.member_offset, offset_entered = stol(word), True
            break
        if offset_entered or following is None:
            value = htol(word)
            if value < page_offset:
                raise CommandError(f"invalid kernel virtual address: {word}")
            start = value
            break
        if session.symtab.lookup_name(following) is not None:
            opts.member_offset, offset_entered = stol(word), True
            continue
        if not is_number(following) and not can_eval(following) and "." not in following:
            raise CommandError(f"symbol not found: {following}")
        if hexadecimal_only(word):
            value = htol(word)
            if value >= page_offset:
                start = value
                continue
        opts.member_offset, offset_entered = stol(word), True
    opts.offset_entered = offset_entered
    return start


def head_options(session, args, opts: ListOptions, head_offset: int | None) -> ListOptions:
    """-h/-H/-r/-O: the list_head offset, and the first entry read from a list head."""
    if not opts.head_format:
        return opts
    opts.list_head_offset = opts.member_offset
    opts.member_offset = POINTER_SIZE if args.reverse else 0
    read = pointer_reader(session.prog)
    if args.head_pointer:
        opts.end = opts.end or opts.start
        opts.start = read(opts.start + opts.member_offset, "LIST_HEAD contents")
    elif head_offset is not None:
        opts.end = opts.end or opts.start + head_offset
        opts.start = read(opts.start + head_offset, "LIST_HEAD contents")
    else:
        opts.start = (opts.start + opts.list_head_offset) & MASK64
    return opts


def pointer_reader(prog: drgn.Program) -> Callable[[int, str], int]:
    """readmem(FAULT_ON_ERROR) of one pointer, failing with crash's message."""

    def read(address: int, what: str) -> int:
        address &= MASK64  # crash's unsigned long arithmetic wraps
        try:
            return prog.read_word(address)
        except drgn.FaultError:
            raise CommandError(
                f'invalid kernel virtual address: {address:x}  type: "{what}"') from None

    return read


def walk(read: Callable[[int, str], int], opts: ListOptions) -> Iterator[int]:
    """do_list(): the value of each "next" in turn, starting with the start address;
    crash's errors end the walk (a repeated entry is printed once more, then reported)."""
    first = read(opts.start + opts.member_offset, "first list entry")
    seen: set[int] = set()
    following = opts.start
    count = 0
    while True:
        yield following
        entry = (following - opts.list_head_offset) & MASK64
        if following and entry in seen:
            raise CommandError(f"\nduplicate list entry: {following:x}")
        seen.add(entry)
        count += 1
        last = following
        following = read(following + opts.member_offset, "list entry")
        if ends(opts, following, last, first, count):
            return


def ends(opts: ListOptions, following: int, last: int, first: int, count: int) -> bool:
    """do_list()'s end of a list: NULL (an error for list_head lists), the end, the start,
    an entry pointing to itself, or back to the first entry."""
    if following == 0:
        if opts.head_format:
            raise CommandError("\ninvalid list entry: 0")
        return True
    return following in (opts.end, opts.start, last) or (following == first and count != 1)


def brent_walk(read: Callable[[int, str], int], opts: ListOptions) -> Iterator[int | ListNotice]:
    """do_list_no_hash() (-B): R. P. Brent's loop detection instead of remembering entries;
    after a loop is found, entries are no longer shown and crash reports the loop's length,
    the distance to it and the first repeated entry."""
    def step(address: int) -> int:
        return read(address + opts.member_offset, "list entry")

    first = read(opts.start + opts.member_offset, "first list entry")
    following = opts.start
    x, y, power, length, distance = opts.start, step(opts.start), 2, 0, 0
    detected = leaving = False
    count = 0
    while True:
        if not detected:
            yield following
        if following and leaving:
            raise CommandError(f"\nduplicate list entry: {x:x}")
        count += 1
        last = following
        following = step(following)
        if not detected:
            if count > 1 and x == y:
                detected = True
                yield ListNotice(f"loop detected, loop length: {length}")
                x = y = opts.start
                for _ in range(length):
                    y = step(y)
            else:
                if power == length:
                    x, power, length = y, power * 2, 0
                y = following
                length += 1
        elif not leaving and x == y:
            leaving = True
            yield ListNotice(f"length from start to loop: {distance:x}", newline=False)
        else:
            x, y, distance = step(x), step(y), distance + 1
        if ends(opts, following, last, first, count):
            return


@command("list", "linked list", list_parser, synopsis=SYNOPSIS)
def run_list(session, args) -> Iterator[object]:
    opts = read_options(session, args)
    if opts.head_format and opts.start == opts.end and (args.head_pointer or args.head_offsets):
        return iter([ListEmpty()])
    return list_entries(session, opts)


def list_entries(session, opts: ListOptions) -> Iterator[ListEntry | ListNotice]:
    read = pointer_reader(session.prog)
    fast = [structview.fast_members(session.prog, spec) if opts.fast and "." in spec else None
            for spec in opts.structs]
    base = opts.list_head_offset + opts.struct_offset
    for following in (brent_walk if opts.brent else walk)(read, opts):
        if isinstance(following, ListNotice):
            yield following
            continue
        entry = ListEntry((following - opts.list_head_offset) & MASK64)
        try:
            for spec, members in zip(opts.structs, fast):
                entry.lines += structview.spec_lines(session, spec, members, (following - base) & MASK64,
                                                     opts.radix)
        except CommandError:
            yield entry  # crash has printed the address (and what came before) already
            raise
        yield entry
