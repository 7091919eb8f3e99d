"""A value printed by gdb (``p``, ``struct``) as a typed tree, for JSON and the terminal.

Each node is a dict: ``type`` (gdb's type name), and by kind
- scalars: ``value`` (an integer, ``true``/``false``, a float) and ``text`` (gdb's text of it);
  an enum's ``enumerator`` when the value names one; a bitfield's ``bits``;
- pointers: ``value`` (``"0x..."``), ``symbol`` (gdb's ``sym+off`` or null), ``text``;
- character arrays: ``value`` (the characters up to the first NUL) and ``text``;
- other arrays: ``elements``; a zero-length array: ``address``, ``symbol``, ``text``;
- structs and unions: ``members``, a list of nodes with a ``name`` (null when unnamed).

Integers of more than 53 bits are ``"0x..."`` strings, like addresses: JSON readers hold
numbers as doubles. The tree is built when asked for (``__json__``), from the bytes gdb read.
"""

from __future__ import annotations

import drgn
from drgn import TypeKind

from crashsh.toolchain.gdbtypes import check_typedef, type_name
from crashsh.toolchain.gdbvalues import (
    AGGREGATES,
    BitFieldNode,
    MemoryReader,
    PrintContext,
    ValuePrinter,
    is_signed,
    is_textual,
)

SAFE_INTEGER = 1 << 53


def json_integer(value: int, size: int) -> int | str:
    """*value* as a JSON number, or ``"0x..."`` when a double cannot hold it."""
    if -SAFE_INTEGER < value < SAFE_INTEGER:
        return value
    return f"0x{value & ((1 << (8 * size)) - 1):x}"


class ValueTree:
    """The tree of a value of *type* whose bytes are *buf* (at *address*), as *printer*
    prints it; strings behind pointers are read through *reader*."""

    def __init__(self, printer: ValuePrinter, type: drgn.Type, address: int, buf: bytes,
                 reader: MemoryReader) -> None:
        self.printer = printer
        self.type = type
        self.address = address
        self.ctx = PrintContext(buf, address, reader, [], [])

    def __json__(self) -> dict:
        return self.node(self.type, 0)

    def text(self, type: drgn.Type, offset: int) -> str:
        """gdb's text of the value of *type* at *offset*."""
        out: list[str] = []
        self.printer.node(type).emit(self.ctx, offset, 0, 0, out)
        return "".join(out)

    def node(self, type: drgn.Type, offset: int) -> dict:
        resolved = check_typedef(type)
        node: dict = {"type": type_name(type)}
        kind = resolved.kind
        if kind in AGGREGATES:
            if resolved.is_complete():
                node["members"] = [self.member(m, offset) for m in resolved.members]
        elif kind == TypeKind.ARRAY:
            node.update(self.array(type, resolved, offset))
        elif kind == TypeKind.POINTER:
            value = int.from_bytes(self.ctx.buf[offset:offset + 8], "little")
            symbol = self.printer.symbol(value)
            node.update(value=f"0x{value:x}", symbol=symbol[2:-1] or None,
                        text=self.text(type, offset))
        elif kind in (TypeKind.INT, TypeKind.BOOL, TypeKind.ENUM):
            size = drgn.sizeof(resolved)
            value = int.from_bytes(self.ctx.buf[offset:offset + size], "little",
                                   signed=is_signed(resolved))
            node.update(self.scalar(resolved, value), text=self.text(type, offset))
        else:
            node["text"] = self.text(type, offset)
        return node

    def member(self, member: drgn.TypeMember, offset: int) -> dict:
        at = offset + member.bit_offset // 8
        if not member.bit_field_size:
            return {"name": member.name, **self.node(member.type, at)}
        resolved = check_typedef(member.type)
        bitfield = BitFieldNode(self.printer.formatter(resolved), member.bit_offset % 8,
                                member.bit_field_size, is_signed(resolved))
        out: list[str] = []
        bitfield.emit(self.ctx, at, 0, 0, out)
        raw = int.from_bytes(self.ctx.buf[at:at + bitfield.nbytes], "little")
        value = (raw >> bitfield.shift) & ((1 << bitfield.bits) - 1)
        if bitfield.signed and value >> (bitfield.bits - 1):
            value -= 1 << bitfield.bits
        return {"name": member.name, "type": type_name(member.type),
                **self.scalar(resolved, value), "bits": member.bit_field_size, "text": out[0]}

    def array(self, type: drgn.Type, resolved: drgn.Type, offset: int) -> dict:
        element = check_typedef(resolved.type)
        length = resolved.length or 0
        size = drgn.sizeof(element) if element.is_complete() else 0
        if not length or not size:  # gdb prints where the elements would start
            address = self.address + offset
            return {"address": f"0x{address:x}",
                    "symbol": self.printer.symbol(address)[2:-1] or None,
                    "text": self.text(type, offset)}
        if is_textual(element) and not self.printer.letter:
            data = self.ctx.buf[offset:offset + length]
            return {"value": data.split(b"\0")[0].decode(errors="backslashreplace"),
                    "text": self.text(type, offset)}
        return {"elements": [self.node(resolved.type, offset + i * size)
                             for i in range(length)]}

    @staticmethod
    def scalar(resolved: drgn.Type, value: int) -> dict:
        if resolved.kind == TypeKind.BOOL:
            return {"value": bool(value) if value in (0, 1) else value}
        node: dict = {"value": json_integer(value, drgn.sizeof(resolved))}
        if resolved.kind == TypeKind.ENUM:
            names = {v: name for name, v in reversed(resolved.enumerators or ())}
            node["enumerator"] = names.get(value)
        return node
