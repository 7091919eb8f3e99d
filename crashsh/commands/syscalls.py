"""`sys -c [name|number ...]`: the system call table with each call's source file and line
(crash's kernel.c dump_sys_call_table)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.numbers import NumberError, is_number, stol
from crashsh.dumpfacts import per_dump
from crashsh.errors import CommandError
from crashsh.records import LAYOUT, Address

HEADER_WORDS = ("NUM", "SYSTEM")  # the first two words of crash's header line


@dataclass
class SyscallHeader:
    """crash's ``NUM  SYSTEM CALL  FILE AND LINE NUMBER`` line (no data: not in JSON)."""

    LAYOUT_ONLY = True


@dataclass
class SyscallEntry:
    """One sys_call_table slot.

    *name* is None when the slot does not point at a symbol's start (crash's "invalid
    sys_call_table entry"); *symbol* is then what the address resolves to, e.g. ``foo+16``.
    *source* is ``../<file>: <line>`` relative to the build directory, or "".
    """

    number: int
    address: Address
    name: str | None
    source: str
    symbol: str
    radix: int = field(default=10, metadata=LAYOUT)

    @property
    def label(self) -> str:
        """The number as crash prints it in the first column (without padding)."""
        return f"{self.number:x}" if self.radix == 16 else str(self.number)

    @property
    def words(self) -> tuple[str, str]:
        """The first two words of crash's line, which its filters look at."""
        return self.label, self.name if self.name is not None else "invalid"


def nr_syscalls(prog: drgn.Program, symtab) -> tuple[int, bool]:
    """crash's get_NR_syscalls(): the array length (confirmed), else the distance to the
    next symbol's address (not confirmed; 256 without one)."""
    table = prog["sys_call_table"]
    if table.type_.kind == drgn.TypeKind.ARRAY and table.type_.length:
        return table.type_.length, True
    sym = symtab.lookup_name("sys_call_table")
    nxt = symtab.next_symbol(sym)
    while nxt is not None and nxt.value == sym.value:
        nxt = symtab.next_symbol(nxt)
    if nxt is None:
        return 256, False
    return (nxt.value - sym.value) // 8, False


def build_directory(symtab) -> str:
    """crash's get_build_directory(): schedule()'s source path up to ``/kernel/`` or
    ``/./arch/`` (the whole line when neither occurs, as crash leaves its buffer)."""
    sym = symtab.lookup_name("schedule") or symtab.lookup_name("do_schedule")
    line = (symtab.source_line(sym.value) or "") if sym else ""
    for marker in ("/kernel/", "/./arch/"):
        at = line.find(marker)
        if at >= 0:
            return line[:at]
    return line


def syscall_source(symtab, address: int, build: str) -> str:
    """The first line of the call's own source: crash walks the function byte by byte past
    lines of inlined ``include/*.h`` headers to the first line under the build directory."""
    found = symtab.lookup_address(address)
    nxt = symtab.next_symbol(found[0]) if found else None
    if nxt is None:
        return ""
    for addr in range(address, nxt.value):
        line = symtab.source_line(addr) or ""
        if ".h: " in line and "include/" in line:
            continue
        if build in line:
            return (".." if line else "") + line[len(build):]
    return ""


@per_dump
def known_sources(prog: drgn.Program) -> dict[int, str]:
    """The syscall_source() of each address looked up so far in the dump."""
    return {}


def call_sources(symtab, starts: Iterable[int]) -> dict[int, str]:
    """syscall_source() of each address, kept per dump (the dump never changes)."""
    known = known_sources(symtab.prog)
    missing = sorted(set(starts) - known.keys())
    if missing:
        build = build_directory(symtab)
        # in address order, so that each compilation unit's line table is decoded once
        known.update((a, syscall_source(symtab, a, build)) for a in missing)
    return known


def symstr_in_radix(text: str, radix: int) -> str:
    """value_to_symstr() in the output radix: symstr()'s decimal ``+offset`` as ``+0x...``."""
    base, plus, offset = text.rpartition("+")
    if radix == 16 and plus and offset.isdigit():
        return f"{base}+0x{int(offset):x}"
    return text


def syscall_entries(session) -> list[SyscallEntry]:
    """Every slot crash lists, in table order (invalid slots only when the length is known)."""
    prog, symtab, radix = session.prog, session.symtab, session.settings.radix
    count, confirmed = nr_syscalls(prog, symtab)
    addresses = [slot.value_() for slot in prog["sys_call_table"][:count]]
    found = {a: symtab.lookup_address(a) for a in set(addresses)}
    starts = {a: f[0] for a, f in found.items() if f is not None and f[1] == 0}
    sources = call_sources(symtab, starts)
    ni = symtab.lookup_name("sys_ni_syscall")
    entries = []
    for number, address in enumerate(addresses):
        sym = starts.get(address)
        if sym is not None:
            name = "sys_ni_syscall" if ni is not None and address == ni.value else sym.name
            entries.append(SyscallEntry(number, address, name, sources[address], sym.name, radix))
        elif confirmed:
            symbol = symstr_in_radix(symtab.symstr(address), radix)
            entries.append(SyscallEntry(number, address, None, "", symbol, radix))
    return entries


def matches(words: tuple[str, str], spec: str, number: str | None) -> bool:
    """crash's filter: the first word equals the number, or the second contains the name."""
    return words[0] == number if number is not None else spec in words[1]


def filtered(rows: list[SyscallEntry], spec: str, header_printed: bool,
             radix: int) -> Iterator[SyscallHeader | SyscallEntry]:
    """One `sys -c SPEC` argument: the matching lines of the full listing (its header line
    included), under a header unless an earlier argument printed one; a number stops at
    its first match."""
    number = None
    if is_number(spec):
        try:
            value = stol(spec)
        except NumberError:  # crash writes its complaint into the listing's tmpfile: unseen
            raise CommandError("") from None
        number = f"{value:x}" if radix == 16 else str(value)
    lines: Iterable[tuple[SyscallHeader | SyscallEntry, tuple[str, str]]] = (
        (SyscallHeader(), HEADER_WORDS), *((row, row.words) for row in rows))
    for row, words in lines:
        if matches(words, spec, number):
            if not header_printed:
                yield SyscallHeader()
                header_printed = True
            yield row
            if number is not None:
                return


def run_syscalls(session, specs: list[str]) -> Iterator[SyscallHeader | SyscallEntry]:
    """`sys -c`: the whole table, or the lines each argument selects."""
    rows = syscall_entries(session)
    if not specs:
        yield SyscallHeader()
        yield from rows
        return
    for i, spec in enumerate(specs):
        yield from filtered(rows, spec, i > 0, session.settings.radix)
