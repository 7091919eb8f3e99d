"""dis: disassemble kernel text as crash does (kernel.c cmd_dis, x86_64.c x86_64_dis_filter).

gdb's ``x/Ni`` text comes from crashsh.toolchain.gdbdis; crash's filter then names every address
with its own symbol table (``<sym+off>`` in the output radix), adds the target of a jump gdb
left bare, and marks a function's first ``nopl 0x0(%rax,%rax,1)`` as ``[FTRACE NOP]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import drgn

from crashsh.commands.memory import read_user
from crashsh.commands.symbols import SymbolLine, SymbolNotFound, line
from crashsh.conventions.expressions import OPERATORS, can_eval, evaluate
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import atoi, htol, is_hexadecimal, stol
from crashsh.conventions.usage import usage_block
from crashsh.dumpfacts import facts, per_dump
from crashsh.errors import CommandError
from crashsh.parsing import CommandParser, HelpRequested
from crashsh.records import Address
from crashsh.registry import command
from crashsh.toolchain.gdbdis import MAX_INSN, GdbDisassembler, Line
from crashsh.toolchain.gdbsyms import MinimalSymbols
from crashsh.toolchain.symtab import CrashSymbolTable, Symbol

SYNOPSIS = "[-rfludxs][-b [num]] [address | symbol | (expression)] [count]"
FTRACE_NOPS = ("nopl   0x0(%rax,%rax,1)", "data32 data32 data32 xchg %ax,%ax")
EXCLUSIVE = (("reverse", "forward", "-r and -f"), ("reverse", "source", "-r and -s"),
             ("forward", "source", "-f and -s"), ("decimal", "hex", "-d and -x"),
             ("user", "source", "-s can only be used with kernel addresses"))
MAX_COUNT = 1 << 18  # instructions gdb is asked for at most (crash has no limit)
NOT_PRESENT = "Page not present"  # drgn's fault on a page the page tables do not map
PAGE = 4096


@dataclass
class Instruction:
    """One line of ``dis``: ``0xADDR <symbol>:\\tTEXT``; ``text`` None when the bytes at
    *address* cannot be read (crash then leaves the line unfinished, without a newline)."""

    address: Address
    symbol: str
    text: str | None


@dataclass
class RawInstruction:
    """gdb's own ``x/i`` line, unfiltered: ``   0xADDR[ <symbol>]:\\tTEXT`` (``text`` None:
    unreadable)."""

    address: Address
    symbol: str | None
    text: str | None


@dataclass
class SourceLine:
    """``dis -l``: gdb's ``file: line`` before the instructions it covers."""

    location: str


@dataclass
class SourceFile:
    """``dis -s``: the file and line of the address (the source itself is not on this host)."""

    file: str
    line: int


@dataclass
class DuplicateTextSymbols:
    """A name with several text symbols: crash lists them (with their source lines) and stops."""

    name: str
    symbols: list[SymbolLine]


@dataclass
class BugBytes:
    """``dis -b``: the bytes skipped after a ud2a (0 on kernels since 2.6.20)."""

    count: int


DIS_HELP = """\
Disassembles kernel or module text in gdb's AT&T syntax, as crash prints it (with crash's
[FTRACE NOP] and its notes on ud2 BUG sites): a whole function given by name, COUNT
instructions from an address, -r from the function's start up to an address, -f from an
address to the function's end; -l and -s show source lines and files; -U gdb's own text,
without crash's filtering.
"""
DIS_EXAMPLES = """\
  dis -r schedule+5     the instructions up to schedule+5:
    0xffffffff988114f0 <schedule>:	nopl   0x0(%rax,%rax,1) [FTRACE NOP]
    0xffffffff988114f5 <schedule+5>:	push   %rbp
  dis panic 10          the first ten instructions of panic()
  dis -l machine_kexec  with source file and line numbers
"""


def dis_parser() -> CommandParser:
    p = CommandParser("dis", DIS_HELP, examples=DIS_EXAMPLES, add_help=False)
    for flags, dest, text in ((("-r",), "reverse", "from the routine's start up to the address"),
                              (("-f",), "forward", "from the address to the routine's end"),
                              (("-l",), "lines", "show source line numbers"),
                              (("-u",), "user", "a user virtual address"),
                              (("-U",), "unfiltered", "gdb's own text, not crash's"),
                              (("-d",), "decimal", "decimal offsets"),
                              (("-x", "-h"), "hex", "hexadecimal offsets"),
                              (("-s",), "source", "show the source file and line")):
        p.add_argument(*flags, dest=dest, action="store_true", help=text)
    p.add_argument("-b", "-B", dest="bug_bytes", nargs="?", const="", default=None,
                   help="bytes to skip after ud2a")
    p.add_argument("target", nargs="?")
    p.add_argument("count", nargs="?")
    return p


@command("dis", "disassemble", dis_parser, synopsis=SYNOPSIS)
def run_dis(session, args) -> Iterator[object]:
    for a, b, what in EXCLUSIVE:
        if getattr(args, a) and getattr(args, b):
            raise CommandError(what if "only" in what else f"{what} are mutually exclusive")
    if args.bug_bytes:  # crash keeps -b's number (kt->BUG_bytes); its x86_64 filter ignores it
        session.bug_bytes = atoi(args.bug_bytes)
    if args.target is None:
        if args.bug_bytes == "":
            yield BugBytes(session.bug_bytes)
            return
        if args.bug_bytes is not None:
            return
        raise HelpRequested(usage_block("dis"))
    yield from disassemble(session, args)


@dataclass
class Request:
    """What cmd_dis works out from its arguments before it asks gdb."""

    addr: int
    symbol: Symbol | None  # crash's sp: the symbol named, or found at a hex address
    function_only: bool
    unfiltered: bool = False


def resolve(prog: drgn.Program, symtab: CrashSymbolTable,
            text: str) -> Request | SymbolNotFound | DuplicateTextSymbols:
    if can_eval(text):
        return expression_request(symtab, text, evaluate(prog, text))
    if is_hexadecimal(text) and symtab.lookup_name(text) is None:
        addr = htol(text)
        found = symtab.lookup_address(addr)
        if found is None:
            return Request(addr, None, False, unfiltered=True)
        sym, offset = found
        return Request(addr, sym, not offset and symtab.is_text_symbol(sym))
    syms = symtab.lookup_all(text)
    if not syms:
        return SymbolNotFound(text, [line(s, module=s.module) for s in symtab.query(text)])
    texts = [s for s in syms if symtab.is_text_symbol(s)]
    if len(texts) > 1:
        return duplicates(symtab, text, texts)
    sym = texts[0] if texts else syms[0]
    return Request(sym.value, sym, symtab.is_text_symbol(sym))


def duplicates(symtab: CrashSymbolTable, name: str, texts: list[Symbol]) -> DuplicateTextSymbols:
    return DuplicateTextSymbols(name, [line(s, module=s.module, source=symtab.source_line(s.value))
                                       for s in texts])


def expression_request(symtab: CrashSymbolTable, text: str,
                       addr: int) -> Request | DuplicateTextSymbols:
    """resolve_text_symbol() for ``symbol+offset``: a name with several text symbols is listed,
    and an expression that lands in another symbol is refused."""
    name = text.strip("()")
    at = next((i for i, c in enumerate(name) if c in OPERATORS), len(name))
    name = name[:at].strip()
    named = symtab.lookup_name(name)
    if named is not None and symtab.is_text_symbol(named):
        texts = [s for s in symtab.lookup_all(name) if symtab.is_text_symbol(s)]
        if len(texts) > 1:
            return duplicates(symtab, text, texts)
    else:
        named = None
    found = symtab.lookup_address(addr)
    if found is not None and found[0].name not in text and named is not None \
            and found[0] != named:
        raise CommandError(f"invalid expression: {text} evaluates to: "
                           f"{found[0].name}+{found[1]:x}")
    return Request(addr, None, False)


def function_end(prog: drgn.Program, symtab: CrashSymbolTable, request: Request) -> int:
    """gdb's find_pc_partial_function() end (the ELF symbol's size), else crash's next symbol
    (always for a module before ``mod -S``: crash's gdb has no object file for it)."""
    addr = request.symbol.value if request.symbol else request.addr
    sym = None
    table = symtab.module_of(addr)
    if table is None or table.loaded:
        try:
            sym = prog.symbol(addr)
        except LookupError:
            pass
    if sym is not None and sym.size and sym.address <= addr < sym.address + sym.size:
        return sym.address + sym.size
    found = request.symbol
    if found is None and (at := symtab.lookup_address(addr)) is not None:
        found = at[0]
    following = symtab.next_symbol(found) if found else None
    if following is None:
        raise CommandError(f"gdb unable to disassemble kernel virtual address {addr:x}")
    return following.value


Reader = Callable[[int, int], bytes]


def read_text(read: Reader, addr: int, size: int) -> tuple[bytes, drgn.FaultError | None]:
    """The readable bytes from *addr* on, up to *size*, and the fault that stopped the read at
    an unreadable page (None: all read)."""
    data = bytearray()
    while len(data) < size:
        chunk = min(size - len(data), PAGE - (addr + len(data)) % PAGE)
        try:
            data += read(addr + len(data), chunk)
        except drgn.FaultError as fault:
            return bytes(data), fault
    return bytes(data), None


def user_reader(session) -> Reader:
    """``dis -u``: memory of the current context's address space (kernel addresses as such)."""
    page_offset = facts(session.prog).page_offset

    def read(addr: int, size: int) -> bytes:
        if addr >= page_offset:
            return session.prog.read(addr, size)
        return read_user(session.context, addr, size)

    return read


def disassemble(session, args) -> Iterator[object]:
    prog = session.prog
    symtab = facts(prog).symtab
    radix = 16 if args.hex else 10
    request = resolve(prog, symtab, args.target)
    if not isinstance(request, Request):
        yield request
        return
    count = None if args.count is None else parse_count(args.count)
    forward = args.forward and count is None  # a count turns -f off
    if count is not None:
        request.function_only = False
    if args.source:
        yield from source_file(prog, symtab, request.addr, args.target)
        return
    if request.unfiltered and not args.user:
        yield Notice("WARNING", f"{request.addr:x}: no associated kernel symbol found")
    if (request.unfiltered or args.unfiltered) or args.user:
        session.gdb_format = "i"  # crash runs gdb's x/Ni, which print/FMT then remembers
        read = user_reader(session) if args.user and not args.unfiltered else prog.read
        yield from raw(prog, symtab, read, request.addr, count or 1)
        return
    if request.addr < facts(prog).page_offset:
        raise CommandError(f"{request.addr:x} is not a kernel virtual address")
    session.gdb_format = "i"
    end = None
    if args.reverse or forward or request.function_only:
        end = function_end(prog, symtab, request)
    start = target = request.addr
    if args.reverse or forward:
        start = symtab.lookup_address(target)[0].value
    # gdb's x/N: N instructions (crash asks for as many as the range has bytes)
    if args.reverse:
        wanted = max(target - start, 1)
    elif count is not None:
        wanted = count
    else:
        wanted = end - start if end is not None else 1
    # the lines crash may print: -r's last one is the first at or past the target
    stop = target + MAX_INSN if args.reverse else end if count is None else None
    decoded = gdb_x(prog.read, start, min(wanted, MAX_COUNT), stop)
    if decoded.fault is not None and NOT_PRESENT in decoded.fault.message:
        # gdb's read fails past the range: crash's readmem reports it (twice) straight away
        for _ in range(2):
            yield Notice("dis", f"invalid kernel virtual address: {decoded.fault.address:x}  "
                                'type: "gdb_readmem_callback"')
    found = select(decoded.lines, args.reverse, forward, target, stop, count)
    shown = [Instruction(f.addr, symtab.symstr(f.addr, radix),
                         None if f.text is None else annotated(prog, symtab, f, radix))
             for f in found]
    yield from with_sources(symtab, shown) if args.lines else shown


def parse_count(text: str) -> int:
    count = stol(text)
    if count == 0:
        raise CommandError("invalid count argument: 0")
    if count > MAX_COUNT:
        raise CommandError(f"invalid count argument: {text}")
    return count


def select(lines: list[Line], reverse: bool, forward: bool, target: int,
           end: int | None, count: int | None) -> list[Line]:
    """cmd_dis's loop over gdb's lines: -f skips to the target, -r stops at it (keeping the
    last *count* lines), a function stops at its end, a count after that many."""
    shown: list[Line] = []
    for ins in lines:
        if forward and ins.addr < target:
            continue
        if not reverse and count is None and end is not None and ins.addr >= end:
            break
        shown.append(ins)
        if ins.text is None:
            break
        if reverse and ins.addr >= target:
            break
        if not reverse and count is not None and len(shown) == count:
            break
    if reverse and count is not None:
        shown = shown[-count:]
    return shown


def with_sources(symtab: CrashSymbolTable, shown: list[Instruction]) -> Iterator[object]:
    last = ""
    for ins in shown:
        location = symtab.source_line(ins.address) or ""
        if location != last:
            yield SourceLine(location)
            last = location
        yield ins


@dataclass
class Decoded:
    """gdb's ``x/Ni``: the lines it printed (the last one unfinished, ``text`` None, when it
    could not read the bytes) and the read that failed."""

    lines: list[Line]
    fault: drgn.FaultError | None


def gdb_x(read: Reader, start: int, count: int, stop: int | None = None) -> Decoded:
    """gdb's ``x/{count}i start``, its text wanted only for the lines before *stop*."""
    data, fault = read_text(read, start, (count + 1) * MAX_INSN)
    dis = GdbDisassembler()
    lines = list(dis.lines(data, start, count=count, end=stop))
    if fault is None:
        return Decoded(lines, None)
    reached = list(dis.lines(data, start, count=count, text=False))
    if len(reached) == count:
        return Decoded(lines, None)  # gdb did not read as far as the fault
    at = reached[-1].addr + reached[-1].size if reached else start
    return Decoded(lines + [Line(at, 0, None)], fault)


def gdb_names(prog: drgn.Program, symtab: CrashSymbolTable, addr: int) -> bool:
    """Whether gdb prints ``<symbol>`` after *addr*: only a kernel virtual address (crash's
    gdb_print_callback), named by gdb's minimal symbols of vmlinux, or in a module by crash's
    own table (gdb_lookup_module_symbol)."""
    if addr < facts(prog).page_offset:
        return False
    if symtab.module_of(addr) is not None:
        return symtab.lookup_address(addr) is not None
    return minimal_symbols(prog).names(addr)


@per_dump
def minimal_symbols(prog: drgn.Program) -> MinimalSymbols:
    symtab = facts(prog).symtab
    return MinimalSymbols(symtab.vmlinux, symtab.kaslr)


def annotated(prog: drgn.Program, symtab: CrashSymbolTable, found: Line, radix: int) -> str:
    """x86_64_dis_filter(): gdb's ``<sym>`` replaced by crash's, a bare jump target named, and
    the ftrace NOP at a symbol marked."""
    text = gdb_text(prog, symtab, found, radix)
    if not found.rip_relative and found.target is not None and not text.endswith(">") \
            and text.startswith("j"):
        name = symtab.symstr(found.target, radix)
        if name:
            text += f" <{name}>"
    if text.startswith(FTRACE_NOPS):
        at = symtab.lookup_address(found.addr)
        if at is not None and at[1] == 0:
            text += " [FTRACE NOP]"
    return text


def gdb_text(prog: drgn.Program, symtab: CrashSymbolTable, found: Line, radix: int) -> str:
    """gdb's line: a RIP-relative operand's ``# address`` and ``<symbol>`` where gdb knows one
    (crash's filter puts its own name, in its radix, in gdb's brackets)."""
    text = found.text
    if found.rip_relative:
        text += f"        # 0x{found.target:x}"
    if found.target is not None and gdb_names(prog, symtab, found.target):
        text += f" <{symtab.symstr(found.target, radix)}>"
    return text


def raw(prog: drgn.Program, symtab: CrashSymbolTable, read: Reader, addr: int,
        count: int) -> Iterator[RawInstruction]:
    """gdb's unfiltered ``x/Ni`` (an address without a kernel symbol, or ``-u``)."""
    for found in gdb_x(read, addr, count).lines:
        symbol = gdb_label(prog, symtab, found.addr)
        text = None if found.text is None else gdb_text(prog, symtab, found, 10)
        yield RawInstruction(found.addr, symbol, text)


def gdb_label(prog: drgn.Program, symtab: CrashSymbolTable, addr: int) -> str | None:
    """gdb's own ``symbol+offset`` for *addr* (its function, or among aliases the last name;
    crash's module symbols where gdb has none), None where gdb names nothing."""
    if not gdb_names(prog, symtab, addr):
        return None
    found = None if symtab.module_of(addr) else facts(prog).kernel_addresses.gdb_symbol(addr)
    if found is None:
        return symtab.symstr(addr)
    name, offset = found
    return f"{name}+{offset}" if offset else name


def source_file(prog: drgn.Program, symtab: CrashSymbolTable, addr: int,
                name: str) -> Iterator[object]:
    """list_source_code(): the file and line, then "source code is not available"."""
    found = symtab.lookup_address(addr)
    if found is None or not symtab.is_text_symbol(found[0]):
        raise CommandError(f"{addr:x}: not a kernel text address")
    table = symtab.module_of(addr)
    if table is not None and not table.loaded:
        raise CommandError(f"{table.name}: module source code is not available")
    lines = symtab.kernel_lines if table is None else symtab.module_lines(table.name)
    location = lines.location(addr)
    if location is None:
        raise CommandError(f"gdb command failed: list *0x{addr:x}")
    yield SourceFile(location[1], location[2])
    raise CommandError(f"{name}: source code is not available\n")  # crash adds a blank line
