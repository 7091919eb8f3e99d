"""A pid or task address argument, as crash's str_to_context() (task.c) reads it.

The text is read as decimal when it is all digits and as hexadecimal when it is all hex
digits (both, for "10"); each reading may name a pid or a task_struct address. The text is
invalid when it names nothing or more than one thing, except that a decimal pid wins over a
hexadecimal one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import drgn

from crashsh.conventions.numbers import (MAX_HEXADDR_STRLEN, NumberError, dtol, htol,
                                         is_decimal, is_hexadecimal, line_end_stripped)
from crashsh.dumpfacts import MASK64, per_dump
from crashsh.errors import CommandError
from crashsh.kernel.tasks import TaskContext, task_contexts


def invalid_task(text: str) -> str:
    """crash's message for a pid or task argument that names no task."""
    return f"invalid task or pid value: {text}"


@dataclass(frozen=True)
class TaskArgument:
    """What a pid or task argument names: kind is "pid" or "task"; contexts holds every
    task with that pid (the idle tasks share pid 0) or the one task at that address."""

    kind: str
    value: int
    contexts: tuple[TaskContext, ...]

    @property
    def tasks(self) -> list[drgn.Object]:
        return [tc.task for tc in self.contexts]


class TaskTable:
    """crash's task table, indexed by pid and by address for reading task arguments."""

    def __init__(self, contexts: Sequence[TaskContext]) -> None:
        self.contexts = contexts
        self.by_pid: dict[int, list[TaskContext]] = {}
        for tc in contexts:
            self.by_pid.setdefault(tc.pid, []).append(tc)
        self.by_address = {tc.address: tc for tc in contexts}

    def find(self, text: str) -> TaskArgument | None:
        """crash's str_to_context(): the pid or task *text* names, or None."""
        dvalue = hvalue = None
        if is_decimal(text):
            dvalue = quiet(dtol, line_end_stripped(text))
        if is_hexadecimal(text):
            digits = line_end_stripped(text)
            digits = digits[2:] if digits[:2] in ("0x", "0X") else digits
            if len(digits) <= MAX_HEXADDR_STRLEN:
                hvalue = quiet(htol, digits)
        readings = [value for value in dict.fromkeys((dvalue, hvalue))
                    if value is not None and value != MASK64]  # MASK64: crash's BADADDR
        found = [(kind, value) for value in readings for kind, index in
                 (("pid", self.by_pid), ("task", self.by_address)) if value in index]
        if len(found) == 2 and found[0][0] == found[1][0] == "pid":
            found = found[:1]  # crash prefers the decimal pid
        if len(found) != 1:
            return None
        kind, value = found[0]
        contexts = self.by_pid[value] if kind == "pid" else [self.by_address[value]]
        return TaskArgument(kind, value, tuple(contexts))

    def get(self, text: str) -> TaskArgument:
        """The pid or task *text* names, or crash's "invalid task or pid value" error."""
        found = self.find(text)
        if found is None:
            raise CommandError(invalid_task(text))
        return found


@per_dump
def task_table(prog: drgn.Program) -> TaskTable:
    """The task table of *prog*, indexed once per dump."""
    return TaskTable(task_contexts(prog))


def quiet(parse, text: str) -> int | None:
    """*parse(text)*, or None where crash's RETURN_ON_ERROR reading fails."""
    try:
        return parse(text)
    except NumberError:
        return None
