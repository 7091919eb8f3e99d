"""whatis: symbol declarations and type definitions (crash's cmd_whatis in symbols.c)."""

from __future__ import annotations

from dataclasses import dataclass

import drgn
from drgn import FindObjectFlags, SymbolKind, TypeKind

from crashsh.conventions.numbers import stol
from crashsh.dumpfacts import facts
from crashsh.conventions.usage import usage_block, usage_error
from crashsh.errors import CommandError
from crashsh.parsing import CommandParser, Completes, HelpRequested, completes
from crashsh.registry import command
from crashsh.toolchain.gdbsyms import in_kernel_text
from crashsh.toolchain.gdbtypes import (
    check_typedef,
    declaration,
    enum_value,
    gdb_sizeof,
    member_offset,
    ptype_text,
    type_name,
)

SYNOPSIS = ("[[-o] [struct | union | typedef | symbol]] | \n"
            "         [[-r [size|range]] [-m member]]")
KEYWORDS = ("struct", "union", "enum")
# crash's datatype_info accepts these type codes; bool, float and void go to gdb's whatis
DATATYPE_KINDS = (
    TypeKind.STRUCT,
    TypeKind.UNION,
    TypeKind.CLASS,
    TypeKind.POINTER,
    TypeKind.FUNCTION,
    TypeKind.ARRAY,
    TypeKind.ENUM,
)
LOOKUP_ERRORS = (LookupError, SyntaxError, ValueError)
CLONE_SUFFIXES = (".isra.", ".part.", ".llvm.")
OBJECT_FLAGS = {
    SymbolKind.FUNC: FindObjectFlags.FUNCTION,
    SymbolKind.OBJECT: FindObjectFlags.VARIABLE,
}


@dataclass
class SymbolDeclaration:
    """`whatis SYMBOL`: the declaration of a variable or function (or gdb's type text)."""

    name: str
    text: str


@dataclass
class TypeDefinition:
    """`whatis TYPE`: crash's ptype text; ``size`` is None for enums and ``type.member``."""

    name: str
    text: str
    size: int | None


@dataclass
class EnumeratorValue:
    """`whatis ENUMERATOR`: its enum's tag (``(unknown)`` when anonymous) and value."""

    name: str
    enum: str
    value: int


@dataclass
class TypeSizes:
    """`whatis -r/-m`: the named types of a size (or size range), or with a member of a type
    whose name holds a string: (size, name) sorted as crash sorts them."""

    types: list[tuple[int, str]]


WHATIS_HELP = """\
A type's declaration or a symbol's type: struct, union, enum and typedef names as gdb's
ptype prints them (with SIZE), -o with member offsets; a variable or function as its
declaration. -r SIZE or -r LOW-HIGH lists the structs of that size, -m MEMBER those with a
member of that type.
"""
WHATIS_EXAMPLES = """\
  whatis list_head
    struct list_head {
        struct list_head *next;
        struct list_head *prev;
    }
    SIZE: 16
  whatis -o task_struct     with offsets
  whatis jiffies            unsigned long volatile jiffies;
"""


def whatis_parser() -> CommandParser:
    p = CommandParser("whatis", WHATIS_HELP, examples=WHATIS_EXAMPLES, add_help=False)
    p.add_argument("-o", dest="offsets", action="store_true", help="show member offsets")
    p.add_argument("-r", dest="range", metavar="size|low-high",
                   help="types of this size or range of sizes")
    p.add_argument("-m", dest="member", help="types with a member of this data type")
    completes(p.add_argument("words", nargs="*", help="[struct | union | enum] name, or a symbol"),
              Completes(names=("type", "symbol"), words=("struct", "union", "enum"),
                        after={kind: Completes(names=(kind,)) for kind in ("struct", "union",
                                                                          "enum")}))
    return p


@command("whatis", "search symbol table for data or type information", whatis_parser,
         synopsis=SYNOPSIS)
def run_whatis(session, args):
    prog = session.prog
    if args.range is not None or args.member is not None:
        return type_sizes(session, args.range, args.member)
    words = list(args.words)
    at = 1 if words[:1] and words[0] in KEYWORDS else 0
    if len(words) <= at:
        raise HelpRequested(usage_block("whatis"))  # crash prints only its usage
    name = words[at]
    found = (None if at else symbol_declaration(prog, name)) or datatype(prog, name, args.offsets)
    if found:
        return found
    words[at] = failed_datatype_argument(name)
    expression = " ".join((["-o"] if args.offsets else []) + words)
    text = gdb_whatis(prog, expression)
    if text is None:
        # crash prints the reason and then its usage, both in the command's output
        raise usage_error("whatis", f"cannot resolve: {expression}")
    return SymbolDeclaration(expression, text)


def type_sizes(session, size_range: str | None, member: str | None) -> TypeSizes:
    """crash's request_types(): every named type (from BTF here), filtered by size (a zero
    high bound filters nothing) and by member, each name once, sorted by size and name.
    gdb shows a typedef it has not resolved yet with size 0; the sizes here are the types'."""
    low = high = 0
    if size_range is not None:
        text = size_range[:15]
        first, dash, second = text.partition("-")
        low = high = stol(first)
        if dash:
            high = stol(second)
    found: dict[str, int] = {}
    for btf in kernel_btf(session):
        for entry in btf.named():
            if entry.name in found:
                continue
            size = btf.byte_size(entry)
            if high and not low <= size <= high:
                continue
            if member is not None and not btf.contains(entry, member):
                continue
            found[entry.name] = size
    return TypeSizes(sorted(((size, name) for name, size in found.items()),
                            key=lambda item: (item[0], item[1].encode())))


def kernel_btf(session) -> list:
    """vmlinux's BTF, then each loaded module's (split over vmlinux's), read once."""
    from crashsh.commands.modules import module_files
    from crashsh.toolchain.btf import read_btf

    if not hasattr(session, "btf"):
        base = facts(session.prog).vmlinux_btf
        modules = [read_btf(path, base) for path in module_files(session).values()] if base else []
        session.btf = [b for b in [base, *modules] if b is not None]
    return session.btf


def failed_datatype_argument(name: str) -> str:
    """crash's arg_to_datatype leaves ``a.b.c`` cut at its first dot when it fails."""
    head, _, rest = name.partition(".")
    return head if head and "." in rest else name


def symbol_declaration(prog: drgn.Program, name: str) -> SymbolDeclaration | None:
    """crash's whatis_variable for a name in the symbol table; None when it is not there."""
    symbol = crash_symbol(prog, name)
    if symbol is None:
        return None
    try:
        obj = symbol_object(prog, name, symbol)
    except drgn.BadDataError:
        if symbol.kind != SymbolKind.FUNC:
            raise
        # gas's DWARF for assembly functions (DW_TAG_unspecified_type): gdb says void (void)
        return SymbolDeclaration(name, f"void {name}(void);")
    if obj is not None:
        return SymbolDeclaration(name, declaration(name, obj.type_))
    if not name.isidentifier() or not in_vmlinux(prog, symbol.address):
        # gdb cannot parse the name, or (before `mod -S`) knows nothing of module symbols
        raise CommandError(f"gdb request failed: whatis {name}")
    kind = "text" if in_kernel_text(prog, symbol.address) else "data"
    return SymbolDeclaration(name, f"<{kind} variable, no debug info> {name};")


def crash_symbol(prog: drgn.Program, name: str) -> drgn.Symbol | None:
    """*name* in crash's symbol table, where compiler clones go by their base name."""
    if clone_base_name(name) != name:
        return None
    try:
        return prog.symbol(name)
    except LookupError:
        pass
    try:
        function = prog.function(name)
        if function.absent_:
            return None
        symbol = prog.symbol(function.address_)
    except LookupError:
        return None
    return symbol if clone_base_name(symbol.name) == name else None


def clone_base_name(name: str) -> str:
    """``foo.isra.0`` -> ``foo``, as crash cuts ``.isra.``, ``.part.`` and ``.llvm.``."""
    cuts = [name.find(suffix) for suffix in CLONE_SUFFIXES if suffix in name]
    return name[: min(cuts)] if cuts else name


def symbol_object(prog: drgn.Program, name: str, symbol: drgn.Symbol) -> drgn.Object | None:
    """The variable or function of *symbol* from the debuginfo; None if gdb would see none."""
    flags = OBJECT_FLAGS.get(symbol.kind, FindObjectFlags.VARIABLE | FindObjectFlags.FUNCTION)
    try:
        obj = prog.object(name, flags)
    except LookupError:
        return None
    if not (obj.absent_ and obj.type_.kind == TypeKind.FUNCTION):
        return obj
    # A function object without code: an abstract instance (fine), an inline copy from a
    # header (fortify-string.h's strcpy) hiding the definition, or a function whose code has
    # no DWARF at all, which gdb shows as "no debug info". Ask the outermost frame at the
    # symbol's entry (+1: the pcs are taken as return addresses).
    frame = prog.stack_trace_from_pcs([symbol.address + 1])[-1]
    if frame.function_name != name:
        return None
    try:
        return prog.object(name, flags, frame.source()[0])
    except LookupError:
        return obj


def in_vmlinux(prog: drgn.Program, address: int) -> bool:
    try:
        return prog.module(address) == prog.main_module()
    except LookupError:
        return True  # per-cpu offsets belong to no module


def datatype(prog: drgn.Program, text: str, offsets: bool):
    """crash's arg_to_datatype + do_datatype_declaration for ``name`` or ``name.member``."""
    name, dot, member = text.partition(".")
    if dot and (not name or not member or "." in member):
        return None
    found = lookup_datatype(prog, name)
    if found is None:
        return None
    if isinstance(found, drgn.Object):
        if dot:
            return None
        return EnumeratorValue(name, found.type_.tag or "(unknown)", enum_value(found.value_()))
    resolved = check_typedef(found)
    if resolved.kind not in DATATYPE_KINDS and not is_crash_integer(resolved):
        return None
    if dot:
        if member_offset(resolved, member) is None:
            return None
        return TypeDefinition(text, ptype_text(found, offsets, member), None)
    size = None if resolved.kind == TypeKind.ENUM else gdb_sizeof(found)
    return TypeDefinition(name, ptype_text(found, offsets), size)


def is_crash_integer(type: drgn.Type) -> bool:
    return type.kind == TypeKind.INT and type.size in (1, 2, 4, 8)


def lookup_datatype(prog: drgn.Program, name: str) -> drgn.Type | drgn.Object | None:
    """A struct/union/enum tag, else a type name, else an enumerator (gdb_get_datatype)."""
    for keyword in KEYWORDS:
        try:
            return prog.type(f"{keyword} {name}")
        except LOOKUP_ERRORS:
            pass
    try:
        return prog.type(name)
    except LOOKUP_ERRORS:
        pass
    try:
        constant = prog.object(name, FindObjectFlags.CONSTANT)
    except LOOKUP_ERRORS:
        return None
    return constant if constant.type_.kind == TypeKind.ENUM else None


def gdb_whatis(prog: drgn.Program, expression: str) -> str | None:
    """gdb's ``whatis`` for a type name or a ``variable.member...`` path; None if unknown."""
    try:
        type = prog.type(expression)
    except LOOKUP_ERRORS:
        type = None
    if type is not None:
        return type_name(type.type if type.kind == TypeKind.TYPEDEF else type)
    parts = expression.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    try:
        obj = prog.object(parts[0])
        if obj.absent_ and obj.type_.kind == TypeKind.FUNCTION and not has_code(prog, parts[0]):
            return None  # a function that was only inlined: gdb cannot see it
        for part in parts[1:]:
            obj = obj.member_(part)
    except (*LOOKUP_ERRORS, TypeError):
        return None
    return type_name(obj.type_)


def has_code(prog: drgn.Program, function: str) -> bool:
    """Whether *function* has out-of-line code: a symbol of its name or of a clone of it
    (``function.isra.0``, ``function.constprop.0``, ...)."""
    return any(s.name.split(".")[0] == function for s in prog.symbols() if s.name)
