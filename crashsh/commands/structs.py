"""struct and union: a data type's layout, or its contents at an address (crash's
cmd_datatype_common, do_datatype_addr and parse_for_member in symbols.c).

Without an address crash prints gdb's ptype text (``-o`` adds offsets); with one it prints
``struct NAME `` and gdb's ``output`` of the object (values never enter gdb's history),
``count`` objects in a row; ``struct.member[,member]`` keeps the members' lines of that text;
``-o`` with an address shows each member's address, ``-r`` the raw words, ``-l`` moves the
address back from an embedded member (a list_head) to the object.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn import TypeKind

from crashsh.commands.memory import MemoryDisplay, RdOptions, memory_rows
from crashsh.commands.printing import cpuspec_cpus, is_percpu, per_cpu_addresses
from crashsh.commands.symbols import SymbolNotFound, symbol_not_found
from crashsh.commands.types import lookup_datatype
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import atoi, c_int, htol, is_number, signed, stol
from crashsh.conventions.usage import usage_block
from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import structview
from crashsh.kernel.readmem import GdbMemory, Memory
from crashsh.parsing import CommandParser, Completes, HelpRequested, completes
from crashsh.records import LAYOUT, Address
from crashsh.registry import command
from crashsh.toolchain import gdbvalues
from crashsh.toolchain.gdbtypes import check_typedef, gdb_sizeof, member_offset, ptype_text
from crashsh.toolchain.gdbtypes import type_name as gdb_type_name
from crashsh.toolchain.valuetree import ValueTree

SYNOPSIS = ("struct_name[.member[,member]][-o][-l offset][-rfuxdp]\n"
            "         [address | symbol][:cpuspec] [count | -c count]")
UNION_SYNOPSIS = ("union_name[.member[,member]] [-o][-l offset][-rfuxdp]\n"
                  "         [address | symbol][:cpuspec] [count | -c count]")
KINDS = {TypeKind.STRUCT: "struct", TypeKind.UNION: "union"}
MAXARGS = 100


@dataclass
class DatatypeLayout:
    """A declaration: gdb's ptype text as crash rewrites it, then ``SIZE:`` unless None."""

    text: str
    size: int | None
    hex: bool = field(default=False, metadata=LAYOUT)


@dataclass
class DatatypeValue:
    """``struct NAME `` and the object's value, or the lines a member list keeps of it,
    after crash's notes of reads that failed (shown before it); *value* is the whole object
    as a typed tree (crashsh.toolchain.valuetree), None for member lines."""

    text: str
    blank_before: bool = field(default=False, metadata=LAYOUT)
    notes: list[Notice] = field(default_factory=list)
    value: object = None


DATATYPE_HELP = """\
Without an address: the {name}'s declaration as gdb's ptype prints it (-o with each member's
offset) and its SIZE. With an address or symbol: the {name} there as gdb prints it, or COUNT
of them in a row (a negative count goes backwards); NAME.member[,member] keeps those
members. -x/-d choose the radix; -p follows pointers; -r and -v show the raw words (with
symbols); -o with an address shows each member's address; -l OFFSET (or struct.member) moves
the address back from an embedded list_head; -f reads the dump file, -u a user address;
:CPUSPEC reads a per-CPU symbol on the chosen CPUs.
"""
DATATYPE_EXAMPLES = {
    "struct": """\
  struct list_head init_task.tasks   a struct at a symbol's member
  struct -o list_head               the layout with offsets:
    struct list_head {{
       [0] struct list_head *next;
       [8] struct list_head *prev;
    }}
    SIZE: 16
  struct task_struct.pid,comm ffff8d1bc11f8000   two members of a task
""",
    "union": """\
  union sigval     the declaration:
    union sigval {{
        int sival_int;
        void *sival_ptr;
    }}
    SIZE: 8
  union thread_union ffff8d1bc11f8000 -o   member addresses
""",
}


def datatype_parser(name: str) -> CommandParser:
    p = CommandParser(name, DATATYPE_HELP.format(name=name),
                      examples=DATATYPE_EXAMPLES[name].format(), add_help=False)
    p.add_argument("-p", dest="deref", action="store_true", help="dereference pointers")
    p.add_argument("-x", "-h", dest="hex", action="store_true", help="hexadecimal output")
    p.add_argument("-d", dest="decimal", action="store_true", help="decimal output")
    p.add_argument("-c", dest="count", help="count")
    p.add_argument("-r", dest="raw", action="store_true", help="raw data")
    p.add_argument("-v", dest="verbose", action="store_true", help="raw data with symbols")
    p.add_argument("-o", dest="offsets", action="store_true", help="member offsets")
    p.add_argument("-l", dest="list_offset", help="offset of an embedded list_head")
    p.add_argument("-f", dest="file", action="store_true", help="dump file offset")
    p.add_argument("-u", dest="user", action="store_true", help="user virtual address")
    completes(p.add_argument("words", nargs="*", help="name[.member] [address] [count]"),
              Completes(names=(name, "symbol")))
    return p


@command("struct", "structure contents", lambda: datatype_parser("struct"), synopsis=SYNOPSIS)
def run_struct(session, args):
    return datatype_command(session, args, "struct")


@command("union", "union contents", lambda: datatype_parser("union"), synopsis=UNION_SYNOPSIS)
def run_union(session, args):
    return datatype_command(session, args, "union")


@dataclass
class Request:
    """What cmd_datatype_common reads from its arguments."""

    type: drgn.Type
    name: str
    kind: str
    members: list[str]
    address: Address | None
    count: int
    radix: int
    deref: bool = False
    space: str = "kernel"  # where gdb reads: kernel, user (-u) or file (-f)
    file_offset: int = 0  # -f: the dump file offset of the first object


@dataclass
class PerCpuObject:
    """``[CPU]: ADDRESS``, before a per-cpu object (``struct NAME SYMBOL:cpuspec``)."""

    cpu: int
    address: Address


@dataclass
class Arguments:
    """What cmd_datatype_common reads from its words after the type: the address (with -f:
    the dump file offset, the address staying 0), the count and the :cpuspec."""

    address: Address | None = None
    count: int | None = None
    cpuspec: str | None = None
    file_offset: int = 0
    notices: list = field(default_factory=list)


def datatype_command(session, args, kind: str) -> Iterator[object] | list:
    name = kind
    words = list(args.words)
    bad = next((w for w in words if w.startswith("-") and len(w) > 1), None)
    if bad is not None:
        raise UsageError(f"invalid option -- '{bad[1]}'", "")
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    if args.file and session.is_live:
        raise CommandError("-f option requires a dumpfile")
    offset = 0 if args.list_offset is None else list_offset(session.prog, args.list_offset)
    if not words:
        raise HelpRequested(usage_block(name))
    spec = words[0]
    if spec.count(",") + 1 > MAXARGS:
        raise CommandError("too many members in comma-separated list!")
    if spec.endswith((",", ".")):
        raise CommandError(f"invalid format: {spec}")
    found_args = read_arguments(session, args, words[1:])
    if isinstance(found_args, SymbolNotFound):
        return [found_args]
    out: list = found_args.notices
    address, count = found_args.address, found_args.count
    cpus = None if found_args.cpuspec is None else cpuspec_cpus(session, found_args.cpuspec)
    if count is None:
        count = 1
    elif address is None:
        raise CommandError("no kernel virtual address argument entered")
    if args.deref and address is None:
        raise CommandError("-p option requires address argument")
    if address is not None:
        address = (address - offset) & MASK64
    type_name, dot, member_text = spec.partition(".")
    members = member_text.replace(",", " ").split() if dot else []
    found = find_datatype(session.prog, type_name)
    if found is None:
        raise CommandError(f"invalid data structure reference: {type_name}")
    type, found_kind = found
    if found_kind != kind:
        raise CommandError(f"data type mismatch: {type_name} is not a {kind}")
    radix = 16 if args.hex else 10 if args.decimal else session.settings.radix
    offsets = args.offsets
    if len(members) > 1 and address is None:
        out.append(Notice(name, "-o option not valid with multiple member format" if offsets
                          else "multiple member format not supported in this syntax"))
        members, offsets = [], True
    if len(members) > 1 and address is not None and offsets:
        raise CommandError("-o option not valid with multiple member format")
    space = "file" if args.file else "user" if args.user else "kernel"
    request = Request(type, type_name, kind, members, address, count, radix, args.deref,
                      space, found_args.file_offset)
    if address is None:
        if members and resolve_member(type, members[0]) is None:
            raise CommandError(f"invalid data structure reference: {type_name}.{members[0]}")
        out.append(declaration(request, offsets, members[0] if members else None))
        return out
    if cpus is None:
        return itertools.chain(out, contents(session, request, offsets, args.raw))
    return itertools.chain(out, per_cpu_contents(session, request, cpus, offsets, args.raw))


def read_arguments(session, args, words: list[str]) -> Arguments | SymbolNotFound:
    """The address (number or symbol, with an optional ``:cpuspec``) and count words."""
    found = Arguments(count=None if args.count is None else atoi(args.count))
    aflag = False
    for word in words:
        if aflag and found.count is not None:
            raise CommandError("too many arguments!")
        if not aflag:
            word, colon, cpuspec = word.partition(":")
            found.cpuspec = cpuspec if colon else None
        word = clean_arg(word)
        if is_number(word):
            if aflag:
                found.count = c_int(stol(word))
            elif found.cpuspec is not None:
                if args.file:
                    raise CommandError("-f option cannot be used with percpu")
                found.address = htol(word)
            elif args.file:
                found.address, found.file_offset = 0, stol(word)
            elif args.user:
                found.address = htol(word)
            elif (number := htol(word)) < facts(session.prog).page_offset:  # IS_KVADDR
                raise CommandError(f"invalid kernel virtual address: {word}")
            else:
                found.address = number
            aflag = True
            continue
        symbol = session.symtab.lookup_name(word)
        if symbol is None:
            return symbol_not_found(session.symtab, word)
        if found.cpuspec is not None and not is_percpu(session.prog, symbol):
            found.notices.append(Notice("WARNING",
                                        f"{symbol.name} is not percpu; cpuspec ignored."))
            found.cpuspec = None
        if found.cpuspec is not None and symbol_type_name(session.prog, symbol.name).endswith("*"):
            found.notices.append(Notice(
                "WARNING", f'percpu symbol "{symbol.name}" is of type pointer'))
        found.address = symbol.value
        aflag = True
    return found


def symbol_type_name(prog: drgn.Program, name: str) -> str:
    """gdb's whatis of a symbol (crash's expr_type_name), "" when gdb knows no type."""
    try:
        return gdb_type_name(prog.object(name).type_)
    except (LookupError, ValueError):
        return ""


def per_cpu_contents(session, request: Request, cpus: list[int], offsets: bool,
                     raw: bool) -> Iterator[object]:
    """The object at the address plus each chosen CPU's per-cpu offset."""
    for cpu, address in per_cpu_addresses(session.prog, request.address):
        if cpu in cpus:
            yield PerCpuObject(cpu, address)
            yield from contents(session, dataclasses.replace(request, address=address),
                                offsets, raw)


def clean_arg(word: str) -> str:
    """crash's clean_arg(): a number's trailing comma or colon is dropped."""
    return word[:-1] if word[-1:] in (",", ":") and is_number(word[:-1]) else word


def list_offset(prog: drgn.Program, text: str) -> int:
    """``-l offset``: a number, or ``struct.member`` naming the embedded member."""
    if is_number(text):
        return signed(stol(text))  # crash's long list_head_offset
    name, dot, member = text.partition(".")
    found = find_datatype(prog, name) if dot and member and "." not in member else None
    offset = member_offset(found[0], member) if found else None
    if offset is None:
        raise CommandError(f"invalid -l option: {text}")
    return offset


def find_datatype(prog: drgn.Program, name: str) -> tuple[drgn.Type, str] | None:
    """crash's arg_to_datatype: a struct or union (possibly through a typedef) and its kind;
    another type gives its own kind name."""
    found = lookup_datatype(prog, name)
    if not isinstance(found, drgn.Type):
        return None
    resolved = check_typedef(found)
    return found, KINDS.get(resolved.kind, resolved.kind.name.lower())


def resolve_member(type: drgn.Type, path: str) -> drgn.Type | None:
    """The type of member *path* (``a``, ``a.b``, ``a[1]``), or None (member_to_datatype)."""
    current = check_typedef(type)
    for part in path.split("."):
        name, bracket, index = part.partition("[")
        if current.kind not in KINDS:
            return None
        try:
            current = check_typedef(current.member(name).type)
        except LookupError:
            return None
        while bracket:
            if current.kind != TypeKind.ARRAY:
                return None
            current = check_typedef(current.type)
            index = index.partition("]")[2]
            bracket, _, index = index.partition("[")
    return current


def declaration(request: Request, offsets: bool, member: str | None,
                address: int = 0) -> DatatypeLayout:
    """crash's do_datatype_declaration (with ``-o`` or a member: offsets or addresses)."""
    text = ptype_text(request.type, offsets, member, request.radix, address)
    size = None if member else gdb_sizeof(request.type)
    return DatatypeLayout(text, size, request.radix == 16)


def contents(session, request: Request, offsets: bool, raw: bool) -> Iterator[object]:
    """crash's do_datatype_addr: *count* objects from the address (backwards when negative);
    with -f the file offset moves on instead, gdb's address starting at 0."""
    size = gdb_sizeof(request.type)
    address = request.address
    if request.count < 0:
        address -= size * abs(request.count) - size
    if request.space == "file":
        address = 0
    reader = GdbMemory(session, request.space, request.file_offset)
    for i in range(abs(request.count)):
        at = address + i * size
        reader.file_offset = request.file_offset + i * size
        for member in request.members or [None]:
            if member is not None and resolve_member(request.type, member) is None:
                raise CommandError(
                    f"invalid data structure reference: {request.name}.{member}")
            if offsets:
                layout = declaration(request, True, member, at)
                yield DatatypeValue(layout.text, bool(i)) if member else layout
            elif raw:
                yield raw_dump(session, request, member, reader.file_offset if
                               request.space == "file" else at)
            else:
                first = request.members[0] if request.members else None
                blank = bool(i) and member == first
                try:
                    notes, text, tree = object_text(session, request, member, at, reader)
                except CommandError:  # crash's read ended the command as gdb printed
                    if member is None and not request.deref:
                        yield DatatypeValue(f"{request.kind} {request.name} ", blank)
                    raise
                yield DatatypeValue(text, blank, [Notice(request.kind, n) for n in notes], tree)


def object_text(session, request: Request, member: str | None, address: int,
                reader: GdbMemory) -> tuple[list[str], str, ValueTree | None]:
    """print_struct/print_union: ``struct NAME `` and gdb's value, or a member's lines; and
    crash's notes of failed reads that reached the screen before it (when crash read gdb's
    text back from a temporary file: a member, or -p). Otherwise a note stands where gdb
    was printing (a failed read of the whole object: right after ``struct NAME ``). Last,
    the whole object as a typed tree (None for members, -p or an unreadable object)."""
    start = len(reader.notes)
    printer = session.value_printer(request.radix)
    tree = None
    try:
        buf = reader.read(address, gdb_sizeof(request.type))
        value, placed = printer.render(request.type, address, buf, reader)
        tree = ValueTree(printer, request.type, address, buf, reader)
    except drgn.FaultError:
        value, placed = "", []  # gdb's output command failed: crash goes on
    notes = reader.notes[start:]
    newline = "\n" if request.kind == "struct" else ""
    head = f"{request.kind} {request.name} "
    if member is None and not request.deref:
        inline = [(0, note) for note in notes[:len(notes) - len(placed)]] + placed
        for place, note in reversed(inline):
            value = value[:place] + f"{request.kind}: {note}\n" + value[place:]
        return [], head + value + newline, tree
    text = head + value + newline
    if request.deref:
        from crashsh.commands.deref import dereference, dereferenced

        if member is None:
            return notes, dereferenced(session, request.type, text, address,
                                       request.radix), None
        followed = dereference(session, request.type, member, address, request.radix)
        if followed is not None:
            return notes, followed, None
    lines = text.splitlines(keepends=True)
    if "." in member or "[" in member:
        found = gdbvalues.extended_member(gdbvalues.element_tree(lines), member)
        return notes, "".join(found or []), None
    return notes, "".join(structview.parse_for_member(structview.fgets_chunks(text),
                                                      member)), None


def raw_dump(session, request: Request, member: str | None, address: int) -> MemoryDisplay:
    """crash's raw_data_dump: the object's (or member's) bytes as rd shows them (with -f at
    the file offset, where crash forgets the member's offset)."""
    size = gdb_sizeof(request.type)
    if member is not None:
        if len(request.members) > 1:
            raise CommandError("only one structure member allowed with -r")
        if request.space != "file":
            address += member_offset(request.type, member.split(".")[0]) or 0
        size = gdb_sizeof(resolve_member(request.type, member))
    bits = {1: 8, 2: 16, 4: 32}.get(size, 64)
    count = 1 if bits != 64 else (size + 7) // 8
    memory = Memory(session, request.space)
    rows = memory_rows(session, memory, address, count, bits, RdOptions(space=request.space))
    return MemoryDisplay(bits, "hex", True, rows)
