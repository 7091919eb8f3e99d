"""p: gdb's print of a C expression, as crash passes it on (crash's cmd_p in symbols.c).

crash hands ``p EXPR`` to gdb: values go into gdb's value history (``$1``, ``$2``, ... over the
session, each successful print taking the next number), a lone symbol gets crash's leader
(``jiffies = $1 = 4294895333``), and a per-cpu symbol prints its type and per-cpu addresses
(``p runqueues``) or, with ``:cpuspec``, each CPU's value. ``print EXPR`` and ``p/FMT EXPR``
are not crash commands: crash passes them to gdb as they are (no leader; errors read
``gdb: gdb request failed: ...``), and crashsh does the same through its `gdb` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import drgn
from drgn import TypeKind

from crashsh.conventions.usage import usage_block
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import cpu_list
from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError, UsageError
from crashsh.parsing import CommandParser, HelpRequested
from crashsh.registry import command
from crashsh.toolchain.cexpr import Evaluator, ExpressionError
from crashsh.toolchain.gdbtypes import check_typedef, declaration, gdb_sizeof, type_name

SYNOPSIS = "[-x|-d][-u] [expression | symbol[:cpuspec]]"
FORMAT_LETTERS = "xduotcs"
GDB_PRINT_WORDS = ("p", "print")
MAX_VALUE_SIZE = 65536  # gdb's max-value-size
SCALARS = (TypeKind.INT, TypeKind.BOOL, TypeKind.ENUM, TypeKind.POINTER, TypeKind.FLOAT)


@dataclass
class PrintedValue:
    """``$N = TEXT``, after crash's ``LEADER = `` for a symbol; *type* is gdb's name of the
    value's type; *split_brace* is crash's rewrite of a first line with ``{`` in it (cmd_p's
    output filter, on with a leader or with module symbols loaded)."""

    number: int
    text: str
    type: str
    leader: str | None = None
    split_brace: bool = field(default=True, metadata={"json": False})


@dataclass
class PerCpuAddresses:
    """`p PERCPU_SYMBOL`: the variable's declaration and its address on each CPU."""

    declaration: str
    addresses: list[tuple[int, int]]


def p_parser() -> CommandParser:
    p = CommandParser("p", "print the value of an expression", add_help=False)
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
        return python_value(session, " ".join(args.words), radix_of(session, args))
    bad = next((w for w in words if w.startswith("-") and len(w) > 1), None)
    if bad is not None:
        raise UsageError(f"invalid option -- '{bad[1]}'", usage_block("p"))
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    if not words:
        raise HelpRequested(usage_block("p"))
    if args.user:  # crash reads through the context's user page tables: not supported
        raise CommandError(f"gdb request failed: p {' '.join(words)}")
    radix = radix_of(session, args)
    first, cpuspec = words[0], None
    if ":" in first:
        first, _, cpuspec = first.rpartition(":")
    symbol = session.symtab.lookup_name(first)
    out: list = []
    if symbol is not None and len(words) == 1:
        if is_percpu(session.prog, symbol):
            return per_cpu_values(session, symbol, cpuspec, radix)
    else:
        symbol = None
    if cpuspec is not None:
        if symbol is not None:
            out.append(Notice("WARNING", f"{symbol.name} is not percpu; cpuspec ignored."))
            words[0] = first
    request = " ".join(w for w in words if not w.startswith("-"))
    expression, letter = request, None
    if request.startswith("/"):  # `p /x expr`: gdb reads the format
        format, _, expression = request[1:].partition(" ")
        if format not in FORMAT_LETTERS:
            raise CommandError(f"gdb request failed: p {request}")
        letter = None if format == "s" else format
    try:
        out.append(print_value(session, expression or "$", radix, letter,
                               leader=symbol.name if symbol else None,
                               split_brace=symbol is not None or module_symbols_loaded(session)))
    except CommandError as e:
        raise CommandError(f"gdb request failed: p {request}") from e
    return out


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
        return record(session, value, radix, None)
    except (ExpressionError, drgn.FaultError) as e:
        raise CommandError(str(e)) from e


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


def print_value(session, expression: str, radix: int, letter: str | None,
                leader: str | None = None, split_brace: bool = True) -> PrintedValue:
    """gdb's ``print[/letter] EXPRESSION``: the value enters the history."""
    try:
        value = Evaluator(session.prog, session.value_history).evaluate(expression)
        return record(session, value, radix, letter, leader, split_brace)
    except (ExpressionError, drgn.FaultError, drgn.ObjectAbsentError) as e:
        raise CommandError(str(e)) from e


def record(session, value: drgn.Object, radix: int, letter: str | None,
           leader: str | None = None, split_brace: bool = True) -> PrintedValue:
    """*value*'s text, the value entering the history as the next $N."""
    text = value_text(session, value, radix, letter)
    session.value_history.append(value)
    return PrintedValue(len(session.value_history), text, type_name(value.type_), leader,
                        split_brace)


def value_text(session, value: drgn.Object, radix: int, letter: str | None) -> str:
    """gdb's print_formatted of a top-level value (c_value_print); like gdb, a value larger
    than max-value-size (64 KiB) is refused rather than read."""
    size = gdb_sizeof(value.type_)
    if size > MAX_VALUE_SIZE:
        raise ExpressionError(f"value requires {size} bytes, which is more than max-value-size")
    dump = facts(session.prog)
    printer = dump.format_printers[letter] if letter else session.value_printer(radix)
    resolved = check_typedef(value.type_)
    if resolved.kind == TypeKind.FUNCTION:
        address = value.address_
        return f"{{{type_name(value.type_)}}} 0x{address:x}" + dump.kernel_addresses.symbol(address)
    prefix = ""
    if resolved.kind == TypeKind.POINTER and not letter and not is_plain_char_pointer(value.type_):
        prefix = f"({type_name(value.type_)}) "
    if resolved.kind in SCALARS or value.address_ is None:
        value = value.read_()
        return prefix + printer.format(value.type_, 0, value.to_bytes_())
    return printer.format(value.type_, value.address_)


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


def per_cpu_values(session, symbol, cpuspec: str | None, radix: int):
    """crash's display_per_cpu_info: the declaration and addresses, or each CPU's value."""
    from drgn.helpers.linux.sched import task_cpu

    prog = session.prog
    offsets = prog["__per_cpu_offset"]
    ncpus = prog["nr_cpu_ids"].value_()
    try:
        type = prog.object(symbol.name).type_
    except LookupError:
        type = None
    addresses = [(cpu, (symbol.value + offsets[cpu].value_()) & MASK64)
                 for cpu in range(ncpus)]
    if cpuspec is None:
        text = declaration(symbol.name, type) if type is not None else (
            f"[undetermined type] {symbol.name};")
        return PerCpuAddresses(text, addresses)
    cpus = [task_cpu(session.context)] if cpuspec == "" else cpu_list(cpuspec, ncpus)
    out = []
    for cpu, address in addresses:
        if cpu not in cpus:
            continue
        value = drgn.Object(prog, type, address=address) if type is not None else drgn.Object(
            prog, "void *", address)
        leader = f"per_cpu({symbol.name}, {cpu})" if type is not None else (
            f"&per_cpu({symbol.name}, {cpu})")
        try:
            out.append(record(session, value, radix, None, leader))
        except (drgn.FaultError, ExpressionError) as e:
            raise CommandError(f"gdb request failed: p *({type_name(type)}*) 0x{address:x}") from e
    return out


# -- gdb's own print command ------------------------------------------------------------------
def gdb_parser() -> CommandParser:
    # no getopt in cmd_gdb: every word is gdb's
    p = CommandParser("gdb", "gdb command", prefix_chars="\0")
    p.add_argument("words", nargs="*", help="a gdb print command")
    return p


@command("gdb", "gdb command", gdb_parser, synopsis="command ...")
def run_gdb(session, args):
    """crash's pass-through of a gdb command line; crashsh knows gdb's print only."""
    if not args.words:
        raise HelpRequested(usage_block("gdb"))
    line = " ".join(args.words)
    word, _, rest = args.words[0].partition("/")
    words = args.words[1:]
    if not rest and words and words[0].startswith("/"):
        rest, words = words[0][1:], words[1:]
    if word not in GDB_PRINT_WORDS or (rest and rest not in FORMAT_LETTERS):
        raise CommandError(f"gdb request failed: {line}")
    letter = None if rest in ("", "s") else rest
    try:
        # gdb's print without an expression prints the last value again
        return print_value(session, " ".join(words) or "$", session.settings.radix, letter,
                           split_brace=False)
    except CommandError as e:
        raise CommandError(f"gdb request failed: {line}") from e


def gdb_print_line(words: list[str]) -> bool:
    """Whether a command line is one of gdb's print commands (``print x``, ``p/x y``)."""
    word, slash, _ = words[0].partition("/")
    return word in GDB_PRINT_WORDS and (bool(slash) or word != "p")
