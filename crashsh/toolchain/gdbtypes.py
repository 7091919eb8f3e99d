"""gdb-style C type text from drgn types, as crash shows it.

The printer follows gdb's ``c-typeprint.c`` (``c_print_type_1`` and its base/prefix/suffix
helpers) with crash's patch: unnamed members keep their parent's ``show`` level, so nested
anonymous structs and unions are always expanded. ``show`` is gdb's detail level: ``1`` expands
the outer type (``ptype``), ``0`` prints names but expands anonymous types, ``-1`` prints
anonymous types as ``{...}`` (``whatis``).

On top of that, ``ptype_text`` reproduces crash's rewriting of gdb's ptype output
(``do_datatype_declaration`` and ``show_member_offset`` in symbols.c, ``walk_enum`` in crash's
gdb patch), and ``declaration`` crash's ``whatis_variable``.
"""

from __future__ import annotations

from collections.abc import Iterator

import drgn
from drgn import Qualifiers, TypeKind

INDENT = 4
AGGREGATES = (TypeKind.STRUCT, TypeKind.UNION, TypeKind.CLASS)
DERIVED = (TypeKind.POINTER, TypeKind.FUNCTION, TypeKind.ARRAY)
KEYWORDS = {
    TypeKind.STRUCT: "struct ",
    TypeKind.UNION: "union ",
    TypeKind.CLASS: "class ",
    TypeKind.ENUM: "enum ",
}
QUALIFIER_WORDS = (
    (Qualifiers.CONST, "const"),
    (Qualifiers.VOLATILE, "volatile"),
    (Qualifiers.RESTRICT, "restrict"),
    (Qualifiers.ATOMIC, "_Atomic"),
)


# -- gdb's type printer -------------------------------------------------------------------
def gdb_name(type: drgn.Type) -> str | None:
    """gdb's ``type->name()``: the tag or name; None for pointers, arrays and functions."""
    if type.kind in AGGREGATES or type.kind == TypeKind.ENUM:
        return type.tag
    if type.kind == TypeKind.VOID:
        return "void"
    if type.kind in DERIVED:
        return None
    return type.name


def check_typedef(type: drgn.Type) -> drgn.Type:
    """Strip typedefs, keeping their qualifiers (gdb's ``check_typedef``)."""
    qualifiers = Qualifiers.NONE
    while type.kind == TypeKind.TYPEDEF:
        qualifiers |= type.qualifiers
        type = type.type
    return type.qualified(type.qualifiers | qualifiers) if qualifiers else type


def type_name(type: drgn.Type, varstring: str = "", show: int = -1, level: int = 0) -> str:
    """gdb's text of *type*, declaring *varstring* (``c_print_type_1``)."""
    if show > 0:
        type = check_typedef(type)
    text = _base(type, show, level)
    if varstring or ((show > 0 or gdb_name(type) is None) and type.kind in DERIVED):
        text += " "
    text += _prefix(type, show, False, bool(varstring))
    return text + varstring + _suffix(type, show, False)


def _modifiers(type: drgn.Type, pre_space: bool, post_space: bool) -> str:
    words = [word for flag, word in QUALIFIER_WORDS if type.qualifiers & flag]
    if not words:
        return ""
    return (" " if pre_space else "") + " ".join(words) + (" " if post_space else "")


def _base(type: drgn.Type, show: int, level: int) -> str:
    name = gdb_name(type)
    if show <= 0 and name is not None:
        return _modifiers(type, False, True) + KEYWORDS.get(type.kind, "") + name
    type = check_typedef(type)
    if type.kind in DERIVED:
        return _base(type.type, show, level)
    if type.kind in AGGREGATES:
        return _struct_union(type, show, level)
    if type.kind == TypeKind.ENUM:
        return _enum(type, show)
    if type.kind == TypeKind.VOID:
        return "void"
    return _modifiers(type, False, True) + type.name


def _tag_head(type: drgn.Type, show: int) -> str:
    text = _modifiers(type, False, True) + KEYWORDS[type.kind]
    if type.tag:
        text += type.tag + (" " if show > 0 else "")
    return text


def _struct_union(type: drgn.Type, show: int, level: int) -> str:
    head = _tag_head(type, show)
    if show < 0:
        return head + ("" if type.tag else "{...}")
    pad = " " * (level + INDENT)
    lines = [head + "{"]
    members = type.members if type.is_complete() else ()
    if not members:
        lines.append(pad + ("<no data fields>" if type.is_complete() else "<incomplete type>"))
    for member in members:
        newshow = show - 1 if member.name else show  # crash: unnamed members stay expanded
        text = type_name(member.type, member.name or "", newshow, level + INDENT)
        if member.bit_field_size:
            text += f" : {member.bit_field_size}"
        lines.append(pad + text + ";")
    lines.append(" " * level + "}")
    return "\n".join(lines)


def _enum(type: drgn.Type, show: int) -> str:
    head = _tag_head(type, show)
    if show < 0:
        return head + ("" if type.tag else "{...}")
    items, expected = [], 0
    for enumerator in type.enumerators or ():
        item, value = enumerator.name, enum_value(enumerator.value)
        if value != expected:
            item += f" = {value}"
        expected = value + 1
        items.append(item)
    return head + "{" + ", ".join(items) + "}"


def enum_value(value: int) -> int:
    """An enumerator's value as gdb holds it: a signed 64-bit LONGEST."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _prefix(type: drgn.Type, show: int, passed_pointer: bool, post_space: bool) -> str:
    if gdb_name(type) is not None and show <= 0:
        return ""
    if type.kind == TypeKind.POINTER:
        return _prefix(type.type, show, True, True) + "*" + _modifiers(type, True, post_space)
    if type.kind == TypeKind.FUNCTION:
        return _prefix(type.type, show, False, False) + ("(" if passed_pointer else "")
    if type.kind == TypeKind.ARRAY:
        return _prefix(type.type, show, False, post_space) + ("(" if passed_pointer else "")
    if type.kind == TypeKind.TYPEDEF:
        return _prefix(type.type, show, passed_pointer, False)
    return ""


def _suffix(type: drgn.Type, show: int, passed_pointer: bool) -> str:
    if gdb_name(type) is not None and show <= 0:
        return ""
    close = ")" if passed_pointer else ""
    if type.kind == TypeKind.ARRAY:
        count = "" if type.length is None else str(type.length)
        return f"{close}[{count}]" + _suffix(type.type, show, False)
    if type.kind == TypeKind.POINTER:
        return _suffix(type.type, show, True)
    if type.kind == TypeKind.FUNCTION:
        return close + _arguments(type) + _suffix(type.type, show, passed_pointer)
    if type.kind == TypeKind.TYPEDEF:
        return _suffix(type.type, show, passed_pointer)
    return ""


def _arguments(type: drgn.Type) -> str:
    """``(int, char *, ...)``; ``(void)`` without parameters; ``()`` when unprototyped."""
    params = [type_name(param.type) for param in type.parameters]
    if params and type.is_variadic:
        params.append("...")
    elif not params and not type.is_variadic:
        params = ["void"]
    return "(" + ", ".join(params) + ")"


def gdb_sizeof(type: drgn.Type) -> int:
    """gdb's type length: 1 for a function, 0 for an incomplete type."""
    type = check_typedef(type)
    if type.kind == TypeKind.FUNCTION:
        return 1
    return drgn.sizeof(type) if type.is_complete() else 0


def member_offset(type: drgn.Type, name: str) -> int | None:
    """Byte offset of member *name*, searching unnamed members depth first (crash's
    ``get_member_data``); None when *type* is not a struct/union or has no such member."""
    type = check_typedef(type)
    if type.kind not in AGGREGATES or not type.is_complete():
        return None
    for member in type.members:
        if member.name == name:
            return member.bit_offset // 8
        if not member.name:
            inner = member_offset(member.type, name)
            if inner is not None:
                return member.bit_offset // 8 + inner
    return None


# -- crash's views --------------------------------------------------------------------------
def declaration(name: str, type: drgn.Type) -> str:
    """crash's ``whatis SYMBOL`` line: gdb's whatis text with *name* inserted."""
    return insert_name(name, type_name(type))


def insert_name(name: str, text: str) -> str:
    """crash's whatis_variable: before the first ``[``; before ``(`` for a function; before
    the first ``)`` when there are several ``(``; else ``TYPE NAME`` (no space after ``*``)."""
    text = text.strip()
    if "[" in text:
        at = text.index("[")
    elif "(" in text:
        at = text.index("(") if text.count("(") == 1 else text.index(")")
    else:
        return f"{text}{'' if text.endswith('*') else ' '}{name};"
    return f"{text[:at]}{name}{text[at:]};"


def ptype_text(type: drgn.Type, offsets: bool = False, member: str | None = None,
               radix: int = 10, address: int = 0) -> str:
    """crash's text of a struct, union, enum or typedef (without the ``SIZE:`` line).

    *offsets* prefixes member lines with ``[offset]`` (``-o``), in hex with *radix* 16, or
    ``[address]`` of each member when an *address* is given (``struct -o X ADDR``); *member*
    keeps only that member's line (``struct.member``). A plain base type has no text.
    """
    resolved = check_typedef(type)
    is_typedef = type.kind == TypeKind.TYPEDEF
    if resolved.kind == TypeKind.ENUM:
        return enum_listing(type)
    if not is_typedef and resolved.kind not in AGGREGATES:
        return ""
    rewriter = _PtypeRewriter(type, offsets or member is not None, member, radix, address)
    return "".join(rewriter.rewrite(type_name(type, "", 1).split("\n")))


def enum_listing(type: drgn.Type) -> str:
    """crash's enumerator list (``walk_enum``): ``enum X {`` then ``  NAME = v`` lines."""
    resolved = check_typedef(type)
    is_typedef = type.kind == TypeKind.TYPEDEF
    head = ("typedef " if is_typedef else "") + (
        f"enum {resolved.tag} {{\n" if resolved.tag else "enum {\n"
    )
    body = "".join(f"  {e.name} = {enum_value(e.value)}\n" for e in resolved.enumerators or ())
    tail = "};\n" if resolved.tag else f"}} {type.name};\n"
    return head + body + tail


class _PtypeRewriter:
    """crash's do_datatype_declaration loop over gdb's ptype lines, with its offset column."""

    def __init__(self, type: drgn.Type, offsets: bool, member: str | None, radix: int = 10,
                 address: int = 0) -> None:
        self.type = type
        self.name = type.name if type.kind == TypeKind.TYPEDEF else ""
        self.offsets = offsets
        self.member = member
        self.radix = radix
        self.address = address
        size = gdb_sizeof(type)
        self.size_width = len(f"0x{size:x}" if radix == 16 else str(size))
        self.block = ""  # crash's IN_UNION / IN_STRUCT flags: "union", "struct", or "both"

    def rewrite(self, lines: list[str]) -> Iterator[str]:
        first = lines[0]
        multiline = "{" in first
        prefix = "typedef " if self.name else ""
        if "(*)()" in first:
            yield f"{prefix}{first[: first.index('(*)()')]}(*{self.name})();\n"
        elif "()" in first:
            yield f"{prefix}{first[: first.index('()')]}({self.name})();\n"
        elif multiline:
            yield f"{prefix}{first}\n"
        else:
            yield f"{prefix}{first} {self.name};\n"
        for line in lines[1:]:
            if multiline and line.startswith("}") and self.name:
                if "} **()" in line:
                    yield f"}} **({self.name})();\n"
                else:
                    yield f"{line} {self.name};\n"
            elif self.offsets and line[:1] in (" ", "\t"):
                yield from self.offset_line(line)
            else:
                yield line + "\n"

    def offset_line(self, line: str) -> Iterator[str]:
        """crash's show_member_offset for one indented line."""
        if not line.startswith("    "):
            yield f"rejecting: {line}\n"
            return
        for keyword in ("union", "struct"):
            if line.startswith(f"    {keyword} {{"):
                self.block = keyword if self.block in ("", keyword) else "both"
        end_of_block = line.startswith("    } ")
        target = _member_name(line)
        if target and self.member is not None and target != self.member:
            if end_of_block:
                self.block = ""
            return
        offset = member_offset(self.type, target) if target else None
        if offset is None:
            if end_of_block:
                self.block = ""
            if self.member is None:
                yield " " * (self.size_width + 1) + line + "\n"
            return
        if end_of_block and self.member is not None:
            opener = {"union": "union {\n", "struct": "struct {\n"}.get(self.block, "")
            yield " " * (self.size_width + 5) + opener
            self.block = ""
        yield self.label(offset).rjust(self.size_width + 4) + line[3:] + "\n"

    def label(self, offset: int) -> str:
        if self.address:
            return f"  [{self.address + offset:x}]"
        return f"  [0x{offset:x}]" if self.radix == 16 else f"  [{offset}]"


def _member_name(line: str) -> str:
    """The member a ptype line declares, as crash digs it out (show_member_offset)."""
    words = _crash_words(line)
    target = None
    if ":" in line:
        target = next((words[i - 1] for i in range(1, len(words)) if words[i] == ":"), None)
    elif words:
        if "(*" in line:
            target = _function_pointer_name(words)
        if target is None and ";" in words[-1]:
            target = words[-1]
    if not target:
        return ""
    for char in "*[];()":
        target = target.replace(char, " ")
    return target.strip().split(" ")[0]


def _function_pointer_name(words: list[str]) -> str | None:
    """The name in the first ``(*name)``, ``*(*name)`` or ``**(*name)`` word."""
    for word in words:
        start = next((s for s in ("(*", "*(*", "**(*") if word.startswith(s)), None)
        rest = word[len(start) :] if start else ""
        if ")" in rest:
            return rest[: rest.index(")")]
    return None


def _crash_words(line: str) -> list[str]:
    """crash's parse_line: words split at blanks, but a word starting with ``(`` runs to
    its matching ``)`` (blanks included) and on to the next blank."""
    text, words, at = line.strip(), [], 0
    while text:
        end = at
        while end < len(text) and text[end] not in " \t":
            end += 1
        words.append(text[:end])
        text = text[end:].lstrip(" \t")
        at = _matching_paren(text) + 1 if text.startswith("(") else 0
        if at < 0:  # unbalanced: the rest is one word
            return words + [text]
    return words


def _matching_paren(text: str) -> int:
    """Index of the ``)`` closing ``text[0]``, or -2 when there is none."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i
    return -2
