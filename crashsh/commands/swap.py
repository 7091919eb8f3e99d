"""swap: the swap areas in use (crash's cmd_swap / dump_swap_info, memory.c)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsh.dumpfacts import facts
from crashsh.kernel.swap import SwapArea, swap_areas
from crashsh.parsing import CommandParser
from crashsh.registry import command


@dataclass
class SwapTable:
    """`swap`: each used swap area (sizes in pages; page_size to turn them into kB)."""

    areas: list[SwapArea] = field(default_factory=list)
    page_size: int = 4096


SWAP_HELP = """\
The swap devices: each swap_info_struct's address, type (partition or file), size, use,
priority and file name. The header alone when there is none.
"""
SWAP_EXAMPLES = """\
  swap             the swap partition of the fixture dumps:
    SWAP_INFO_STRUCT    TYPE       SIZE       USED     PCT  PRI  FILENAME
    ffff8e30c2115600  PARTITION   65532k      524k      0%   -2  /dev/vdb
  kmem -i          the same totals (TOTAL SWAP, SWAP USED) in the memory summary
"""


def swap_parser() -> CommandParser:
    return CommandParser("swap", SWAP_HELP, examples=SWAP_EXAMPLES)


@command("swap", "swap device information", swap_parser,
         synopsis=" ")
def run_swap(session, args) -> SwapTable:
    prog = session.prog
    return SwapTable(list(swap_areas(prog)), facts(prog).page_size)
