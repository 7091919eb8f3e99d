"""sym: translate symbols and addresses, list and search crash's symbol table (cmd_sym)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import NumberError, htol, is_hexadecimal
from crashsh.conventions.usage import usage_block
from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError
from crashsh.parsing import CommandParser, Ordered, HelpRequested
from crashsh.records import Address
from crashsh.registry import command
from crashsh.toolchain.symtab import CrashSymbolTable, Marker, Symbol

MODULE_START = "_MODULE_START_"


@dataclass
class SymbolLine:
    """One symbol line: ``address (type) name[+offset]`` then the optional columns.

    ``module`` is shown as `` [module]``; ``source`` (gdb's ``file: line``, possibly empty)
    follows a space when it is not None; ``section`` (``sym -s``) as `` [section]``."""

    address: Address
    type: str
    name: str
    offset: int = 0
    module: str | None = None
    source: str | None = None
    section: str | None = None


@dataclass
class ModuleStart:
    """A module's start marker found as a symbol: ``value (m) (module module)[+offset]``."""

    value: Address
    type: str
    module: str
    offset: int = 0


@dataclass
class ModuleMarker:
    """A module boundary in ``sym -l/-M/-m``: ``address LABEL: name``."""

    address: Address
    label: str
    name: str


@dataclass
class SymbolNotFound:
    """``sym NAME`` for an unknown name, with the symbols containing it."""

    name: str
    alternatives: list[SymbolLine]


@dataclass
class ModuleAddress:
    """An address in a module's memory with no symbol: ``address (?) (module)+offset``."""

    address: Address
    text: str


@dataclass
class QueryResult:
    """``sym -q``: the matches, or ``(none found)``."""

    matches: list[SymbolLine]


@dataclass
class QueryCount:
    """``sym -Q``: how many symbols contain the string, and the last of them."""

    count: int
    last: str | None


SYM_HELP = """\
Symbols and addresses: a symbol's address, type letter and name (with source line), or the
symbol at or before an address and the offset. -l lists every symbol, -M the modules', -m
one module's; -q lists symbols containing a string, -Q counts them; -n/-p add the next and
previous symbol, -s the section.
"""
SYM_EXAMPLES = """\
  sym jiffies      the address of jiffies:
    ffffffff998079c0 (D) jiffies
  sym ffffffff987cd06e     the function containing an address (panic+...)
  sym -q schedule_time     every symbol containing the string
"""


def sym_parser() -> CommandParser:
    p = CommandParser("sym", SYM_HELP, examples=SYM_EXAMPLES)
    p.add_argument("-l", "-L", dest="actions", action=Ordered, nargs=0, help="list all symbols")
    p.add_argument("-M", dest="actions", action=Ordered, nargs=0, help="list module symbols")
    p.add_argument("-m", dest="actions", action=Ordered, metavar="module",
                   help="list the symbols of one module")
    p.add_argument("-q", dest="actions", action=Ordered, metavar="string",
                   help="search for symbols containing a string")
    p.add_argument("-Q", dest="actions", action=Ordered, metavar="string",
                   help="count the symbols containing a string")
    p.add_argument("-n", dest="next", action="store_true", help="also show the next symbol")
    p.add_argument("-p", dest="prev", action="store_true", help="also show the previous symbol")
    p.add_argument("-s", dest="section", action="store_true", help="show the section, not the line")
    p.add_argument("targets", nargs="*", metavar="symbol | vaddr")
    p.set_defaults(actions=[])
    return p


@command("sym", "translate a symbol to its virtual address, or vice-versa", sym_parser,
         synopsis="[-l] | [-M] | [-m module] | [-p|-n] | [-q string] | [symbol | vaddr]")
def run_sym(session, args) -> Iterator[object]:
    if not args.actions and not args.targets:
        raise HelpRequested(usage_block("sym"))
    symtab: CrashSymbolTable = session.symtab
    return sym_output(symtab, args)


def sym_output(symtab: CrashSymbolTable, args) -> Iterator[object]:
    for option, value in args.actions:
        yield from listing(symtab, option, value)
    for i, target in enumerate(args.targets):
        try:
            yield from translate(symtab, target, args)
        except CommandError as e:  # crash goes on with the next argument
            if i == len(args.targets) - 1:
                raise
            yield from (Notice("sym", message) for message in (*e.notes, str(e)))


def listing(symtab: CrashSymbolTable, option: str, value: str | None) -> Iterator[object]:
    if option in ("-l", "-L"):
        kernel = symtab.kernel  # 100k+ lines: straight from the table's columns
        yield from map(SymbolLine, kernel.values, kernel.types, kernel.names)
        yield from module_lines(symtab, None)
    elif option == "-M":
        yield from module_lines(symtab, None)
    elif option == "-m":
        yield from module_lines(symtab, value)
    elif option == "-q":
        yield QueryResult([line(s, module=s.module) for s in symtab.query(value)])
    elif option == "-Q":
        found = symtab.query(value)
        yield QueryCount(len(found), found[-1].name if found else None)


def module_lines(symtab: CrashSymbolTable, name: str | None) -> Iterator[object]:
    for item in symtab.module_listing(name):
        if isinstance(item, Marker):
            yield ModuleMarker(item.value, item.label, item.text)
        else:
            yield line(item)


def line(sym: Symbol, offset: int = 0, module: str | None = None, source: str | None = None,
         section: str | None = None) -> SymbolLine:
    address = (sym.value + offset) & MASK64
    return SymbolLine(address, sym.type, sym.name, offset, module, source, section)


def translate(symtab: CrashSymbolTable, target: str, args) -> Iterator[object]:
    """One ``sym`` argument: an address (hexadecimal, not a symbol name) or a symbol name."""
    if symtab.lookup_name(target) is None and is_hexadecimal(target):
        yield from by_address(symtab, target, args)
        return
    found = symtab.lookup_all(target)
    if not found:
        yield symbol_not_found(symtab, target)
        return
    for sym in found:
        yield from with_neighbours(symtab, sym, 0, args)


def symbol_not_found(symtab: CrashSymbolTable, name: str) -> SymbolNotFound:
    """crash's "symbol not found" report, with the symbols containing *name*."""
    return SymbolNotFound(name, [line(s, module=s.module) for s in symtab.query(name)])


def by_address(symtab: CrashSymbolTable, text: str, args) -> Iterator[object]:
    """crash reads the address with htol(RETURN_ON_ERROR): its complaint comes first."""
    try:
        value = htol(text)
    except NumberError as e:
        raise CommandError(f"invalid address: {text}", [str(e)]) from None
    if not symtab.in_range(value):
        raise CommandError(f"invalid address: {text}")
    found = symtab.lookup_address(value)
    if found is None:
        yield ModuleAddress(value, symtab.symstr(value))
        return
    sym, offset = found
    yield from with_neighbours(symtab, sym, offset, args)


def with_neighbours(symtab: CrashSymbolTable, sym: Symbol, offset: int, args) -> Iterator[object]:
    if args.prev and (before := symtab.prev_symbol(sym)) is not None:
        yield shown(symtab, before, 0, args, sym.module)
    yield shown(symtab, sym, offset, args, sym.module)
    if args.next and (after := symtab.next_symbol(sym)) is not None:
        yield shown(symtab, after, 0, args, sym.module)


def shown(symtab: CrashSymbolTable, sym: Symbol, offset: int, args,
          module: str | None) -> SymbolLine | ModuleStart:
    """crash's show_symbol(): the module tag follows the argument's symbol, not *sym*'s."""
    if sym.name.startswith(MODULE_START):
        return ModuleStart(sym.value, sym.type, sym.name.removeprefix(MODULE_START), offset)
    addr = sym.value + offset
    tag = sym.module if module is not None else None
    if args.section:
        return line(sym, offset, tag, section=symtab.section_name(addr))
    return line(sym, offset, tag, source=symtab.source_line(addr))
