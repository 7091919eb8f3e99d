"""Plain text of dis (crash's cmd_dis output, gdb's x/i lines after crash's filters)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.dis import (
    BugBytes,
    DuplicateTextSymbols,
    Instruction,
    RawInstruction,
    SourceFile,
    SourceLine,
)
from crashsh.render.plain import plain
from crashsh.render.symbols import symbol_text


@plain.register
def _(ins: Instruction) -> Iterator[str]:
    # an unreadable address leaves the line unfinished, as gdb's failed x/i does in crash
    yield f"0x{ins.address:x} <{ins.symbol}>:\t" + ("" if ins.text is None else ins.text + "\n")


@plain.register
def _(ins: RawInstruction) -> Iterator[str]:
    symbol = "" if ins.symbol is None else f" <{ins.symbol}>"
    yield f"   0x{ins.address:x}{symbol}:\t" + ("" if ins.text is None else ins.text + "\n")


@plain.register
def _(source: SourceLine) -> Iterator[str]:
    yield source.location + "\n"


@plain.register
def _(source: SourceFile) -> Iterator[str]:
    yield f"FILE: {source.file}\nLINE: {source.line}\n\n"


@plain.register
def _(bug: BugBytes) -> Iterator[str]:
    yield f"encoded bytes being skipped after ud2a: {bug.count}\n"


@plain.register
def _(found: DuplicateTextSymbols) -> Iterator[str]:
    yield f"dis: {found.name}: duplicate text symbols found:\n"
    for sym in found.symbols:
        yield symbol_text(sym) + "\n"
