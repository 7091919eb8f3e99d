"""crash's last resorts for a command word that names no command (main.c exec_command):
a symbol or data type name typed as a command (symbols.c is_datatype_command), then gdb's
own print commands (``print x``, ``p/x y``), which crash passes to gdb."""

from __future__ import annotations

from drgn import TypeKind

from crashsh.commands.printing import gdb_print_line
from crashsh.commands.structs import find_datatype
from crashsh.toolchain.gdbtypes import check_typedef

READ_SIZES = {1: "-8", 2: "-16", 4: "-32", 8: "-64"}


def reinterpret(session, words: list[str]) -> list[str] | None:
    """The command line crash runs for *words* whose first word is no command, or None."""
    if session is None or not words:
        return None
    datatype = datatype_command(session, words)
    if datatype is not None:
        return datatype
    if gdb_print_line(words):
        return ["gdb", *words]
    return None


def datatype_command(session, words: list[str]) -> list[str] | None:
    """is_datatype_command(): a lone symbol is `p`; a struct or union name (``.member``
    allowed) is `struct`/`union` (`whatis` for a lone typedef), another type is `whatis`,
    an integer type followed by an address is `rd -SIZE` (`p` before a symbol)."""
    name = words[0]
    symtab = session.symtab
    if symtab.lookup_name(name) is not None and len(words) == 1:
        return ["p", name]
    if name == "enum":
        return ["whatis", *words]
    found = find_datatype(session.prog, name.partition(".")[0])
    if found is None:
        return None
    type, kind = found
    if kind in ("struct", "union"):
        lone_typedef = type.kind == TypeKind.TYPEDEF and len(words) == 1
        return ["whatis" if lone_typedef else kind, *words]
    resolved = check_typedef(type)
    if resolved.kind != TypeKind.INT or resolved.size not in READ_SIZES:
        return ["whatis", *words]
    if len(words) == 1:
        return ["whatis", *words]
    if symtab.lookup_name(words[1]) is not None:
        return ["p", *words[1:]]
    return ["rd", READ_SIZES[resolved.size], *words[1:]]
