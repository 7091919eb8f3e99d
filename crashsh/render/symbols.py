"""Plain text of sym (crash's show_symbol, symbol_dump and symbol_query in symbols.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.symbols import (
    ModuleAddress,
    ModuleMarker,
    ModuleStart,
    QueryCount,
    QueryResult,
    SymbolLine,
    SymbolNotFound,
)
from crashsh.render.plain import plain


def symbol_text(sym: SymbolLine) -> str:
    """``%lx (%c) %s[+%ld]``, then `` [module]``, `` <file>: <line>`` and `` [section]``."""
    text = f"{sym.address:x} ({sym.type}) {sym.name}"
    if sym.offset:
        text += f"+{sym.offset}"
    if sym.module is not None:
        text += f" [{sym.module}]"
    if sym.source is not None:
        text += f" {sym.source}"
    if sym.section is not None:
        text += f" [{sym.section}]"
    return text


@plain.register
def _(sym: SymbolLine) -> Iterator[str]:
    yield symbol_text(sym) + "\n"


@plain.register
def _(start: ModuleStart) -> Iterator[str]:
    offset = f"+{start.offset}" if start.offset else ""
    yield f"{start.value:x} ({start.type}) ({start.module} module){offset}\n"


@plain.register
def _(marker: ModuleMarker) -> Iterator[str]:
    yield f"{marker.address:x} {marker.label}: {marker.name}\n"


@plain.register
def _(missing: SymbolNotFound) -> Iterator[str]:
    yield f"symbol not found: {missing.name}\npossible alternatives:\n"
    for sym in missing.alternatives:
        yield f"  {symbol_text(sym)}\n"
    if not missing.alternatives:
        yield "  (none found)\n"


@plain.register
def _(found: ModuleAddress) -> Iterator[str]:
    yield f"{found.address:x} (?) {found.text}\n"


@plain.register
def _(result: QueryResult) -> Iterator[str]:
    for sym in result.matches:
        yield symbol_text(sym) + "\n"
    if not result.matches:
        yield "(none found)\n"


@plain.register
def _(result: QueryCount) -> Iterator[str]:
    yield f"{result.count} found " + (f"({result.last})" if result.last else "") + "\n"

