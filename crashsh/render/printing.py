"""Plain text of p (crash's process_gdb_output and display_per_cpu_info)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.printing import PerCpuAddresses, PrintedValue
from crashsh.render.plain import plain


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
