"""Plain text of struct and union (crash's do_datatype_declaration and print_struct)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.text import Text

from crashsh.commands.structs import DatatypeLayout, DatatypeValue, PerCpuObject
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render
from crashsh.render.values import value_text


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


@rich_render.register(DatatypeValue)
def _(value: DatatypeValue, console: Console) -> None:
    """A whole object laid out and coloured by kind (member lines as crash prints them)."""
    if value.blank_before:
        console.print()
    for note in value.notes:
        console.print(Text(note.text().rstrip("\n"), "red"))
    if value.value is None:
        console.print(Text(value.text.rstrip("\n")))
        return
    head, _, _ = value.text.partition(" {")
    kind, _, name = head.partition(" ")
    console.print(Text.assemble((kind + " ", "bold"), (name.split(" ")[0] + " ", "bold"))
                  + value_text(value.value))
