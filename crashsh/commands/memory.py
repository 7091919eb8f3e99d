"""rd: read memory (crash's cmd_rd / display_memory in memory.c)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.mm import access_remote_vm

from crashsh.commands.symbols import symbol_not_found
from crashsh.conventions.expressions import address_argument
from crashsh.conventions.numbers import htol, signed, stol
from crashsh.conventions.usage import usage_error
from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError
from crashsh.parsing import CommandParser
from crashsh.registry import command

ASCII_LINE = 60
KERNEL_SPACE_START = 0xFFFF800000000000  # x86_64, 4-level paging
ADDRESS_KINDS = {"kernel": "KVADDR", "user": "UVADDR", "physical": "PHYSADDR"}


@dataclass
class MemoryRow:
    """One line of `rd`: its address and the entries read there."""

    address: int
    values: list[int]
    raw: bytes = field(metadata={"json": False})
    symbols: list[str | None] | None = None


@dataclass
class MemoryDisplay:
    """`rd` output: rows of 8/16/32/64-bit entries in hex or decimal."""

    bits: int
    style: str  # hex | decimal | udecimal
    ascii_column: bool
    rows: Iterator[MemoryRow]


@dataclass
class AsciiRun:
    """`rd -a`: a run of printable characters starting at an address."""

    address: int
    text: str


@dataclass
class AsciiDisplay:
    runs: list[AsciiRun]
    final_newline: bool


class Width(argparse.Action):
    """-16, -32 and -64 as crash's getopt reads them: -1, -3 or -6 and an argument."""

    def __call__(self, parser, namespace, value, option_string=None) -> None:
        bits = option_string[1:] + value
        if bits not in ("16", "32", "64"):
            raise usage_error("rd", f"invalid option: {bits}")
        namespace.bits = int(bits)


def rd_parser() -> CommandParser:
    p = CommandParser("rd", "read memory")
    size = p.add_mutually_exclusive_group()
    size.add_argument("-8", dest="bits", action="store_const", const=8)
    for digit in "136":  # getopt's 1: 3: 6: (-16 is -1 with the argument 6)
        size.add_argument(f"-{digit}", dest="bits", action=Width, metavar="")
    size.add_argument("-a", dest="ascii", action="store_true", help="ASCII strings")
    p.add_argument("-d", dest="style", action="store_const", const="decimal", help="signed decimal")
    p.add_argument("-D", dest="style", action="store_const", const="udecimal", help="unsigned decimal")
    p.add_argument("-s", dest="symbols", action="store_true", help="symbols for 64-bit values")
    p.add_argument("-x", dest="no_ascii", action="store_true", help="no ASCII column")
    p.add_argument("-p", dest="kind", action="store_const", const="physical", help="physical address")
    p.add_argument("-u", dest="kind", action="store_const", const="user", help="user virtual address")
    p.add_argument("-N", dest="net_endian", action="store_true", help="network byte order (16/32)")
    p.add_argument("-R", dest="reverse", action="store_true", help="display in reverse order")
    p.add_argument("-o", dest="offset", type=stol, help="offset added to the address")
    p.add_argument("-e", dest="end", type=htol, help="end address")
    p.add_argument("address", help="address, symbol or (expression)")
    p.add_argument("count", nargs="?", help="number of entries")
    p.set_defaults(bits=64, style="hex", kind="kernel")
    return p


def reader(session, kind: str, bits: int):
    """A function reading ``n`` bytes at an address, raising crash's error message."""
    prog = session.prog
    label = f"{bits}-bit {ADDRESS_KINDS[kind]}" if bits else "ascii"

    def read(address: int, size: int) -> bytes:
        try:
            if kind == "user":
                return read_user(session.context, address, size)
            return prog.read(address, size, kind == "physical")
        except drgn.FaultError:
            what = {"kernel": "invalid kernel virtual address",
                    "user": "invalid user virtual address",
                    "physical": "invalid physical address"}[kind]
            raise CommandError(f'{what}: {address:x}  type: "{label}"') from None

    return read


def read_user(task: drgn.Object, address: int, size: int) -> bytes:
    """Read the task's user memory; a task without an mm fails as crash's pgd lookup does."""
    mm = task.mm
    if not mm:
        pgd = drgn.offsetof(mm.type_.type, "pgd")
        raise CommandError(f'invalid kernel virtual address: {pgd:x}  type: "mm_struct pgd"')
    return access_remote_vm(mm, address, size)


@command("rd", "read memory", rd_parser,
         synopsis="[-adDsSupxmfNR][-8|-16|-32|-64][-o offs][-e addr][-r file][address|symbol]\n"
                  "     [count]")
def run_rd(session, args):
    address = address_argument(session.prog, args.address)
    if address is None:
        return symbol_not_found(session.symtab, args.address)
    if args.offset:
        address = (address + args.offset) & MASK64
    bits = 8 if args.ascii else args.bits
    if args.symbols and bits != 64:
        raise CommandError("-s option is only allowed with 64-bit display")
    size = bits // 8
    count = signed(stol(args.count)) if args.count is not None else -1
    if count == -1:  # crash's "no count" (2**64-1 reads as no count too)
        count = None
        if args.end:
            if args.end <= address:
                raise CommandError(f"invalid ending address: {args.end:x}")
            count = max((args.end - address) // size, 1)
    elif count <= 0:
        raise CommandError(f"invalid count request: {count}")
    kind = args.kind
    if kind == "kernel" and address < KERNEL_SPACE_START:
        kind = "user"  # crash: a non-kernel address in the default space is a user address
    if args.reverse and count and count > 1:
        address = (address - (count - 1) * size) & MASK64  # C's unsigned arithmetic
    read = reader(session, kind, 0 if args.ascii else bits)
    if args.ascii:
        return ascii_display(read, address, count)
    ascii_column = args.style == "hex" and not args.symbols and not args.no_ascii
    rows = memory_rows(session, read, address, count or 1, bits, args)
    return MemoryDisplay(bits, args.style, ascii_column, rows)


def memory_rows(session, read, address: int, count: int, bits: int, args) -> Iterator[MemoryRow]:
    size = bits // 8
    per_line = 16 // size
    byteorder = "big" if args.net_endian and bits in (16, 32) else "little"
    for start in range(0, count, per_line):
        n = min(per_line, count - start)
        at = (address + start * size) & MASK64
        raw = read(at, n * size)
        values = [int.from_bytes(raw[i * size:(i + 1) * size], byteorder) for i in range(n)]
        symbols = [symbolic(session, v) for v in values] if args.symbols else None
        yield MemoryRow(at, values, raw, symbols)


def symbolic(session, value: int) -> str | None:
    """``sym+offset`` for a value inside the kernel's symbol range, as rd -s shows it."""
    found = session.symtab.lookup_address(value)
    if found is None:
        return None
    return session.symtab.symstr(value)


def ascii_display(read, address: int, count: int | None) -> AsciiDisplay:
    """crash's rd -a: printable runs, 60 per line; stop at NUL when no count was given."""
    runs: list[AsciiRun] = []
    limit = count if count is not None else 1 << 62
    current: list[str] = []
    run_start = address
    chunk, chunk_start = b"", 0
    for i in range(limit):
        if i - chunk_start >= len(chunk):
            page_left = 4096 - (address + i) % 4096
            chunk, chunk_start = read(address + i, min(256, limit - i, page_left)), i
        c = chunk[i - chunk_start]
        if 0x20 <= c < 0x7F:
            if not current:
                run_start = address + i
            current.append(chr(c))
            if len(current) == ASCII_LINE:
                runs.append(AsciiRun(run_start, "".join(current)))
                current = []
        else:
            if current:
                runs.append(AsciiRun(run_start, "".join(current)))
                current = []
            if count is None:
                return AsciiDisplay(runs, False)
    if current:
        runs.append(AsciiRun(run_start, "".join(current)))
    return AsciiDisplay(runs, True)
