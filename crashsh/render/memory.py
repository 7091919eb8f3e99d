"""Plain text of rd (crash's display_memory).

crash ends a line only when the next one starts (and after the last): a line's ASCII column
and newline come with the next line, so a failed read leaves the last line open, without its
ASCII column, and crash's error follows on it. The renderers stream rows the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.memory import AsciiDisplay, MemoryDisplay, MemoryRow, MemoryWarning, RawCopy
from crashsh.render.plain import plain

ADDRESS_WIDTH = 16
HEX_WIDTH = {64: 16, 32: 8, 16: 4, 8: 2}
DECIMAL_FORMAT = {64: "{:15d} ", 32: "{:12d} ", 16: "{:5d} ", 8: "{:3d} "}
UDECIMAL_FORMAT = {64: "{:20d} ", 32: "{:12d} ", 16: "{:5d} ", 8: "{:3d} "}


def signed(value: int, bits: int) -> int:
    return value - (1 << bits) if bits >= 32 and value >> (bits - 1) else value


def entry_text(display: MemoryDisplay, row: MemoryRow, i: int) -> str:
    value = row.values[i]
    if display.style == "decimal":
        return DECIMAL_FORMAT[display.bits].format(signed(value, display.bits))
    if display.style == "udecimal":
        return UDECIMAL_FORMAT[display.bits].format(value)
    if row.symbols and row.symbols[i]:
        return f"{row.symbols[i]:<16} "
    return f"{value:0{HEX_WIDTH[display.bits]}x} "


def ascii_chars(raw: bytes) -> str:
    return "".join(chr(c) if 0x20 <= c < 0x7F else "." for c in raw)


@plain.register
def _(display: MemoryDisplay) -> Iterator[str]:
    per_line = 128 // display.bits
    ascii_start = ADDRESS_WIDTH + 3 + per_line * (HEX_WIDTH[display.bits] + 1)
    ending = ""  # what ends the previous line: its ASCII column and the newline
    for row in display.rows:
        line = f"{ending}{row.address:{ADDRESS_WIDTH}x}:  "
        line += "".join(entry_text(display, row, i) for i in range(len(row.values)))
        yield line
        width = len(line) - len(ending)
        ending = ("".ljust(ascii_start - width) + "  " + ascii_chars(row.raw)
                  if display.ascii_column else "") + "\n"
    yield ending


@plain.register
def _(display: AsciiDisplay) -> Iterator[str]:
    shown = False
    for run in display.runs:
        yield f"{chr(10) if shown else ''}{run.address:{ADDRESS_WIDTH}x}:  {run.text}"
        shown = True
    if display.final_newline:
        yield "\n"


@plain.register
def _(copy: RawCopy) -> Iterator[str]:
    yield f"{copy.count} bytes copied from 0x{copy.address:x} to {copy.path}\n"


@plain.register
def _(warning: MemoryWarning) -> Iterator[str]:
    yield f"WARNING: {warning.text}\n"
