"""Plain text of struct and union (crash's do_datatype_declaration and print_struct)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.structs import DatatypeLayout, DatatypeValue, PerCpuObject
from crashsh.render.plain import plain


@plain.register
def _(layout: DatatypeLayout) -> Iterator[str]:
    yield layout.text
    if layout.size is not None:
        yield f"SIZE: 0x{layout.size:x}\n" if layout.hex else f"SIZE: {layout.size}\n"


@plain.register
def _(value: DatatypeValue) -> Iterator[str]:
    yield "\n" if value.blank_before else ""
    yield "".join(note.text() for note in value.notes) + value.text


@plain.register
def _(header: PerCpuObject) -> Iterator[str]:
    yield f"[{header.cpu}]: {header.address:x}\n"
