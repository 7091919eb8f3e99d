"""Plain text of p (crash's process_gdb_output and display_per_cpu_info)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.printing import PerCpuAddresses, PrintedValue
from crashsh.render.plain import plain


@plain.register
def _(value: PrintedValue) -> Iterator[str]:
    text = f"${value.number} = {value.text}\n"
    first, newline, rest = text.partition("\n")
    brace = first.find("{")
    if value.split_brace and brace >= 0 and not (first[brace:] == "{" and newline):
        # crash: a "{" on gdb's first line that does not end it starts a new line
        text = first[:brace] + "\n {" + first[brace + 1:] + newline + rest
    yield (f"{value.leader} = " if value.leader else "") + text


@plain.register
def _(info: PerCpuAddresses) -> Iterator[str]:
    yield f"PER-CPU DATA TYPE:\n  {info.declaration}\nPER-CPU ADDRESSES:\n"
    for cpu, address in info.addresses:
        yield f"  [{cpu}]: {address:x}\n"

