"""Plain text of whatis (crash's cmd_whatis)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.types import EnumeratorValue, SymbolDeclaration, TypeDefinition, TypeSizes
from crashsh.render.plain import plain


@plain.register
def _(decl: SymbolDeclaration) -> Iterator[str]:
    yield decl.text + "\n"


@plain.register
def _(definition: TypeDefinition) -> Iterator[str]:
    if definition.text:
        yield definition.text
    if definition.size is not None:
        yield f"SIZE: {definition.size}\n"


@plain.register
def _(value: EnumeratorValue) -> Iterator[str]:
    yield f"enum {value.enum} = {value.value}\n"


@plain.register
def _(found: TypeSizes) -> Iterator[str]:
    if not found.types:
        yield "(none found)\n"
        return
    width = max(len(str(found.types[-1][0])), len("SIZE"))
    yield f"{'SIZE':>{width}}  TYPE\n"
    for size, name in found.types:
        yield f"{size:>{width}}  {name}\n"
