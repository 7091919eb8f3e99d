"""gdb's value printer as crash configures it: the text of ``print *(struct X *)addr``.

This follows gdb 16's ``valprint.c``/``c-valprint.c``/``cp-valprint.c`` with crash's settings
(gdb_interface.c): pretty structs, arrays on one line, no ``<repeats>``, at most 256 elements
or characters, struct depth 20, and crash's output radix (10, or 16 for ``-x``/``set radix 16``).

- Structs and unions: ``{``, one ``name = value`` per line indented ``2 + 2*recurse``, ``,``
  between members, ``}`` on its own line; unnamed members have no ``name = `` and do not count
  towards the depth limit; ``{<No data fields>}`` without members.
- Arrays: ``{a, b, c}``, ``...`` after 256 elements. Arrays of 1-byte integers are strings
  (one trailing NUL dropped, octal escapes). Zero-length and flexible arrays print as a
  pointer to themselves.
- 1-byte integers: ``65 'A'``; ``bool``: ``true``/``false``; enums: the enumerator, or for a
  flag enum ``(A | B | unknown: 0x8)``; in hex only integers and bools change.
- Pointers: ``0x...`` plus `` <symbol+offset>`` (crash lets gdb name kernel addresses only);
  a pointer to 1-byte integers adds the string it points to, or gdb's memory error.
- ``print/FMT`` letters (printcmd.c print_scalar_formatted): x z o t d u c a f for each
  scalar of the value (strings, structs and arrays element by element); another letter fails
  at the first scalar, after the text printed so far.

Memory is read as crash serves gdb (gdb_readmem_callback, a MemoryReader): one read of the
whole value, then gdb's string reads for char pointers (8-byte chunks, byte by byte after a
failure, a peek at the next byte), each failure noted where crash's readmem() words it.

A type is compiled into a tree of nodes that format raw bytes (kept per struct), so a
~1000-line ``task_struct`` costs a millisecond or two.
"""

from __future__ import annotations

import ctypes
import errno
import locale
import math
import os
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import drgn
from drgn import TypeKind

from crashsh.dumpfacts import MASK64
from crashsh.toolchain.gdbtypes import check_typedef

PRINT_MAX = 256  # crash: *gdb_print_max = 256
MAX_DEPTH = 20  # gdb's default `set print max-depth`
ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}
AGGREGATES = (TypeKind.STRUCT, TypeKind.UNION, TypeKind.CLASS)
UNPACK = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}
# floating-point formats by size: struct code, gdb's %g digits, mantissa bits
FLOATS = {2: ("<e", 5, 10), 4: ("<f", 9, 23), 8: ("<d", 17, 52)}


def _char_table(quote: str) -> tuple[str, ...]:
    """gdb's print_wchar for each byte inside *quote* quotes (as one ASCII character)."""
    table = []
    for byte in range(256):
        char = chr(byte)
        if byte in ESCAPES:
            table.append(ESCAPES[byte])
        elif 0x20 <= byte < 0x7F:
            table.append("\\" + char if char in (quote, "\\") else char)
        else:
            table.append(f"\\{byte:03o}")
    return tuple(table)


STRING_CHARS = _char_table('"')
CHAR_CHARS = _char_table("'")


def host_charset_is_utf8() -> bool:
    """Whether gdb's host charset is UTF-8: gdb takes it from the locale (LC_CTYPE). Python
    coerces a C locale to C.UTF-8 and then turns on its UTF-8 mode (unless PYTHONUTF8 asked
    for it): gdb would have stayed in the C locale's ASCII."""
    coerced = sys.flags.utf8_mode and os.environ.get("PYTHONUTF8") != "1"
    return not coerced and locale.nl_langinfo(locale.CODESET).upper().replace("-", "") == "UTF8"


UTF8_HOST = host_charset_is_utf8()
_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.iswprint.argtypes = [ctypes.c_uint]
_LIBC.iconv_open.restype = ctypes.c_void_p
_LIBC.iconv_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_LIBC.iconv.restype = ctypes.c_size_t
_LIBC.iconv.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(ctypes.c_size_t)] * 4
ICONV_FAILED = ctypes.c_size_t(-1).value
WCHAR = ctypes.sizeof(ctypes.c_wchar)


class Character(NamedTuple):
    """One step of gdb's wchar_iterator: *result* ok, invalid, incomplete (or lost); the
    bytes it consumed; the character's code (ok only)."""

    result: str
    raw: bytes
    code: int = 0


def gdb_characters(data: bytes) -> Iterator[Character]:
    """gdb's wchar_iterator over *data* in a UTF-8 host charset (glibc's iconv to wchar_t,
    one character at a time): a byte iconv rejects is an invalid character, a sequence cut
    short at the end an incomplete one. crash's gdb then loses the character converted just
    before an incomplete sequence (seen on crash 9: "ab\\330" prints "a", <incomplete
    sequence \\330>); it comes as a "lost" step."""
    cd = _LIBC.iconv_open(b"WCHAR_T", b"UTF-8")
    buf = ctypes.create_string_buffer(data, len(data))
    out = ctypes.create_string_buffer(WCHAR)
    base, pos, held = ctypes.addressof(buf), 0, None
    try:
        while pos < len(data):
            inptr, inleft = ctypes.c_size_t(base + pos), ctypes.c_size_t(len(data) - pos)
            outptr, outleft = ctypes.c_size_t(ctypes.addressof(out)), ctypes.c_size_t(WCHAR)
            failed = _LIBC.iconv(cd, ctypes.byref(inptr), ctypes.byref(inleft),
                                 ctypes.byref(outptr), ctypes.byref(outleft)) == ICONV_FAILED
            at = inptr.value - base
            if failed and outleft.value == WCHAR and ctypes.get_errno() == errno.EINVAL:
                if held is not None:
                    yield held._replace(result="lost") if held.result == "ok" else held
                yield Character("incomplete", data[at:])
                return
            if held is not None:
                yield held
            if failed and outleft.value == WCHAR:  # nothing converted
                held, pos = Character("invalid", data[at:at + 1]), at + 1
                continue
            held = Character("ok", data[pos:at], int.from_bytes(out.raw[:WCHAR], sys.byteorder))
            pos = at
        if held is not None:
            yield held
    finally:
        _LIBC.iconv_close(ctypes.c_void_p(cd))


def quoted(data: bytes, limit: int | None = None) -> tuple[str, int]:
    """*data* as a gdb string literal of at most *limit* characters, and the bytes it took
    (gdb's generic_printstr). In a UTF-8 host charset a printable character (libc's
    iswprint) prints as itself, others as octal escapes of their bytes, and a sequence cut
    short at the end as ``", <incomplete sequence \\NNN>``."""
    if not UTF8_HOST or data.isascii():
        data = data[:limit]
        return '"' + "".join([STRING_CHARS[b] for b in data]) + '"', len(data)
    parts: list[str] = []
    quote_open, taken, count = False, 0, 0
    for step in gdb_characters(data):
        if limit is not None and count >= limit:
            break
        taken += len(step.raw)
        if step.result == "lost":
            continue
        count += 1
        escaped = "".join(STRING_CHARS[b] for b in step.raw)
        if step.result == "incomplete":
            parts.append(('"' if quote_open else "") + (", " if parts else "")
                         + f"<incomplete sequence {escaped}>")
            quote_open = False
            break
        if not quote_open:
            parts.append('"')
            quote_open = True
        printable = step.result == "ok" and step.code <= 0x10FFFF and _LIBC.iswprint(step.code)
        parts.append(chr(step.code) if printable and step.code > 0x7F else
                     STRING_CHARS[step.code] if printable else escaped)
    if quote_open:
        parts.append('"')
    return "".join(parts) or '""', taken


def char_array_text(data: bytes) -> str:
    """gdb's printstr for a char array: one trailing NUL dropped, 256 characters at most."""
    length = len(data) - 1 if data and data[-1] == 0 else len(data)
    text, taken = quoted(data[:length], PRINT_MAX)
    return text + ("..." if taken < length else "")


class FormatError(Exception):
    """gdb failed part way through printing a value: *partial* is what it had printed."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class MemoryReader:
    """gdb's reads of the dump as crash serves them (gdb_readmem_callback): kernel virtual
    addresses only, and a 1-byte read fetches 4 bytes (crash reads SIZEOF_32BIT there), so it
    fails next to an unreadable page. A failure is a drgn.FaultError; *notes* are the lines
    crash's readmem() printed for failed reads (a subclass words them, this one is silent)."""

    def __init__(self, prog: drgn.Program, page_offset: int) -> None:
        self.prog = prog
        self.page_offset = page_offset
        self.notes: list[str] = []

    def read(self, address: int, size: int) -> bytes:
        if size <= 0:
            return b""
        what = "gdb_readmem callback" if size == 4 else "gdb_readmem_callback"
        return self.fetch(address, 4 if size == 1 else size, what)[:size]

    def fetch(self, address: int, size: int, what: str) -> bytes:  # noqa: ARG002
        """*size* bytes at *address*; *what* is crash's readmem type for its messages."""
        if address < self.page_offset:
            raise drgn.FaultError("could not read memory", address)
        try:
            return self.prog.read(address, size)
        except (ValueError, OverflowError):  # past the end of the address space
            raise drgn.FaultError("could not read memory", address) from None


@dataclass
class PrintContext:
    """The bytes being printed, where they live (for pointers to the object itself), the
    reader for strings, and where in the text a failed read was noted."""

    buf: bytes
    address: int
    reader: MemoryReader
    out: list[str]
    notes: list[tuple[int, str]]

    def note_reads(self, before: int) -> None:
        """Place the reader's notes since *before* at the current end of the text."""
        new = self.reader.notes[before:]
        if new:
            at = sum(map(len, self.out))
            self.notes.extend((at, note) for note in new)


class ValuePrinter:
    """Formats values of one program as crash's gdb does.

    *symbol* gives the `` <sym+off>`` text for an address (``""`` for none); *reader* reads
    memory as crash's gdb does (a quiet kernel reader unless a call brings its own). With a
    format *letter* (``print/x``) scalars, pointers and the characters of strings print as
    numbers in that format.
    """

    def __init__(self, prog: drgn.Program, symbol: Callable[[int], str], reader: MemoryReader,
                 radix: int = 10, letter: str | None = None) -> None:
        self.prog = prog
        self.symbol = symbol
        self.reader = reader
        self.radix = radix
        self.letter = letter  # gdb's print/FMT letter; None: the natural format
        self._nodes: dict[tuple, Node] = {}  # top-level structs already compiled

    # -- entry points -----------------------------------------------------------------------
    def format(self, type: drgn.Type, address: int, buf: bytes | None = None,
               reader: MemoryReader | None = None) -> str:
        """The value text of *type* at *address* (read from the dump unless *buf* is given)."""
        return self.render(type, address, buf, reader)[0]

    def render(self, type: drgn.Type, address: int, buf: bytes | None = None,
               reader: MemoryReader | None = None) -> tuple[str, list[tuple[int, str]]]:
        """The value text and the notes of reads that failed while printing it, each with
        its place in the text; FormatError carries the text printed before a failure."""
        reader = reader or self.reader
        node = self.node(type)
        if buf is None:
            buf = reader.read(address, node.size)
        ctx = PrintContext(buf, address, reader, [], [])
        try:
            node.emit(ctx, 0, 0, 0, ctx.out)
        except FormatError as e:
            raise FormatError(str(e), "".join(ctx.out)) from None
        return "".join(ctx.out), ctx.notes

    def format_object(self, obj: drgn.Object) -> str:
        """The value text of a drgn object (a reference or a value)."""
        if obj.address_ is not None:
            return self.format(obj.type_, obj.address_)
        return self.format(obj.type_, 0, obj.to_bytes_())

    def node(self, type: drgn.Type) -> Node:
        """The compiled printer of *type*; kept for the next value of the same struct."""
        type = check_typedef(type)
        key = None
        if type.kind in AGGREGATES and type.is_complete():
            key = (type.kind, type.tag, drgn.sizeof(type), tuple(m.name for m in type.members))
            if key in self._nodes:
                return self._nodes[key]
        node = self._compile(type)
        if key is not None:
            self._nodes[key] = node
        return node

    # -- compiling types ----------------------------------------------------------------------
    def _compile(self, type: drgn.Type) -> Node:
        type = check_typedef(type)
        kind = type.kind
        if kind in AGGREGATES:
            return self._aggregate(type)
        if kind == TypeKind.ARRAY:
            return self._array(type)
        if kind == TypeKind.POINTER:
            return PointerNode(self, type)
        if kind in (TypeKind.INT, TypeKind.BOOL, TypeKind.ENUM):
            return ScalarNode(self.formatter(type), drgn.sizeof(type), is_signed(type))
        if kind == TypeKind.FLOAT:
            return FloatNode(drgn.sizeof(type), self.letter and self.formatter(type))
        return TextNode("<unknown type>")

    def formatter(self, type: drgn.Type) -> Callable[[int], str]:
        """value -> text for a scalar of *type* (the value sign-extended when signed)."""
        if self.letter:
            return letter_formatter(self.letter, drgn.sizeof(type), not is_signed(type),
                                    self.symbol)
        return scalar_formatter(type, self.radix)

    def _aggregate(self, type: drgn.Type) -> Node:
        if not type.is_complete():
            return TextNode("<incomplete type>")
        members = []
        for member in type.members:
            if member.bit_field_size:
                resolved = check_typedef(member.type)
                node: Node = BitFieldNode(self.formatter(resolved),
                                          member.bit_offset % 8, member.bit_field_size,
                                          is_signed(resolved))
            else:
                node = self._compile(member.type)
            members.append((member.name, member.bit_offset // 8, node))
        return StructNode(drgn.sizeof(type), members)

    def _array(self, type: drgn.Type) -> Node:
        element = check_typedef(type.type)
        length = type.length or 0
        element_size = drgn.sizeof(element) if element.is_complete() else 0
        if length == 0 or element_size == 0:  # gdb: "treat like pointer to first elt."
            return SelfPointerNode(self, element)
        if is_textual(element) and not self.letter:
            return CharArrayNode(length * element_size)
        return ArrayNode(self._compile(element), length, element_size)


# -- scalars --------------------------------------------------------------------------------
def is_signed(type: drgn.Type) -> bool:
    type = check_typedef(type)
    if type.kind == TypeKind.ENUM:
        return type.type is not None and type.type.is_signed
    return type.kind == TypeKind.INT and type.is_signed


def is_textual(type: drgn.Type) -> bool:
    """gdb's c_textual_element_type: any one-byte integer (char, u8, s8)."""
    type = check_typedef(type)
    return type.kind == TypeKind.INT and drgn.sizeof(type) == 1


def scalar_formatter(type: drgn.Type, radix: int) -> Callable[[int], str]:
    """value -> text for an integer, bool or enum type (the value already sign-extended)."""
    size = drgn.sizeof(type)
    mask = (1 << (8 * size)) - 1
    if type.kind == TypeKind.ENUM:
        return enum_formatter(type)
    if radix == 16:
        return lambda value: f"0x{value & mask:x}"
    if type.kind == TypeKind.BOOL:
        return lambda value: {0: "false", 1: "true"}.get(value, str(value))
    if size == 1:
        return lambda value: f"{value} '{CHAR_CHARS[value & 0xFF]}'"
    return str


def letter_formatter(letter: str, size: int, unsigned: bool,
                     symbol: Callable[[int], str] = lambda address: "") -> Callable[[int], str]:
    """gdb's print_scalar_formatted for ``print/LETTER`` of a *size*-byte scalar (the value
    sign-extended when signed); *symbol* names an address for ``/a``. An unknown letter
    fails when a value is printed, as gdb's does."""
    bits = 8 * size
    mask = (1 << bits) - 1

    def as_signed(value: int) -> str:
        value &= mask
        return str(value - (1 << bits) if value >> (bits - 1) else value)

    def char(value: int) -> str:
        """gdb casts to its true (unsigned) char and prints that value."""
        byte = value & 0xFF
        number = byte if unsigned or byte < 128 else byte - 256
        return f"{number} '{CHAR_CHARS[byte]}'"

    def address(value: int) -> str:
        value &= MASK64
        return f"0x{value:x}" + symbol(value)

    def floating(value: int) -> str:
        """The bits as the floating-point type of the same size; else as a number."""
        return float_text(value & mask, size) if size in FLOATS else str(value)

    def undefined(value: int) -> str:  # noqa: ARG001
        raise FormatError(f'Undefined output format "{letter}".')

    return {
        "x": lambda value: f"0x{value & mask:x}",
        "z": lambda value: f"0x{value & mask:0{2 * size}x}",
        "o": lambda value: f"0{value & mask:o}" if value & mask else "0",
        "t": lambda value: f"{value & mask:b}",
        "d": as_signed,
        "u": lambda value: str(value & mask),
        "c": char,
        "a": address,
        "f": floating,
    }.get(letter, undefined)


def float_text(bits: int, size: int) -> str:
    """gdb's text of a floating-point value from its bits: %g with the format's decimal
    digits, ``inf``, or ``nan(0xMANTISSA)`` (the mantissa as floatformat_mantissa prints it:
    its top bits, then 32-bit groups of 8 digits)."""
    code, digits, mantissa_bits = FLOATS[size]
    value = struct.unpack(code, bits.to_bytes(size, "little"))[0]
    sign = "-" if bits >> (8 * size - 1) else ""
    if math.isnan(value):
        mantissa = bits & ((1 << mantissa_bits) - 1)
        low = (mantissa_bits - 1) // 32 * 32  # the bits in whole 32-bit groups
        text = f"{mantissa >> low:x}" + "".join(
            f"{(mantissa >> shift) & 0xFFFFFFFF:08x}" for shift in range(low - 32, -1, -32))
        return f"{sign}nan(0x{text})"
    if math.isinf(value):
        return f"{sign}inf"
    return format(value, f".{digits}g")


def enum_formatter(type: drgn.Type) -> Callable[[int], str]:
    """gdb's generic_val_print_enum_1: the enumerator, a flag decomposition, or the number."""
    enumerators = list(type.enumerators or ())
    names: dict[int, str] = {}
    for name, value in enumerators:
        names.setdefault(value, name)
    # gdb's DWARF reader: a flag enum has only non-negative, single-bit (or zero) values
    flag = all(value >= 0 and value.bit_count() <= 1 for _, value in enumerators)

    def text(value: int) -> str:
        if value in names:
            return names[value]
        if not flag:
            return str(value)
        parts = []
        for name, bit in enumerators:
            if value & bit:
                parts.append(name)
                value &= ~bit
        if value:
            parts.append(f"unknown: 0x{value:x}")
        return f"({' | '.join(parts)})" if parts else "0"

    return text


def _unpack(size: int, signed: bool) -> Callable[[bytes, int], int]:
    if size in UNPACK:
        fmt = struct.Struct(UNPACK[size].lower() if signed else UNPACK[size])
        return lambda buf, off: fmt.unpack_from(buf, off)[0]
    return lambda buf, off: int.from_bytes(buf[off:off + size], "little", signed=signed)


# -- nodes ----------------------------------------------------------------------------------
class Node:
    """A compiled type: ``emit`` appends the value's text at *off* in the context's bytes.

    *recurse* is gdb's nesting level (indentation); *depth* counts named levels only.
    """

    size = 0

    def emit(self, ctx: PrintContext, off: int, recurse: int, depth: int,
             out: list[str]) -> None:
        raise NotImplementedError


class TextNode(Node):
    def __init__(self, text: str) -> None:
        self.text = text

    def emit(self, ctx, off, recurse, depth, out):
        out.append(self.text)


class ScalarNode(Node):
    def __init__(self, formatter: Callable[[int], str], size: int, signed: bool) -> None:
        self.size = size
        self.formatter = formatter
        self.read = _unpack(size, signed)

    def emit(self, ctx, off, recurse, depth, out):
        out.append(self.formatter(self.read(ctx.buf, off)))


class BitFieldNode(Node):
    """A bitfield member: *shift* bits into the byte at the member's offset."""

    def __init__(self, formatter: Callable[[int], str], shift: int, bits: int,
                 signed: bool) -> None:
        self.formatter = formatter
        self.shift = shift
        self.bits = bits
        self.signed = signed
        self.nbytes = (shift + bits + 7) // 8

    def emit(self, ctx, off, recurse, depth, out):
        raw = int.from_bytes(ctx.buf[off:off + self.nbytes], "little")
        value = (raw >> self.shift) & ((1 << self.bits) - 1)
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        out.append(self.formatter(value))


class FloatNode(Node):
    """A floating-point value; with a format letter gdb 16 prints its bits as an integer
    (``c`` and ``a`` take the value converted to an integer, ``f`` the float itself)."""

    def __init__(self, size: int, formatter: Callable[[int], str] | None = None) -> None:
        self.size = size
        self.formatter = formatter

    def emit(self, ctx, off, recurse, depth, out):
        if self.size not in FLOATS:
            out.append("<unsupported floating-point type>")
            return
        bits = int.from_bytes(ctx.buf[off:off + self.size], "little")
        if self.formatter is None or self.formatter.__name__ == "floating":
            out.append(float_text(bits, self.size))
            return
        if self.formatter.__name__ in ("char", "address"):
            value = struct.unpack(FLOATS[self.size][0], bits.to_bytes(self.size, "little"))[0]
            bits = int(value) if math.isfinite(value) else 0
        out.append(self.formatter(bits))


class PointerNode(Node):
    """gdb's print_unpacked_pointer: address, symbol, and the string for char pointers."""

    def __init__(self, printer: ValuePrinter, type: drgn.Type) -> None:
        self.printer = printer
        self.size = drgn.sizeof(type)
        self.read = _unpack(self.size, False)
        target = check_typedef(type.type)
        self.textual = target.kind != TypeKind.FUNCTION and is_textual(target)
        self.letter = printer.letter and letter_formatter(printer.letter, self.size, True,
                                                          printer.symbol)

    def emit(self, ctx, off, recurse, depth, out):
        address = self.read(ctx.buf, off)
        if self.letter:  # print/FMT: the address as a number
            out.append(self.letter(address))
            return
        self.natural(ctx, address, out)

    def natural(self, ctx: PrintContext, address: int, out: list[str]) -> None:
        out.append(f"0x{address:x}" + self.printer.symbol(address))
        if self.textual and address and self.printer.letter in (None, "s"):
            out.append(" ")
            before = len(ctx.reader.notes)
            text = string_at(ctx.reader, address)
            ctx.note_reads(before)
            out.append(text)


class SelfPointerNode(PointerNode):
    """A zero-length or flexible array: gdb prints the address of its first element (with
    no format letter) and, for characters, the string there."""

    def __init__(self, printer: ValuePrinter, element: drgn.Type) -> None:
        self.printer = printer
        self.size = 0
        self.textual = is_textual(element)

    def emit(self, ctx, off, recurse, depth, out):
        self.natural(ctx, ctx.address + off, out)


def read_string(reader: MemoryReader, address: int, limit: int) -> tuple[bytes, bool, bool]:
    """gdb's read_string for a NUL-terminated string of at most *limit* bytes: 8-byte reads,
    a failed one retried byte by byte. Returns the bytes before the NUL (or all read),
    whether a NUL ended them, and whether a read failed."""
    data = b""
    while len(data) < limit:
        at, size = address + len(data), min(8, limit - len(data))
        try:
            chunk = reader.read(at, size)
        except drgn.FaultError:
            chunk = b""
            while len(chunk) < size:
                try:
                    chunk += reader.read(at + len(chunk), 1)
                except drgn.FaultError:
                    break
        nul = chunk.find(0)
        if nul >= 0:
            return data + chunk[:nul], True, False
        data += chunk
        if len(chunk) < size:
            return data, False, True
    return data, False, False


def string_at(reader: MemoryReader, address: int) -> str:
    """gdb's val_print_string with print elements 256: the string, ``...`` when more follows
    (gdb peeks at the next byte), then a memory error after a failed read."""
    data, nul, failed = read_string(reader, address, PRINT_MAX)
    end = address + len(data)
    more = False
    if not nul:
        try:
            more = reader.read(end, 1) != b"\0"
        except drgn.FaultError:
            pass
    text = ""
    if not failed or data:
        text, taken = quoted(data, PRINT_MAX)
        text += "..." if more or taken < len(data) else ""
    if failed:
        text += f"<error: Cannot access memory at address 0x{end:x}>"
    return text


class CharArrayNode(Node):
    def __init__(self, size: int) -> None:
        self.size = size

    def emit(self, ctx, off, recurse, depth, out):
        out.append(char_array_text(ctx.buf[off:off + self.size]))


class ArrayNode(Node):
    def __init__(self, element: Node, length: int, element_size: int) -> None:
        self.element = element
        self.length = length
        self.element_size = element_size
        self.size = length * element_size

    def emit(self, ctx, off, recurse, depth, out):
        if depth >= MAX_DEPTH:
            out.append("{...}")
            return
        out.append("{")
        shown = min(self.length, PRINT_MAX)
        for i in range(shown):
            if i:
                out.append(", ")
            try:
                self.element.emit(ctx, off + i * self.element_size, recurse + 1, depth + 1, out)
            except FormatError as e:  # gdb prints the error in the element's place
                out.append(f"<error reading variable: {e}>")
        out.append("...}" if shown < self.length else "}")


class StructNode(Node):
    def __init__(self, size: int, members: list[tuple[str | None, int, Node]]) -> None:
        self.size = size
        self.members = members

    def emit(self, ctx, off, recurse, depth, out):
        if depth >= MAX_DEPTH:
            out.append("{...}")
            return
        if not self.members:
            out.append("{<No data fields>}")
            return
        out.append("{")
        separator = "\n" + " " * (2 + 2 * recurse)
        for i, (name, offset, node) in enumerate(self.members):
            out.append("," + separator if i else separator)
            if name:
                out.append(name + " = ")
            try:  # gdb: an anonymous member stays at its parent's depth
                node.emit(ctx, off + offset, recurse + 1, depth + bool(name), out)
            except FormatError as e:  # cp_print_value_fields prints the error and goes on
                out.append(f"<error reading variable: {e}>")
        out.append("\n" + " " * (2 * recurse) + "}")


# -- crash's view of addresses --------------------------------------------------------------
class KernelAddresses:
    """What crash's gdb can say about an address: its symbol and the string there.

    crash lets gdb name only kernel virtual addresses (gdb_print_callback: IS_KVADDR, i.e.
    at or above PAGE_OFFSET). gdb knows vmlinux and, after `mod -S`, the modules' object
    files: it names an address by the function containing it, else by the ELF symbol
    containing it (drgn has the same files loaded). Where gdb finds nothing in a module,
    crash answers with its own module search (gdb_lookup_module_symbol, value_search_module:
    here *symtab*, crash's symbol table). Strings are read page by page (*page_size*).
    """

    def __init__(self, prog: drgn.Program, symtab, page_offset: int, page_size: int) -> None:
        self.prog = prog
        self.symtab = symtab
        self.page_offset = page_offset
        self.page_size = page_size
        self._symbols: dict[int, str] = {}

    def is_kvaddr(self, address: int) -> bool:
        return address >= self.page_offset

    def symbol(self, address: int) -> str:
        """`` <name+offset>``, `` <name>`` or ``""``."""
        if address not in self._symbols:
            self._symbols[address] = self._lookup(address)
        return self._symbols[address]

    def _lookup(self, address: int) -> str:
        if not address or not self.is_kvaddr(address):
            return ""
        found = self.gdb_symbol(address)
        if found is None and self.symtab.module_of(address) is not None:
            module_symbol = self.symtab.lookup_address(address)
            if module_symbol is not None:
                found = (module_symbol[0].name, module_symbol[1])
        if found is None:
            return ""
        name, offset = found
        return f" <{name}+{offset}>" if offset else f" <{name}>"

    def gdb_symbol(self, address: int) -> tuple[str, int] | None:
        """gdb's build_address_symbolic(): the function containing *address* by its DWARF
        name, else the ELF symbol containing it; among aliases at one address gdb's sorted
        minimal symbols end with the alphabetically last name."""
        symbols = [s for s in self.prog.symbols(address)
                   if s.size or s.kind == drgn.SymbolKind.FUNC]
        if not symbols:
            return None
        start = max(s.address for s in symbols)
        functions = [s for s in symbols if s.kind == drgn.SymbolKind.FUNC]
        if functions:
            try:
                function = self.prog.source_location(address)[-1].name()
            except LookupError:
                function = None
            if function:
                return function, address - min(s.address for s in functions)
        name = max(s.name for s in symbols if s.address == start)
        return name, address - start

    def read_string(self, address: int, limit: int) -> bytes | None:
        """Up to *limit* bytes at *address*, stopping at the first NUL or unreadable page."""
        if not self.is_kvaddr(address):
            return None  # crash's gdb_readmem_callback refuses non-kernel addresses
        data = b""
        while len(data) < limit:
            chunk = min(limit - len(data), self.page_size - (address + len(data)) % self.page_size)
            try:
                piece = self.prog.read(address + len(data), chunk)
            except drgn.FaultError:
                break
            data += piece
            if 0 in piece:
                break
        return data or None


# -- crash's readings of gdb's text ---------------------------------------------------------
# crash answers `task -R member` (and `struct -R`-like lookups) by reading back the text gdb
# printed, so its quirks are part of the output. These are ports of task.c's
# parse_task_thread() and symbols.c's parse_for_member_extended(), which read the text with
# fgets() into 1500 bytes; here lines are whole, so members after a very long line (such as
# a cpumask) are found where crash fails with "invalid data structure member reference".
def grep_member(lines: list[str], name: str) -> list[str]:
    """parse_task_thread(): the lines of top-level member *name*, down to its closing brace."""
    found: list[str] = []
    randomized = False  # inside a top-level unnamed struct ("  {"), members sit 2 deeper
    until_prefix = until_text = ""
    for line in lines:
        if line == "  {\n":
            randomized = True
        elif randomized and line in ("  }, \n", "  },\n"):
            randomized = False
        if until_prefix:
            found.append(line)
            if line.startswith(until_prefix):
                until_prefix = ""
            continue
        if until_text:
            found.append(line)
            if until_text in line:
                until_text = ""
            continue
        extra = "  " if randomized else ""
        if line.startswith(f"{extra}  {name} = "):
            found.append(line)
            if "{{\n" in line:
                until_prefix = extra + "    }},"
            elif " = {\n" in line:
                until_prefix = " " * (len(line) - len(line.lstrip(" "))) + "}"
            elif "{" in line:
                until_text = "},"
    return found


class Element:
    """A node of crash's struct_elem tree built from gdb's text."""

    __slots__ = ("name", "value", "parent", "inner", "next", "is_array_root")

    def __init__(self, parent: Element | None) -> None:
        self.name = ""
        self.value = ""
        self.parent = parent
        self.inner: Element | None = None
        self.next: Element | None = None
        self.is_array_root = False

    def add_inner(self) -> Element:
        self.inner = Element(self)
        return self.inner

    def add_next(self) -> Element:
        self.next = Element(self.parent)
        return self.next


def _right_braces(text: str) -> int:
    """is_right_brace(): 1 for ``}``, 2 for ``}}`` (an optional ``,`` after), else 0."""
    body = text.lstrip(" ")
    count = 2 if body.startswith("}}") else 1 if body.startswith("}") else 0
    rest = body[count:]
    return count if count and rest in ("", ",") else 0


def element_tree(lines: list[str]) -> Element:
    """parse_for_member_extended()'s tree of the printed structs (one per ``struct X {``)."""
    root = Element(None)
    current = root.add_inner()
    for raw in lines:
        text = raw.rstrip("".join(map(chr, range(33))))
        trailing_comma = text.endswith(",")
        if trailing_comma:
            text = text[:-1]
        braces = _right_braces(text)
        if braces:
            for _ in range(braces):
                current = current.parent or current
            if current.parent is root or trailing_comma:
                current = current.add_next()
            continue
        stripped = text.lstrip(" ")
        equals = text.find(" = ")
        value = text[equals + 3:] if equals >= 0 else stripped
        if equals >= 0:
            current.name = text[len(text) - len(stripped):equals]
        if equals >= 0 and (not value.startswith("{") or text.endswith("}")):
            current.value = value  # a scalar or a one-line array
            if trailing_comma:
                current = current.add_next()
        elif value.startswith("{"):
            current = current.add_inner()
            if value.startswith("{{"):
                current.parent.is_array_root = True
                current = current.add_inner()
        elif "}, {" in value:  # the next array element
            current = current.parent.add_next().add_inner()
        elif text.startswith("struct "):
            current.name = text[7:text.index(" {")]
            current = current.add_inner()
    return root


def find_element(element: Element | None, path: str) -> Element | None:
    """find_node(): *path* (``a.b``, ``x[1].y``) among *element* and its next siblings."""
    if not path or element is None:
        return element
    dot = path.find(".")
    head = path if dot < 0 else path[:dot]
    bracket = head.find("[")
    name = head if bracket < 0 else head[:bracket]
    rest = "" if dot < 0 else path[dot + 1:]
    node: Element | None = element
    while node is not None:
        if node.name and node.name == name:
            if node.is_array_root and bracket < 0 and dot >= 0:
                return None  # `pids.node` where pids is an array
            if bracket >= 0:
                node = _array_element(node, head[bracket:])
                if node is None:
                    return None
            return node if dot < 0 else find_element(node.inner, rest)
        node = node.next
    node = element  # not here: look inside the unnamed structs and unions
    while node is not None:
        if not node.name:
            found = find_element(node.inner, path)
            if found is not None:
                return found
        node = node.next
    return None


def _array_element(node: Element, index_text: str) -> Element | None:
    """``[i]`` of an array node, as find_node() reads the index with strtol()."""
    digits = index_text[1:]
    end = len(digits) - len(digits.lstrip("0123456789"))
    if not node.is_array_root or end == 0 or digits[end:end + 1] != "]":
        return None
    element = node.inner
    for _ in range(int(digits[:end])):
        if element is None:
            return None
        element = element.next
    return element


def dump_element(element: Element, label: str | None, level: int = 0,
                 is_array: bool = False) -> list[str]:
    """dump_node(): *element* (and at inner levels its next siblings) as crash reprints it."""
    lines: list[str] = []
    node: Element | None = element
    while node is not None:
        def indent(m: int) -> str:
            return " " * (2 + 2 * (m * is_array + level))

        if node.inner is not None:
            opener = "{{" if node.inner.is_array_root else "{"
            if node.name:
                lines.append(f"{indent(1)}{label or node.name} = {opener}\n")
            else:
                head = f"{indent(1)}{label} = " if label else ""
                lines.append(f"{head}{indent(1)}{opener}\n")
            lines += dump_element(node.inner, None, is_array + level + 1,
                                  node.inner.is_array_root)
            closer = "}}" if node.inner.is_array_root else "}"
            comma = "," if node.next is not None and not node.next.is_array_root else ""
            lines.append(f"{indent(1)}{closer}{comma}\n")
        else:
            end = ",\n" if node.next is not None else "\n"
            lines.append(f"{indent(1)}{label or node.name} = {node.value}{end}")
        if not level:
            break
        node = node.next
        if node is not None and node.is_array_root:
            lines.append(f"{indent(0)}}}, {{\n")
    return lines


def extended_member(tree: Element, path: str) -> list[str] | None:
    """parse_for_member_extended()'s search of each printed struct; None when not found."""
    struct = tree.inner
    while struct is not None:
        found = find_element(struct.inner, path)
        if found is not None:
            return dump_element(found, path)
        struct = struct.next
    return None
