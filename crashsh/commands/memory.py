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
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import memmap, slab
from crashsh.kernel.readmem import TYPE_NAMES, Memory, Partial
from crashsh.parsing import CommandParser, Ordered
from crashsh.records import LAYOUT, Address, Word
from crashsh.registry import command

ASCII_LINE = 60
PAGE_READ = 4096  # rd -a reads up to this much at once when no count bounds it
SYNOPSIS = ("[-adDsSupxmfNR][-8|-16|-32|-64][-o offs][-e addr][-r file][address|symbol]\n"
            "     [count]")


@dataclass
class MemoryRow:
    """One line of `rd`: its address and the entries read there; ``symbols`` (-s/-S) holds
    the text shown in place of a value, or None."""

    address: Address
    values: list[Word]
    raw: bytes = field(metadata=LAYOUT)
    symbols: list[str | None] | None = None


@dataclass
class MemoryDisplay:
    """`rd` output: rows of 8/16/32/64-bit entries in hex or decimal."""

    bits: int
    style: str = field(metadata=LAYOUT)  # hex | decimal | udecimal
    ascii_column: bool = field(metadata=LAYOUT)
    rows: Iterator[MemoryRow]


@dataclass
class AsciiRun:
    """`rd -a`: a run of printable characters starting at an address."""

    address: Address
    text: str


@dataclass
class AsciiDisplay:
    runs: Iterator[AsciiRun]
    final_newline: bool = field(metadata=LAYOUT)


@dataclass
class RawCopy:
    """`rd -r FILE`: how many bytes went from an address to a file."""

    count: int
    address: Address
    path: str


@dataclass
class MemoryWarning:
    """crash's ``WARNING: text`` line."""

    text: str


@dataclass
class RdOptions:
    """The options as crash's getopt loop leaves them (its flags are order-dependent)."""

    display: str = "64"  # 8 16 32 64 ascii raw
    symbolic: bool = False
    slab: int = 0  # -S once: [cache], twice: [address:cache]
    decimal: bool = False
    udecimal: bool = False
    no_ascii: bool = False
    net_endian: bool = False
    reverse: bool = False
    space: str = "kernel"
    offset: int | None = None
    end: Address | None = None
    raw_file: str | None = None


class Width(Ordered):
    """-16, -32 and -64 as crash's getopt reads them: -1, -3 or -6 and an argument."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        bits = option_string[1:] + values
        if bits not in ("16", "32", "64"):
            raise usage_error("rd", f"invalid option: {bits}")
        super().__call__(parser, namespace, None, f"-{bits}")


RD_HELP = """\
Reads memory and shows it as hexadecimal words with their ASCII: COUNT units from an
address, symbol or (expression). -8, -16, -32, -64 choose the unit; -a ASCII only, -d/-D
signed/unsigned decimal, -s/-S symbols (and slab objects) for 64-bit words, -x no ASCII; -p,
-u, -m read physical, user or Xen machine addresses, -f the dump file's own bytes; -N network
byte order; -R in reverse; -o OFFSET and -e END bound the range; -r FILE copies it to a file.
"""
RD_EXAMPLES = """\
  rd jiffies_64     one word:
    ffffffff998079c0:  00000000fffee39b                    ........
  rd -a linux_banner   the banner as text
  rd -s init_task 8    eight words, pointers named by symbol
"""


def rd_parser() -> CommandParser:
    p = CommandParser("rd", RD_HELP, examples=RD_EXAMPLES)
    for flag in ("-8", "-a", "-d", "-D", "-s", "-S", "-x", "-p", "-u", "-f", "-N", "-R", "-m"):
        p.add_argument(flag, dest="options", action=Ordered, nargs=0, help=argparse.SUPPRESS)
    for digit in "136":  # getopt's 1: 3: 6: (-16 is -1 with the argument 6)
        p.add_argument(f"-{digit}", dest="options", action=Width, metavar="",
                       help=argparse.SUPPRESS)
    for flag in ("-o", "-e", "-r"):
        p.add_argument(flag, dest="options", action=Ordered, help=argparse.SUPPRESS)
    p.add_argument("address", help="address, symbol or (expression)")
    p.add_argument("count", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("rest", nargs="*", help=argparse.SUPPRESS)  # crash ignores more words
    p.set_defaults(options=[])
    return p


def rd_options(pairs: list[tuple[str, str | None]]) -> RdOptions:
    """crash's getopt loop in cmd_rd()."""
    o = RdOptions()
    for flag, value in pairs:
        letter = flag[1:]
        if letter in ("8", "16", "32", "64", "a"):
            o.display = "ascii" if letter == "a" else letter
        elif letter in ("s", "S"):
            if o.display != "64":
                raise usage_error("rd", f"-{letter} option is only allowed with 64-bit display")
            o.symbolic = True
            o.slab = min(o.slab + (letter == "S"), 2)
        elif letter == "d":
            o.decimal = True
        elif letter == "D":
            o.udecimal = True
        elif letter == "x":
            o.no_ascii = True
        elif letter == "N":
            o.net_endian = True
        elif letter == "R":
            o.reverse = True
        elif letter in ("p", "u", "f"):
            o.space = {"p": "physical", "u": "user", "f": "file"}[letter]
        elif letter == "m":
            raise CommandError("-m option only applies to xen architecture")
        elif letter == "o":
            o.offset = stol(value)
        elif letter == "e":
            o.end = htol(value)
        elif letter == "r":
            o.display, o.raw_file = "raw", value
    return o


@command("rd", "read memory", rd_parser, synopsis=SYNOPSIS)
def run_rd(session, args) -> Iterator[object]:
    o = rd_options(args.options)
    if args.address is None:
        raise UsageError("address required", "")
    address = address_argument(session.prog, args.address)
    if address is None:
        yield symbol_not_found(session.symtab, args.address)
        return
    address = (address + (o.offset or 0)) & MASK64
    size = {"64": 8, "32": 4, "16": 2}.get(o.display, 1)
    count = None if args.count is None else signed(stol(args.count))
    if count == -1:  # crash's "no count" (2**64-1 reads as no count too)
        count = None
    if count is None:
        if o.end is not None and o.end:
            if o.end <= address:
                raise CommandError(f"invalid ending address: {o.end:x}")
            count = (o.end - address) // size
        elif o.display == "raw":
            raise CommandError("-r option requires either a count argument or the -e option")
    elif o.end:
        yield MemoryWarning("ending address ignored when count is specified")
    if o.space == "kernel" and not memmap.is_kernel_address(session.prog, address):
        o.space = "user"  # crash: a non-kernel address in the default space is a user address
    if o.reverse:
        count = count or 1
        address = (address - (count - 1) * size) & MASK64  # C's unsigned arithmetic
    if count is not None and count <= 0:
        raise CommandError(f"invalid count request: {count}")
    memory = Memory(session, o.space)
    if o.display == "raw":
        yield raw_copy(memory, address, count, o.raw_file)
    elif o.display == "ascii":
        yield AsciiDisplay(ascii_runs(memory, address, count), count is not None)
    else:
        bits = size * 8
        style = "decimal" if o.decimal else "udecimal" if o.udecimal else "hex"
        ascii_column = style == "hex" and not o.symbolic and not o.no_ascii
        yield MemoryDisplay(bits, style, ascii_column,
                            memory_rows(session, memory, address, count or 1, bits, o))


def label(memory: Memory, bits: int | None) -> str:
    """crash's readmem type: "64-bit KVADDR", ..., "ascii"."""
    return f"{bits}-bit {TYPE_NAMES[memory.space]}" if bits else "ascii"


def memory_rows(session, memory: Memory, address: int, count: int, bits: int,
                o: RdOptions) -> Iterator[MemoryRow]:
    """The lines of entries, read in blocks of up to 64 KiB; a failed read ends them with
    the entries read so far, then crash's error."""
    size = bits // 8
    per_line = 16 // size
    byteorder = "big" if o.net_endian and bits in (16, 32) else "little"
    block = max(per_line, (1 << 16) // size // per_line * per_line)
    for first in range(0, count, block):
        n = min(block, count - first)
        at = address + first * size
        error = None
        try:
            data = memory.read(at, n * size, label(memory, bits))
        except Partial as failed:
            data, error = failed.data, failed.error
        entries = len(data) // size
        for start in range(0, entries, per_line):
            raw = data[start * size:min(start + per_line, entries) * size]
            values = [int.from_bytes(raw[i:i + size], byteorder) for i in range(0, len(raw), size)]
            if byteorder == "big":
                raw = b"".join(v.to_bytes(size, "little") for v in values)
            yield MemoryRow(at + start * size, values, raw, symbols_of(session, values, o))
        if error is not None:
            raise error


def symbols_of(session, values: list[int], o: RdOptions) -> list[str | None] | None:
    """-s: ``sym+offset`` for values in the kernel's symbol range; -S: also ``[cache]`` (-SS:
    ``[value:cache]``) for values in a slab cache's pages."""
    if not o.symbolic or o.display != "64":
        return None
    return [symbolic(session, v) or (slab_text(session, v, o.slab) if o.slab else None)
            for v in values]


def symbolic(session, value: int) -> str | None:
    """``sym+offset`` for a value inside the kernel's symbol range, as rd -s shows it."""
    if session.symtab.lookup_address(value) is None:
        return None
    return session.symtab.symstr(value)


def slab_text(session, value: int, level: int) -> str | None:
    found = slab.walker(session.prog).slab_of_address(value)
    if found is None:
        return None
    return f"[{value:x}:{found[0].name}]" if level > 1 else f"[{found[0].name}]"


def ascii_runs(memory: Memory, address: int, count: int | None) -> Iterator[AsciiRun]:
    """crash's rd -a: printable runs, 60 per line; without a count, stop at the first
    non-printable byte."""
    limit = count if count is not None else 1 << 62
    current: list[str] = []
    run_start = address
    done = 0
    while done < limit:
        n = min(PAGE_READ - (address + done) % PAGE_READ, limit - done)
        error = None
        try:
            chunk = memory.read(address + done, n, "ascii")
        except Partial as failed:
            chunk, error = failed.data, failed.error
        for i, c in enumerate(chunk):
            if 0x20 <= c < 0x7F:
                if not current:
                    run_start = address + done + i
                current.append(chr(c))
                if len(current) == ASCII_LINE:
                    yield AsciiRun(run_start, "".join(current))
                    current = []
                continue
            if current:
                yield AsciiRun(run_start, "".join(current))
                current = []
            if count is None:
                return
        if error is not None:
            if current:
                yield AsciiRun(run_start, "".join(current))
            raise error
        done += n
    if current:
        yield AsciiRun(run_start, "".join(current))


def raw_copy(memory: Memory, address: int, count: int, path: str) -> RawCopy:
    """crash's rd -r: the bytes to a file."""
    try:
        out = open(path, "wb")
    except OSError:
        raise CommandError(f"cannot open output file: {path}") from None
    with out:
        for done in range(0, count, 1 << 20):
            try:
                out.write(memory.read(address + done, min(1 << 20, count - done), "raw dump to file"))
            except Partial as failed:
                out.write(failed.data)
                raise failed.error from None
    return RawCopy(count, address, path)


def read_user(task: drgn.Object, address: int, size: int) -> bytes:
    """Read the task's user memory; a task without an mm fails as crash's pgd lookup does."""
    mm = task.mm
    if not mm:
        pgd = drgn.offsetof(mm.type_.type, "pgd")
        raise CommandError(f'invalid kernel virtual address: {pgd:x}  type: "mm_struct pgd"')
    return access_remote_vm(mm, address, size)
