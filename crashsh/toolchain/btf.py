"""The kernel's named types from its BTF (vmlinux's ``.BTF``, a module's split ``.BTF``): a
catalogue of every struct, union, enum, typedef and base type with its size, for crash's
``whatis -r/-m`` (gdb walks every type symbol of every compile unit; BTF holds the same
types, deduplicated, and reads in a fraction of a second where the DWARF takes minutes).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from crashsh.toolchain.elf import ElfFile

MAGIC = 0xEB9F
HEADER = struct.Struct("<HBBIIIII")  # magic version flags hdr_len type_off type_len str_off str_len
TYPE = struct.Struct("<III")  # name_off, info, size_or_type
INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)
# bytes after struct btf_type: per kind a fixed part, and per member (vlen) a record size
FIXED = {INT: 4, ARRAY: 12, VAR: 4, DECL_TAG: 4}
PER_MEMBER = {STRUCT: 12, UNION: 12, ENUM: 8, FUNC_PROTO: 8, DATASEC: 12, ENUM64: 12}
NAMED = (INT, STRUCT, UNION, ENUM, TYPEDEF, FLOAT, ENUM64)
MODIFIERS = (VOLATILE, CONST, RESTRICT, TYPE_TAG)


@dataclass
class BtfType:
    kind: int
    name: str
    size: int  # bytes for sized kinds, else the referenced type id
    members: list[int] = field(default_factory=list)  # struct/union member type ids


class Btf:
    """The types of one BTF blob (ids from 1), over *base* when it is split BTF."""

    def __init__(self, data: bytes, base: Btf | None = None) -> None:
        magic, _version, _flags, hdr_len, type_off, type_len, str_off, str_len = (
            HEADER.unpack_from(data, 0))
        if magic != MAGIC:
            raise ValueError("not BTF")
        self.base = base
        self.types: list[BtfType | None] = list(base.types) if base else [None]
        self.strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
        self.string_size = (base.string_size if base else 0) + str_len
        at, end = hdr_len + type_off, hdr_len + type_off + type_len
        while at < end:
            name_off, info, size = TYPE.unpack_from(data, at)
            at += TYPE.size
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            members: list[int] = []
            if kind in (STRUCT, UNION):
                members = [struct.unpack_from("<I", data, at + 12 * i + 4)[0]
                           for i in range(vlen)]
            elif kind == ARRAY:
                size = struct.unpack_from("<I", data, at)[0]  # the element type
            at += FIXED.get(kind, 0) + PER_MEMBER.get(kind, 0) * vlen
            self.types.append(BtfType(kind, self.string(name_off), size, members))

    def string(self, offset: int) -> str:
        """A name; split BTF's offsets go on from its base's strings."""
        if self.base is not None:
            if offset < self.base.string_size:
                return self.base.string(offset)
            offset -= self.base.string_size
        return self.strings[offset:self.strings.index(b"\0", offset)].decode(errors="replace")

    def resolved(self, type_id: int) -> BtfType:
        """The type behind const/volatile/restrict/type tags (gdb's main type)."""
        found = self.types[type_id]
        while found is not None and found.kind in MODIFIERS:
            found = self.types[found.size]
        return found or BtfType(0, "", 0)

    def named(self) -> list[BtfType]:
        """The named structs, unions, enums, typedefs and base types, in BTF's order."""
        return [t for t in self.types[1:] if t is not None and t.kind in NAMED and t.name]

    def byte_size(self, found: BtfType) -> int:
        if found.kind == TYPEDEF:
            return self.byte_size(self.resolved(found.size))
        if found.kind == ARRAY:
            return 0  # not asked for: whatis lists named types only
        return found.size if found.kind in (INT, STRUCT, UNION, ENUM, ENUM64, FLOAT) else 0

    def contains(self, found: BtfType, text: str) -> bool:
        """gdb's lookup_struct_contents (crash's patch): a member whose type (an array's
        element, a pointer's target) is named with *text* in its name, in this struct or one
        embedded in it (not in an embedded union)."""
        for member_id in found.members:
            member = self.resolved(member_id)
            if member.kind == ARRAY:
                member = self.resolved(member.size)
            if member.kind == STRUCT and self.contains(member, text):
                return True
            if member.kind == PTR:
                member = self.resolved(member.size)
            if member.name and text in member.name:
                return True
        return False


def read_btf(path: str, base: Btf | None = None) -> Btf | None:
    """The ``.BTF`` section of an ELF file, or None without one."""
    elf = ElfFile(path)
    section = elf.section(".BTF")
    return Btf(elf.contents(section), base) if section is not None else None
