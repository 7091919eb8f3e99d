"""Plain text of p (crash's process_gdb_output and display_per_cpu_info)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.text import Text

from crashsh.commands.printing import PerCpuAddresses, PrintedValue
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render
from crashsh.render.values import value_text


@plain.register
def _(value: PrintedValue) -> Iterator[str]:
    text = value.text
    notes = [note.text() for note in value.notes]
    if value.split_brace:
        yield "".join(notes)  # crash read gdb's output back: the notes reached the screen first
        if value.complete:
            text = split_brace(text)
    else:  # gdb printed straight out: a note made while printing sits amid the value
        inline = [(place, note) for place, note in zip(value.note_places, notes) if place >= 0]
        yield "".join(note for place, note in zip(value.note_places, notes) if place < 0)
        for place, note in reversed(inline):
            text = text[:place] + note + text[place:]
    end = "\n" if value.complete else ""
    yield (f"{value.leader} = " if value.leader else "") + f"${value.number} = {text}{end}"


def split_brace(text: str) -> str:
    """crash: a ``{`` on gdb's first line that does not end it starts a new line (the
    ``$N = `` is on that line)."""
    first, newline, rest = text.partition("\n")
    brace = first.find("{")
    if brace >= 0 and not (first[brace:] == "{" and newline):
        return first[:brace] + "\n {" + first[brace + 1:] + newline + rest
    return text


@plain.register
def _(info: PerCpuAddresses) -> Iterator[str]:
    yield f"PER-CPU DATA TYPE:\n  {info.declaration}\nPER-CPU ADDRESSES:\n"
    for cpu, address in info.addresses:
        yield f"  [{cpu}]: {address:x}\n"


@rich_render.register(PrintedValue)
def _(value: PrintedValue, console: Console) -> None:
    """The notes, then ``LEADER = $N = `` and the value laid out and coloured by kind."""
    for note in value.notes:
        console.print(Text(note.text().rstrip("\n"), "red"))
    head = Text.assemble((f"{value.leader} = " if value.leader else "", "bold"),
                         (f"${value.number} = ", "dim"))
    if not value.complete or value.value is None:
        console.print(head + Text(value.text), end="\n" if value.complete else "")
        return
    body = value_text(value.value)
    if body.plain and value.text.endswith(body.plain):  # a pointer: gdb's (type) first
        head.append(value.text[:len(value.text) - len(body.plain)], "dim")
    console.print(head + body)
