"""Plain text of eval, ascii, btop and ptob (crash's tools.c print_number and friends)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.tools import AsciiChart, AsciiValue, Number, PageConversion
from crashsh.render.plain import plain

KB, MB, GB = 1 << 10, 1 << 20, 1 << 30
BITS_HEADER = "   bits set: "

ASCII_CHART = """
      0    1   2   3   4   5   6   7
    +-------------------------------
  0 | NUL DLE  SP  0   @   P   '   p
  1 | SOH DC1  !   1   A   Q   a   q
  2 | STX DC2  "   2   B   R   b   r
  3 | ETX DC3  #   3   C   S   c   s
  4 | EOT DC4  $   4   D   T   d   t
  5 | ENQ NAK  %   5   E   U   e   u
  6 | ACK SYN  &   6   F   V   f   v
  7 | BEL ETB  `   7   G   W   g   w
  8 |  BS CAN  (   8   H   X   h   x
  9 |  HT  EM  )   9   I   Y   i   y
  A |  LF SUB  *   :   J   Z   j   z
  B |  VT ESC  +   ;   K   [   k   {
  C |  FF  FS  ,   <   L   \\   l   |
  D |  CR  GS  _   =   M   ]   m   }
  E |  SO  RS  .   >   N   ^   n   ~
  F |  SI  US  /   ?   O   -   o  DEL

"""


def size_suffix(value: int) -> str:
    if value < KB:
        return ""
    for unit, name in ((GB, "GB"), (MB, "MB"), (KB, "KB")):
        if value % unit == 0:
            return f"({value // unit}{name})"
    return ""


@plain.register
def _(number: Number) -> Iterator[str]:
    v = number.value
    yield f"hexadecimal: {v:x}  {size_suffix(v)}\n"
    signed = v - (1 << 64) if v >> 63 else v
    yield f"    decimal: {v}  " + (f"({signed})\n" if signed < 0 else "\n")
    yield f"      octal: {v:o}\n"
    yield f"     binary: {v:064b}\n"
    if number.show_bits:
        yield from bits_set_lines(v)


def bits_set_lines(v: int) -> Iterator[str]:
    line, count = BITS_HEADER, len(BITS_HEADER)
    for bit in range(63, -1, -1):
        if v >> bit & 1:
            word = f"{bit} "
            line += word
            count += len(word)
            if count >= 77:
                yield line + "\n"
                line, count = " " * len(BITS_HEADER), len(BITS_HEADER)
    yield line + "\n"


@plain.register
def _(_chart: AsciiChart) -> Iterator[str]:
    yield ASCII_CHART


@plain.register
def _(value: AsciiValue) -> Iterator[str]:
    yield f"{value.value:016x}: {value.text}\n"


@plain.register
def _(conv: PageConversion) -> Iterator[str]:
    yield f"{conv.value:x}: {conv.result:x}\n"
