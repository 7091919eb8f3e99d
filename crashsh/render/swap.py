"""Plain text of swap (crash's dump_swap_info)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.swap import SwapTable
from crashsh.kernel.swap import SwapArea
from crashsh.render.common import centered
from crashsh.render.plain import plain

SWAP_HEADER = "SWAP_INFO_STRUCT    TYPE       SIZE       USED     PCT  PRI  FILENAME\n"


def swap_row(area: SwapArea, page_size: int) -> str:
    size = area.pages * page_size // 1024
    used = area.used * page_size // 1024
    percent = used * 100 // size if size else 0
    kind = "PARTITION" if area.partition else "  FILE   "
    return (f"{centered(f'{area.address:x}', 16)}  {kind} "
            f"{centered(f'{size}k', 10, right_bias=True)} {centered(f'{used}k', 10, right_bias=True)} "
            f"{centered(f'{percent:2d}%', 4, right_bias=True)} {area.priority:>4}  {area.filename}\n")


@plain.register
def _(table: SwapTable) -> Iterator[str]:
    yield SWAP_HEADER
    for area in table.areas:
        yield swap_row(area, table.page_size)
