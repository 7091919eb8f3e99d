"""p: gdb's print of a C expression, as crash passes it on (crash's cmd_p in symbols.c).

crash hands ``p EXPR`` to gdb: values go into gdb's value history (``$1``, ``$2``, ... over the
session, each value gdb fetches taking the next number), a lone symbol gets crash's leader
(``jiffies = $1 = 4294895333``), and a per-cpu symbol prints its type and per-cpu addresses
(``p runqueues``) or, with ``:cpuspec``, each CPU's value. ``print EXPR`` and ``p/FMT EXPR``
are not crash commands: crash passes them to gdb as they are (no leader; errors read
``gdb: gdb request failed: ...``), and crashsh does the same through its `gdb` command.

gdb reads memory through crash's readmem() (kernel/readmem.GdbMemory; ``-u`` reads the
context's user space): a failed read prints readmem's message (``p: seek error: ...``) before
gdb's failure, or, for a string gdb reads while printing, amid the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn import TypeKind

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import cpu_list
from crashsh.conventions.usage import usage_block
from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError, UsageError
from crashsh.kernel.readmem import GdbMemory
from crashsh.parsing import CommandParser, HelpRequested
from crashsh.records import LAYOUT, Address
from crashsh.registry import command
from crashsh.toolchain.cexpr import Evaluator, ExpressionError, is_nodebug_data
from crashsh.toolchain.gdbtypes import check_typedef, declaration, gdb_sizeof, type_name
from crashsh.toolchain.gdbvalues import FormatError, MemoryReader, letter_formatter

SYNOPSIS = "[-x|-d][-u] [expression | symbol[:cpuspec]]"
GDB_PRINT_WORDS = ("p", "print")
FORMAT = re.compile(r"(-?)(\d*)([a-z]*)")  # gdb's decode_format: count, then letters


@dataclass
class PrintedValue:
    """``$N = TEXT``, after crash's ``LEADER = `` for a symbol; *type* is gdb's name of the
    value's type, *value* the value as a typed tree (crashsh.toolchain.valuetree); *notes*
    are crash's messages for reads that failed on the way (each placed before the value, or
    at an offset in *text* when gdb printed it amid the value); *complete* is false when gdb
    failed part way (the error follows). *split_brace* is crash's rewrite of a first line
    with ``{`` in it, done when crash reads gdb's output back from a temporary file (with a
    leader, or with module symbols loaded): then the notes, which reached the terminal at
    once, come first."""

    number: int
    text: str
    type: str
    leader: str | None = None
    notes: list[Notice] = field(default_factory=list)
    complete: bool = True
    value: object = None
    split_brace: bool = field(default=True, metadata=LAYOUT)
    note_places: list[int] = field(default_factory=list, metadata=LAYOUT)


@dataclass
class PerCpuAddresses:
    """`p PERCPU_SYMBOL`: the variable's declaration and its address on each CPU."""

    declaration: str
    addresses: list[tuple[int, Address]]


class PrintFailed(Exception):
    """gdb's print failed: crash's notes on the way, and the value as far as gdb printed it
    when it had entered the history."""

    def __init__(self, notes: list[str], partial: PrintedValue | None = None) -> None:
        super().__init__("gdb request failed")
        self.notes = notes
        self.partial = partial


P_HELP = """\
Prints the value of a C expression as gdb does (structs, arrays, pointers with their
symbols), each result kept in gdb's value history ($1, $2, ...). A per-CPU symbol takes
:CPUSPEC (:a for all CPUs). -x and -d choose the radix. crashsh adds --py: a Python
expression giving a drgn Object, printed the same way.
"""
P_EXAMPLES = """\
  p jiffies        a variable:
    jiffies = $1 = 4294894491
  p init_task.comm   a member
  p --py "prog['init_task'].pid"   the same value printing for a drgn Object
"""


def p_parser() -> CommandParser:
    p = CommandParser("p", P_HELP, examples=P_EXAMPLES, add_help=False)
    p.add_argument("-x", "-h", dest="hex", action="store_true", help="hexadecimal output")
    p.add_argument("-d", dest="decimal", action="store_true", help="decimal output")
    p.add_argument("-u", dest="user", action="store_true", help="user virtual addresses")
    p.add_argument("--py", dest="python", action="store_true",
                   help="beyond crash: the expression is Python (as `py` sees it) giving a "
                        "drgn Object")
    p.add_argument("words", nargs="*", help="expression | symbol[:cpuspec]")
    return p


@command("p", "print the value of an expression", p_parser, synopsis=SYNOPSIS)
def run_p(session, args):
    words = crash_words(args.words)
    if args.python and words:
        return [python_value(session, " ".join(args.words), radix_of(session, args))]
    bad = next((w for w in words if w.startswith("-") and len(w) > 1), None)
    if bad is not None:
        raise UsageError(f"invalid option -- '{bad[1]}'", usage_block("p"))
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    if not words:
        raise HelpRequested(usage_block("p"))
    radix = radix_of(session, args)
    reader = GdbMemory(session, "user" if args.user else "kernel")
    first, cpuspec = words[0], None
    if ":" in first:
        first, _, cpuspec = first.rpartition(":")
    symbol = session.symtab.lookup_name(first)
    out: list = []
    if symbol is not None and len(words) == 1:
        if is_percpu(session.prog, symbol):
            return per_cpu_values(session, symbol, cpuspec, radix, reader)
    else:
        symbol = None
    if cpuspec is not None:
        if symbol is not None:
            out.append(Notice("WARNING", f"{symbol.name} is not percpu; cpuspec ignored."))
            words[0] = first
    request = " ".join(w for w in words if not w.startswith("-"))
    tmpfile = symbol is not None or module_symbols_loaded(session)
    return run_print(session, "p " + request, request, radix, reader,
                     symbol.name if symbol else None, tmpfile, out)


def run_print(session, line: str, request: str, radix: int, reader: MemoryReader,
              leader: str | None, tmpfile: bool, out: list,
              command: str = "p") -> Iterator[object]:
    """gdb's print of *request* (crash's process_gdb_output), after *out*; a failure ends
    with crash's ``gdb request failed: LINE``, after what gdb printed of the value when crash
    did not hold gdb's output in a temporary file."""
    yield from out
    try:
        yield gdb_print(session, request, radix, reader, leader, tmpfile, command)
    except PrintFailed as e:
        if e.partial is not None and not tmpfile:
            yield e.partial
        raise CommandError(f"gdb request failed: {line}", e.notes) from None


def module_symbols_loaded(session) -> bool:
    """crash's LOAD_MODULE_SYMS: some module's symbols are loaded (`mod -S`; crashsh loads
    them at start), which turns on cmd_p's output filter."""
    from crashsh.commands.modules import module_files

    return bool(module_files(session))


def radix_of(session, args) -> int:
    return 16 if args.hex else 10 if args.decimal else session.settings.radix


def python_value(session, source: str, radix: int) -> PrintedValue:
    """``p --py EXPR``: a drgn Object made by Python, printed and kept as gdb would."""
    from crashsh.commands.python import python_namespace

    try:
        value = eval(source, python_namespace(session))  # noqa: S307 - the user's own code
    except Exception as e:  # noqa: BLE001 - the user's expression: report it in one line
        raise CommandError(f"{type(e).__name__}: {e}") from None
    if not isinstance(value, drgn.Object):
        raise CommandError(f"not a drgn Object: {source}")
    try:
        return record(session, value, radix, None, facts(session.prog).memory_reader)
    except PrintFailed:
        raise CommandError(f"cannot print: {source}") from None


def crash_words(words: list[str]) -> list[str]:
    """crash's parse_line keeps a parenthesised expression as one word (``(5 - 3)``)."""
    joined: list[str] = []
    depth = 0
    for word in words:
        if depth > 0:
            joined[-1] += " " + word
        else:
            joined.append(word)
        if depth > 0 or word.startswith("("):
            depth += word.count("(") - word.count(")")
    return joined


# -- gdb's print command ----------------------------------------------------------------------
def gdb_print(session, request: str, radix: int, reader: MemoryReader,
              leader: str | None = None, tmpfile: bool = True,
              command: str = "p") -> PrintedValue:
    """gdb's ``print REQUEST`` (``/FMT`` first, then the expression; none: the last value):
    evaluated and fetched through *reader*, entered in the history, printed."""
    letter, expression = print_format(session, request)
    start = len(reader.notes)
    try:
        value = Evaluator(session.prog, session.value_history, reader.read).evaluate(
            expression or "$")
    except (ExpressionError, drgn.FaultError, drgn.ObjectAbsentError):
        raise PrintFailed(reader.notes[start:]) from None
    return record(session, value, radix, letter, reader, leader, tmpfile, command, start)


def print_format(session, request: str) -> tuple[str | None, str]:
    """gdb's print_command_parse_format: ``/[-][count][letters]`` before the expression
    (size letters and counts are refused; no letter repeats the last one given). Returns
    the letter (None for the natural format, ``s`` included) and the expression."""
    if not request.startswith("/"):
        return None, request
    found = FORMAT.match(request, 1)
    sign, digits, letters = found.groups()
    count = (-1 if sign else 1) * (int(digits) if digits else 1) if sign or digits else 1
    sizes = [c for c in letters if c in "bhwg"]
    formats = [c for c in letters if c not in "bhwgr"]
    letter = formats[-1] if formats else session.gdb_format
    if not formats and sizes and letter == "i":
        letter = "x"
    if sizes or count != 1 or letter == "i":
        raise PrintFailed([])
    session.gdb_format = letter
    return (None if letter in ("", "s") else letter), request[found.end():].lstrip()


def record(session, value: drgn.Object, radix: int, letter: str | None, reader: MemoryReader,
           leader: str | None = None, tmpfile: bool = True, command: str = "p",
           start: int | None = None) -> PrintedValue:
    """*value* fetched whole (gdb's record_latest), entered in the history as the next $N,
    then printed; *command* names crash's notes of the reads that failed since *start*
    (an index in the reader's notes; default: from here on)."""
    start = len(reader.notes) if start is None else start
    try:
        data = fetch(value, reader)
    except (ExpressionError, drgn.FaultError, drgn.ObjectAbsentError):
        raise PrintFailed(reader.notes[start:]) from None
    session.value_history.append(value)
    printed = PrintedValue(len(session.value_history), "", type_name(value.type_), leader,
                           split_brace=tmpfile)
    try:
        text, placed, tree = value_text(session, value, data, radix, letter, reader)
    except FormatError as e:
        printed.text, printed.complete = e.partial, False
        raise PrintFailed(reader.notes[start:], printed) from None
    earlier = reader.notes[start:len(reader.notes) - len(placed)]
    places = [(-1, note) for note in earlier] + placed
    printed.text, printed.value = text, tree
    printed.notes = [Notice(command, note) for _, note in places]
    printed.note_places = [place for place, _ in places]
    return printed


def fetch(value: drgn.Object, reader: MemoryReader) -> bytes | None:
    """The value's bytes as gdb fetches it before printing (None: nothing to read)."""
    resolved = check_typedef(value.type_)
    if is_nodebug_data(value):
        raise ExpressionError("a data symbol of unknown type")
    if resolved.kind == TypeKind.VOID:
        return None
    if resolved.kind == TypeKind.FUNCTION:
        if value.address_ is None:
            raise ExpressionError("function without an address")
        return reader.read(value.address_, 1)
    size = gdb_sizeof(value.type_)  # crash sets gdb's max-value-size unlimited
    if value.address_ is None or value.bit_field_size_:
        return value.to_bytes_()
    return reader.read(value.address_, size)


def value_text(session, value: drgn.Object, data: bytes | None, radix: int,
               letter: str | None, reader: MemoryReader) -> tuple[str, list, object]:
    """gdb's print_formatted of a top-level value (c_value_print): the text, the notes of
    reads made while printing it with their places in the text, and the value as a typed
    tree (made when asked for)."""
    from crashsh.toolchain.valuetree import ValueTree, json_integer

    dump = facts(session.prog)
    printer = dump.format_printer(letter) if letter else session.value_printer(radix)
    type = value.type_
    resolved = check_typedef(type)
    if resolved.kind == TypeKind.VOID:
        return "void", [], {"type": type_name(type), "text": "void"}
    if resolved.kind == TypeKind.FUNCTION:
        address = value.address_
        symbol = dump.kernel_addresses.symbol(address)
        if letter is None:
            text = f"{{{type_name(type)}}} 0x{address:x}{symbol}"
        elif letter in ("a", "c"):
            raise FormatError("Value can't be converted to integer.")
        else:  # gdb prints the function's first byte
            text = letter_formatter(letter, 1, False)(int.from_bytes(data[:1], "little",
                                                                     signed=True))
        return text, [], {"type": type_name(type), "text": text, "address": f"0x{address:x}",
                          "symbol": symbol[2:-1] or None}
    if value.bit_field_size_:
        number = value.value_()
        number = number if isinstance(number, int) else 0
        text = printer.formatter(resolved)(number)
        return text, [], {"type": type_name(type), "text": text, "bits": value.bit_field_size_,
                          "value": json_integer(number, resolved.size)}
    prefix = ""
    if resolved.kind == TypeKind.POINTER and not letter and not is_plain_char_pointer(type):
        prefix = f"({type_name(type)}) "
    text, placed = printer.render(type, value.address_ or 0, data, reader)
    return (prefix + text, [(place + len(prefix), note) for place, note in placed],
            ValueTree(printer, type, value.address_ or 0, data, reader))


def is_plain_char_pointer(type: drgn.Type) -> bool:
    """gdb prints no ``(type)`` before a ``char *`` (not a typedef, target named char)."""
    if type.kind != TypeKind.POINTER:
        return False
    target = type.type
    return target.kind == TypeKind.INT and target.name == "char"


# -- per-cpu symbols --------------------------------------------------------------------------
def is_percpu(prog: drgn.Program, symbol) -> bool:
    """crash's is_percpu_symbol() for a kernel data symbol (types d, D, V)."""
    if symbol.type not in "dDV" or symbol.module is not None:
        return False
    try:
        start = prog.symbol("__per_cpu_start").address
        end = prog.symbol("__per_cpu_end").address
    except LookupError:
        return False
    return start <= symbol.value < end


def per_cpu_addresses(prog: drgn.Program, value: int) -> list[tuple[int, int]]:
    """*value* plus each CPU's per-cpu offset (crash's kt->__per_cpu_offset[])."""
    offsets = prog["__per_cpu_offset"]
    return [(cpu, (value + offsets[cpu].value_()) & MASK64)
            for cpu in range(prog["nr_cpu_ids"].value_())]


def cpuspec_cpus(session, cpuspec: str) -> list[int]:
    """crash's make_cpumask() of a ``:cpuspec``; empty means the context's CPU."""
    from drgn.helpers.linux.sched import task_cpu

    if cpuspec == "":
        return [task_cpu(session.context)]
    return cpu_list(cpuspec, session.prog["nr_cpu_ids"].value_())


def per_cpu_values(session, symbol, cpuspec: str | None, radix: int, reader: MemoryReader):
    """crash's display_per_cpu_info: the declaration and addresses, or each CPU's value."""
    prog = session.prog
    try:
        type = prog.object(symbol.name).type_
    except LookupError:
        type = None
    addresses = per_cpu_addresses(prog, symbol.value)
    if cpuspec is None:
        text = declaration(symbol.name, type) if type is not None else (
            f"[undetermined type] {symbol.name};")
        return PerCpuAddresses(text, addresses)
    cpus = cpuspec_cpus(session, cpuspec)
    return per_cpu_prints(session, symbol.name, type, addresses, cpus, radix, reader)


def per_cpu_prints(session, name: str, type: drgn.Type | None, addresses, cpus, radix: int,
                   reader: MemoryReader) -> Iterator[PrintedValue]:
    for cpu, address in addresses:
        if cpu not in cpus:
            continue
        if type is not None:
            value = drgn.Object(session.prog, type, address=address)
            line, leader = f"p *({type_name(type)}*) 0x{address:x}", f"per_cpu({name}, {cpu})"
        else:
            value = drgn.Object(session.prog, "void *", address)
            line, leader = f"p (void*) 0x{address:x}", f"&per_cpu({name}, {cpu})"
        try:
            yield record(session, value, radix, None, reader, leader)
        except PrintFailed as e:
            raise CommandError(f"gdb request failed: {line}", e.notes) from None


# -- gdb's own print command ------------------------------------------------------------------
GDB_HELP = """\
A command line for gdb, as crash passes it to its embedded gdb. crashsh has no gdb: it
answers gdb's print command (p or print, with /FMT: x, d, u, o, t, c or s) from the
same value printer as p; any other gdb command fails with crash's "gdb request failed".
Use whatis, struct and rd for ptype, whatis and x.
"""
GDB_EXAMPLES = """\
  gdb p jiffies    the same as `p jiffies`:
    $1 = 4294894491
  gdb p/x init_task.pid   in hexadecimal
  gdb print $      the last value again
"""


def gdb_parser() -> CommandParser:
    # no getopt in cmd_gdb: every word is gdb's
    p = CommandParser("gdb", GDB_HELP, examples=GDB_EXAMPLES, prefix_chars="\0")
    p.add_argument("words", nargs="*", help="a gdb print command")
    return p


@command("gdb", "gdb command", gdb_parser, synopsis="command ...")
def run_gdb(session, args):
    """crash's pass-through of a gdb command line; crashsh knows gdb's print only."""
    if not args.words:
        raise HelpRequested(usage_block("gdb"))
    line = " ".join(args.words)
    word, slash, letters = args.words[0].partition("/")
    if word not in GDB_PRINT_WORDS:
        raise CommandError(f"gdb request failed: {line}")
    request = " ".join(([slash + letters] if slash else []) + args.words[1:])
    return run_print(session, line, request, session.settings.radix, GdbMemory(session),
                     None, False, [], "gdb")


def gdb_print_line(words: list[str]) -> bool:
    """Whether a command line is one of gdb's print commands (``print x``, ``p/x y``)."""
    word, slash, _ = words[0].partition("/")
    return word in GDB_PRINT_WORDS and (bool(slash) or word != "p")
