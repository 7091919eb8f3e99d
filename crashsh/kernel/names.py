"""Names for tab completion: symbols and pids of the dump."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import drgn

from crashsh.dumpfacts import per_dump
from crashsh.kernel.tasks import crash_task_table


@per_dump
def symbol_names(prog: drgn.Program) -> list[str]:
    return sorted({symbol.name for symbol in prog.symbols()})


def completions(prog: drgn.Program, prefix: str, limit: int = 2000) -> list[str]:
    """Pids when *prefix* is numeric, otherwise symbol names starting with *prefix*."""
    if prefix.isdigit():
        pids = sorted({str(t.pid.value_()) for t in crash_task_table(prog)})
        return [pid for pid in pids if pid.startswith(prefix)]
    names = symbol_names(prog)
    start = bisect.bisect_left(names, prefix)
    found = []
    for name in names[start:start + limit]:
        if not name.startswith(prefix):
            break
        found.append(name)
    return found


def member_completions(prog: drgn.Program, type_name: str, prefix: str) -> list[str]:
    """Member paths of *type_name* (``se.avg.util_avg`` style) that start with *prefix*."""
    try:
        type_ = prog.type(type_name)
    except LookupError:
        return []
    *parents, last = prefix.split(",")[-1].split(".")
    for part in parents:
        try:
            type_ = type_.member(part).type
        except LookupError:
            return []
    while type_.kind == drgn.TypeKind.TYPEDEF:
        type_ = type_.type
    if type_.kind not in (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION):
        return []
    head = prefix[: len(prefix) - len(last)]
    return sorted({head + name for name in named_members(type_) if name.startswith(last)})


def named_members(type_: drgn.Type) -> Iterator[str]:
    """Member names, looking through anonymous structs and unions as C does."""
    for member in type_.members:
        if member.name:
            yield member.name
        else:
            inner = member.type
            while inner.kind == drgn.TypeKind.TYPEDEF:
                inner = inner.type
            if inner.kind in (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION):
                yield from named_members(inner)
