"""struct -p: each pointer member followed to what it points to (crash's
print_struct_with_dereference and dereference_pointer in symbols.c).

crash reads the member's declaration from gdb's ptype text, reads the pointer, and for a
pointer to a known type asks gdb for ``p *((TYPE *)(ADDR))`` (or ``p SYMBOL`` when the pointer
is a data symbol's address), so each followed pointer takes a value history number.
"""

from __future__ import annotations

import drgn
from drgn import TypeKind

from crashsh.commands.printing import PrintFailed, record
from crashsh.kernel.readmem import GdbMemory
from crashsh.toolchain.cexpr import ExpressionError
from crashsh.toolchain.gdbtypes import check_typedef, member_offset, ptype_text

BUFSIZE = 1500  # crash's line buffer
SYMBOL_KINDS = (TypeKind.ARRAY, TypeKind.UNION, TypeKind.STRUCT, TypeKind.INT,
                TypeKind.POINTER)


def dereferenced(session, type: drgn.Type, text: str, address: int, radix: int) -> str:
    """The struct's text with each top-level pointer member's line replaced by its target."""
    out = []
    for line in text.splitlines(keepends=True):
        indent = len(line) - len(line.lstrip(" "))
        if indent != 2 or "{" in line or "}" in line or " =" not in line:
            out.append(line)
            continue
        member = line[2:line.index(" =")]
        followed = dereference(session, type, member, address, radix)
        out.append(line if followed is None else followed)
    return "".join(out)


def declaration_line(type: drgn.Type, member: str) -> tuple[str, str] | None:
    """The ptype line declaring *member* at the top level, and how crash classifies it."""
    for line in ptype_text(type).split("\n")[1:]:
        if len(line) > 4 and line[4] == " ":
            continue
        if f" *{member};" in line:
            return line[4:], "pointer"
        if f"**{member};" in line:
            return line[4:], "pointer-pointer"
        if f"(*{member})(" in line:
            return line[4:], "function"
        if f" {member};" in line:
            return line[4:], "typedef"
    return None


def dereference(session, type: drgn.Type, member: str, address: int,
                radix: int) -> str | None:
    """crash's dereference_pointer(): the member's lines, or None to keep gdb's line."""
    prog = session.prog
    found = declaration_line(type, member)
    offset = member_offset(type, member)
    if found is None or offset is None:
        return None
    typeptr, style = found
    if style == "typedef":
        typeptr = typeptr.split(" ")[0]
        try:
            if check_typedef(prog.type(typeptr)).kind != TypeKind.POINTER:
                return None
        except LookupError:
            return None
    charptr = voidptr = False
    if style == "function":
        typeptr = typeptr[:typeptr.index(";")]
    elif style == "pointer-pointer":
        typeptr = typeptr[:typeptr.index("**") + 2]
    elif style == "pointer":
        typeptr = typeptr[:typeptr.index("*") + 1]
        charptr, voidptr = "char *" in typeptr, "void *" in typeptr
    try:
        target = int.from_bytes(prog.read(address + offset, 8), "little")
    except drgn.FaultError:
        return None
    sym = session.symtab.value_symbol(target)
    use_symbol = sym is not None and symbol_kind(prog, sym) in SYMBOL_KINDS
    head = f"  {typeptr}{member} = 0x{target:x}\n  -> "
    if style == "function":
        tail = f"<{sym}>\n" if sym else "(unknown)\n" if target else "NULL\n"
        return f"  {typeptr} = 0x{target:x}\n  -> {tail}"
    if charptr:
        return head + (f"<{sym}> " if sym else "") + char_target(session, target)
    if voidptr and not use_symbol:
        tail = f"<{sym}>\n" if sym else "NULL\n" if not target else "(unknown target type)\n"
        return head + tail
    if not target or not readable(prog, target):
        space = " " if style == "typedef" else ""
        return (f"  {typeptr}{space}{member} = 0x{target:x}\n  -> "
                + ("NULL\n" if not target else "(not accessible)\n"))
    if style == "pointer-pointer":
        try:
            value = f"{int.from_bytes(prog.read(target, 8), 'little'):x}\n"
        except drgn.FaultError:
            value = "\n"
        return head + (f"<{sym}> " if sym else "") + value
    base = typeptr if style == "typedef" else typeptr[:typeptr.index("*") - 1]
    try:
        pointed = prog.object(sym) if use_symbol else drgn.Object(
            prog, prog.pointer_type(prog.type(base)) if style != "typedef" else prog.type(base),
            target)[0]
        printed = record(session, pointed, radix, None, GdbMemory(session))
    except (LookupError, ValueError, drgn.FaultError, ExpressionError, PrintFailed):
        return None
    star = "" if style == "typedef" else "*"
    out = [f"  {base} {star}{member} = 0x{target:x}\n  -> "]
    for chunk in fgets_chunks(f"${printed.number} = {printed.text}\n"):
        if not chunk.startswith("$"):
            out.append("     " + chunk)
            continue
        out.append(f"<{sym}> " if sym else "")
        if (style == "typedef" or use_symbol) and "(" in chunk and ")" in chunk:
            out.append("\n")
            break
        out.append(chunk[chunk.index("=") + 2:])
    return "".join(out)


def fgets_chunks(text: str) -> list[str]:
    """*text* as crash reads it with fgets() into BUFSIZE (1500) bytes: long lines in pieces."""
    chunks = []
    for line in text.splitlines(keepends=True):
        chunks += [line[i:i + BUFSIZE - 1] for i in range(0, len(line), BUFSIZE - 1)]
    return chunks


def symbol_kind(prog: drgn.Program, name: str) -> TypeKind | None:
    try:
        return check_typedef(prog.object(name).type_).kind
    except (LookupError, ValueError):
        return None


def readable(prog: drgn.Program, address: int) -> bool:
    try:
        prog.read(address, 1)
    except drgn.FaultError:
        return False
    return True


def char_target(session, target: int) -> str:
    if not target:
        return "NULL\n"
    try:
        data = session.prog.read(target, 1)
    except drgn.FaultError:
        return "(not accessible)\n"
    from crashsh.dumpfacts import facts

    data = facts(session.prog).kernel_addresses.read_string(target, 1499) or data
    return '"' + data.split(b"\0")[0].decode(errors="replace") + '"\n'
