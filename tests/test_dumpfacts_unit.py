"""Per-dump facts: made once per Program, and dropped with it."""

from __future__ import annotations

import gc
import weakref

import drgn

from crashsh.dumpfacts import facts, per_dump

calls: list[int] = []


@per_dump
def expensive(prog: drgn.Program) -> list[int]:
    calls.append(1)
    return [len(calls)]


def test_a_per_dump_value_is_made_once_per_program():
    calls.clear()
    first, second = drgn.Program(), drgn.Program()
    assert expensive(first) is expensive(first)
    assert expensive(second) is not expensive(first)
    assert len(calls) == 2
    assert facts(first) is facts(first)


def test_facts_go_with_their_program():
    prog = drgn.Program()
    expensive(prog)
    facts_ref = weakref.ref(facts(prog))
    del prog
    gc.collect()
    assert facts_ref() is None
