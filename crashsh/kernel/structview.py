"""A structure at an address as crash prints it for `list -s/-S` and `tree -s/-S`
(symbols.c dump_struct, dump_struct_member; tools.c fill_member_offsets,
dump_struct_members_fast, print_value).

- ``-s struct``: ``struct NAME `` and gdb's value text (print_struct).
- ``-s struct.member``: crash prints the whole struct into a temporary file and reads the
  member's lines back (parse_for_member; a dotted or indexed member goes through
  parse_for_member_extended's tree, gdbvalues.element_tree).
- ``-S struct.member``: members of at most 8 bytes (and strings) are read from memory and
  printed as numbers; bigger ones as with ``-s``.

This is the "print struct X at ADDR with these members" piece the `struct` command shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import drgn
from drgn import TypeKind

from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError
from crashsh.toolchain import gdbvalues
from crashsh.toolchain.gdbtypes import check_typedef, member_offset, ptype_text

BUFSIZE = 1500  # crash reads gdb's text back with fgets(buf, BUFSIZE)
STRING_MAX = BUFSIZE  # read_string() of a char pointer member


@dataclass
class StructNotice:
    """A message crash prints while its output goes to a temporary file: it reaches the
    terminal only (crashsh prints it in the output)."""

    text: str


def struct_type(prog: drgn.Program, name: str) -> drgn.Type | None:
    """crash's STRUCT_EXISTS/STRUCT_SIZE: a struct, a union or a typedef of that name."""
    for spelling in (f"struct {name}", f"union {name}", name):
        try:
            return prog.type(spelling)
        except (LookupError, SyntaxError):  # drgn's type parser rejects e.g. "struct ."
            continue
    return None


def require_struct(prog: drgn.Program, name: str) -> drgn.Type:
    found = struct_type(prog, name)
    if found is None:
        raise CommandError(f"invalid structure name: {name}")
    return found


def struct_text(session, name: str, address: int, radix: int) -> str:
    """print_struct(): ``struct NAME `` then gdb's value and a newline."""
    type = require_struct(session.prog, name)
    printer = session.value_printer(radix)
    return f"struct {name} {printer.format(type, address)}\n"


def fgets_chunks(text: str) -> list[str]:
    """*text* as crash's fgets(buf, BUFSIZE) reads it: lines cut at BUFSIZE - 1 characters."""
    chunks = []
    for line in text.splitlines(True):
        while len(line) > BUFSIZE - 1:
            chunks.append(line[:BUFSIZE - 1])
            line = line[BUFSIZE - 1:]
        chunks.append(line)
    return chunks


def leading_spaces(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def parse_for_member(chunks: list[str], member: str) -> list[str]:
    """symbols.c parse_for_member(PARSE_FOR_DATA): the lines of top-level *member*."""
    lookfor1, lookfor2 = f"  {member} ", f"  {member}["
    found: list[str] = []
    indent = on = embed = 0
    array = False
    lines = iter(chunks)
    while True:
        for buf in lines:
            lead = leading_spaces(buf)
            if (embed and lead == embed) or ("}}" in buf and embed == lead - 2):
                embed = 0
            if not on and not embed and "= {" in buf and lookfor1 not in buf:
                embed = lead
            if embed:
                continue
            if lookfor1 in buf or lookfor2 in buf:
                on += 1
                if "= {" in buf:
                    indent = lead
                if "[" in buf:
                    array = True
            if not on:
                continue
            if (indent and on > 1 and lead == indent and "}" not in buf) or buf[0] == "}":
                break
            if indent and on > 1 and indent == lead - 2 and "}}" in buf:
                found.append(buf)
                break
            if not indent:
                found.append(_cut(buf, ", \n", "\n"))
                break
            if "}" in buf and lead == indent:
                found.append(_cut(buf, "}, \n", "}\n"))
                break
            found.append(buf)
            on += 1
        if not array:
            return found
        on, array = 0, False


def _cut(text: str, marker: str, replacement: str) -> str:
    """sprintf(strstr(text, marker), replacement)."""
    at = text.find(marker)
    return text if at < 0 else text[:at] + replacement


def member_lines(session, name: str, member: str, address: int,
                 radix: int) -> list[str] | StructNotice:
    """dump_struct_member(): the lines of ``name.member`` in the struct at *address*, or the
    notice crash prints when a dotted or indexed member is not there."""
    type = require_struct(session.prog, name)
    try:
        chunks = fgets_chunks(struct_text(session, name, address, radix))
    except drgn.FaultError:
        return []  # gdb's read error goes to crash's temporary file's reader: nothing shown
    if member_offset(type, member) is not None:
        return parse_for_member(chunks, member)
    found = gdbvalues.extended_member(gdbvalues.element_tree(chunks), member)
    if found is None:
        return StructNotice(f"invalid data structure member reference: {member}")
    return found


# -- -S: values read straight from memory ---------------------------------------------------
@dataclass(frozen=True)
class FastMember:
    """fill_member_offsets()'s view of one member: offset, width, pointer, string."""

    name: str
    offset: int
    width: int
    is_pointer: bool
    is_string: bool


def fast_members(prog: drgn.Program, spec: str) -> tuple[str, list[FastMember]]:
    """fill_member_offsets(): ``struct.m1,m2`` as the struct name and its members."""
    name, _, members = spec.partition(".")
    type = struct_type(prog, name)
    ptype = ptype_text(type) if type is not None else ""
    found = []
    for member in members.replace(",", " ").split():
        offset, member_type = member_layout(type, member)
        if offset is None:
            raise CommandError(f"Can't get offset of '{name}.{member}'")
        resolved = check_typedef(member_type)
        # MEMBER_TYPE() knows only members of the struct itself, not ``a.b`` or ``a[i]``
        top_level = "." not in member and "[" not in member
        found.append(FastMember(member, offset, drgn.sizeof(resolved),
                                top_level and resolved.kind == TypeKind.POINTER,
                                declares_string(ptype, member)))
    return name, found


def member_layout(type: drgn.Type | None, member: str) -> tuple[int | None, drgn.Type | None]:
    """The offset and type of *member* (``a.b`` and ``a[i]`` too), or (None, None)."""
    if type is None:
        return None, None
    try:
        inner = drgn.Object(type.prog, type, address=0).subobject_(member)
    except (LookupError, ValueError, TypeError, SyntaxError):
        return None, None
    return inner.address_, inner.type_


def declares_string(ptype: str, member: str) -> bool:
    """crash's is_string(): a ptype line ``char NAME;``, ``char *NAME;`` or ``char NAME[``."""
    for line in ptype.splitlines():
        at = line.find("char ")
        if at < 0:
            continue
        rest = line[at + 5:]
        rest = rest[1:] if rest.startswith("*") else rest
        if rest.startswith(member) and rest[len(member):len(member) + 1] in (";", "["):
            return True
    return False


def read_string(prog: drgn.Program, address: int, limit: int) -> str:
    """crash's read_string(): up to *limit* bytes, to the first NUL; what could be read
    before a fault (page by page), else ""."""
    page = facts(prog).page_size
    data = b""
    while len(data) < limit:
        chunk = min(limit - len(data), page - (address + len(data)) % page)
        try:
            data += prog.read((address + len(data)) & MASK64, chunk)
        except drgn.FaultError:
            break
        if 0 in data:
            break
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


def fast_lines(session, name: str, members: list[FastMember], address: int,
               radix: int) -> list[str | StructNotice]:
    """dump_struct_members_fast(): one line per member (bigger ones as dump_struct_member)."""
    if address < facts(session.prog).page_offset:
        return []
    out: list[str | StructNotice] = []
    for member in members:
        if 0 < member.width and (member.width <= 8 or member.is_string):
            out.append(value_line(session, member, address, 16 if member.is_pointer else radix))
        else:
            found = member_lines(session, name, member.name, address, radix)
            out += [found] if isinstance(found, StructNotice) else found
    return out


def value_line(session, member: FastMember, base: int, radix: int) -> str | StructNotice:
    """print_value(): ``  name = value`` with a text symbol, or the string it holds."""
    prog = session.prog
    address = (base + member.offset) & MASK64
    value = 0
    text = ""
    if member.width <= 8:
        try:
            value = int.from_bytes(prog.read(address, member.width), "little")
        except drgn.FaultError:
            return StructNotice(f"cannot access member: {member.name} at {address:x}")
        text = f"  {member.name} = " + (f"0x{value:x}" if radix == 16 else str(value))
    if member.is_string:
        if member.is_pointer:
            text += f'  "{read_string(prog, value, STRING_MAX)}"'
        else:
            text += f'  {member.name} = "{read_string(prog, address, member.width)}"'
    elif member.width == 8:
        found = session.symtab.lookup_address(value)
        if found is not None and session.symtab.is_text_symbol(found[0]):
            text += f" <{found[0].name}>"
    return text + "\n"


def spec_lines(session, spec: str, fast: tuple[str, list[FastMember]] | None, address: int,
               radix: int) -> list[str | StructNotice]:
    """What ``-s spec`` (or with *fast*, ``-S spec``) prints for the structure at *address*:
    the whole struct for a bare name, else each member."""
    name, dot, wanted = spec.partition(".")
    if not dot:
        try:
            return [struct_text(session, name, address, radix)]
        except drgn.FaultError:  # gdb's read error, between the struct's name and the newline
            return [f"struct {name} ", StructNotice(f"invalid kernel virtual address: "
                                                    f'{address:x}  type: "gdb_readmem_callback"'),
                    "\n"]
    if fast is not None:
        return fast_lines(session, fast[0], fast[1], address, radix)
    lines: list[str | StructNotice] = []
    for member in wanted.replace(",", " ").split():
        found = member_lines(session, name, member, address, radix)
        lines += [found] if isinstance(found, StructNotice) else found
    return lines
