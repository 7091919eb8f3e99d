"""Kernel knowledge shared by commands, built on drgn's helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import drgn

T = TypeVar("T")


def per_program(prog: drgn.Program, key: str, make: Callable[[drgn.Program], T]) -> T:
    """``make(prog)``, made once per program and kept in ``prog.cache`` (a dump never changes)."""
    try:
        return prog.cache[key]
    except KeyError:
        value = prog.cache[key] = make(prog)
        return value
