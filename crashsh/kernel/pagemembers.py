"""struct page members as `kmem -m` reads them (memory.c collect_page_member_data and
show_page_member_data): what gdb's ``printm ((struct page *)0x0).MEMBER`` reports (type code,
signedness, length, offset, bit position and size), then crash's reading of the member from
each struct page's bytes."""

from __future__ import annotations

import operator
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import drgn
from drgn import TypeKind

from crashsh.errors import CommandError
from crashsh.records import LAYOUT
from crashsh.toolchain.gdbtypes import AGGREGATES, check_typedef

MAXARGS = 100  # crash's limit on the words of one list
PATH = re.compile(r"[A-Za-z_]\w*(?:(?:\.|->)[A-Za-z_]\w*)*")  # gdb accepts -> on a struct too
UNSIGNED = {1: "B", 2: "H", 4: "I", 8: "Q"}


@dataclass(frozen=True)
class PageMember:
    """A member of `kmem -m`: its name as typed, where it is and how crash prints it.

    *kind*: ``pointer``, ``integer`` or ``bool`` (one value); ``counter`` (a struct named
    _count* or _mapcount*, its first int); ``words``, ``ints`` (a struct as 8- or 4-byte
    words); ``short`` (a 2-byte struct); None for a type crash cannot show."""

    name: str
    kind: str | None
    length: int
    offset: int
    unsigned: bool
    bitpos: int
    bitsize: int
    radix: int = field(metadata=LAYOUT)


def printm(page: drgn.Type, path: str) -> tuple[drgn.Type, int, int, int] | None:
    """gdb's (type, offset, bitpos, bitsize) of ``((struct page *)0x0).PATH``; None when gdb
    fails (no such member, or a step through a pointer, which gdb would have to read at 0).
    A bitfield's offset counts from its innermost named parent, as value_primitive_field
    leaves it."""
    if not PATH.fullmatch(path):
        return None
    current, offset, parent = page, 0, 0
    member = None
    for name in re.split(r"\.|->", path):
        if current.kind not in AGGREGATES:
            return None
        try:
            member = current.member(name)  # through unnamed members too, as gdb searches
        except LookupError:
            return None
        parent = offset
        offset += member.bit_offset
        current = check_typedef(member.type)
    size = member.bit_field_size or 0
    if not size:
        return current, offset // 8, 0, 0
    container = current.size * 8
    within = offset - parent
    bitpos = within % container if within % container + size <= container else within % 8
    return current, (within - bitpos) // 8, bitpos, size


def member_kind(name: str, type: drgn.Type, bitsize: int) -> str | None:
    """The branch of show_page_member_data() that prints a member of this type."""
    counter = name.startswith("_count") or name.startswith("_mapcount")
    if type.kind == TypeKind.POINTER:
        return "pointer"
    if type.kind == TypeKind.INT:
        fits = type.size in UNSIGNED and (not bitsize or type.size in (4, 8))
        return "integer" if fits else None
    if type.kind == TypeKind.BOOL:
        return "bool"
    if type.kind == TypeKind.STRUCT:
        if counter:
            return "counter"
        if type.size % 8 == 0:
            return "words"
        if type.size % 4 == 0:
            return "ints"
        return "short" if type.size == 2 else None
    return None


def member_radix(name: str, radix: int) -> int:
    """flags always in hex, _count* and _mapcount* always decimal, the rest in *radix*."""
    if name == "flags":
        return 16
    if name.startswith("_count") or name.startswith("_mapcount"):
        return 10
    return radix


def page_members(prog: drgn.Program, text: str, radix: int) -> list[PageMember]:
    """crash's collect_page_member_data() for a ``-m`` list, with its errors."""
    if text.count(",") + 1 > MAXARGS:
        raise CommandError("too many members in comma-separated list")
    if text[-1:] in (",", "."):
        raise CommandError(f"invalid format: {text}")
    names = text.replace(",", " ").split()
    if not names:
        raise CommandError(f"invalid page struct member list format: {text}")
    page = prog.type("struct page")
    members = []
    for name in names:
        found = printm(page, name)
        if found is None:
            raise CommandError(f"invalid page struct member: {name}")
        type, offset, bitpos, bitsize = found
        unsigned = type.kind == TypeKind.INT and not type.is_signed
        members.append(PageMember(name, member_kind(name, type, bitsize), type.size, offset,
                                  unsigned, bitpos, bitsize, member_radix(name, radix)))
    return members


def column_reader(member: PageMember, struct_size: int) -> Callable[[bytes], list]:
    """A function reading the member from each struct page in a run of them: an int per page
    (a bitfield extracted, a signed integer with its sign), or a tuple of words for ``words``
    and ``ints``."""
    count, code = 1, UNSIGNED.get(member.length, "Q")
    if member.kind in ("words", "ints"):
        count, code = ((member.length // 8, "Q") if member.kind == "words"
                       else (member.length // 4, "I"))
    elif member.kind == "counter":  # crash copies the struct's bytes to an int, prints the first
        code = "i" if member.length >= 4 else UNSIGNED.get(member.length, "B")
    elif member.kind in ("short", "bool"):
        code = "H" if member.kind == "short" else "B"
    elif member.kind == "integer" and not member.unsigned and not member.bitsize:
        code = code.lower()
    size = count * struct.calcsize(code)
    layout = struct.Struct(f"<{member.offset}x{count}{code}{struct_size - member.offset - size}x")
    if member.kind in ("words", "ints"):
        return lambda raw: list(layout.iter_unpack(raw))
    first = operator.itemgetter(0)
    if not member.bitsize:
        return lambda raw: list(map(first, layout.iter_unpack(raw)))
    mask, bits = (1 << member.bitsize) - 1, member.length * 8
    sign = 0 if member.unsigned else 1 << bits - 1  # crash casts the extracted bits to the type
    return lambda raw: [(v >> member.bitpos & mask ^ sign) - sign
                        for v in map(first, layout.iter_unpack(raw))]
