"""Page flag names as crash reads them (memory.c page_flags_init_from_pageflag_names)."""

from __future__ import annotations

import drgn

from crashsh.dumpfacts import MASK64, per_dump
from crashsh.kernel.paths import read_string


@per_dump
def pageflag_names(prog: drgn.Program) -> tuple[tuple[int, str], ...]:
    """(mask, name) of the kernel's ``pageflag_names[]``, up to its empty terminator."""
    names = []
    for entry in prog["pageflag_names"]:
        mask, name = entry.mask.value_(), entry.name.value_()
        if not name and mask in (0, MASK64):
            break
        names.append((mask, read_string(prog, name) or ""))
    return tuple(names)
