"""Names for tab completion: symbols and pids of the dump."""

from __future__ import annotations

import bisect
from functools import cache

import drgn

from crashsh.kernel.tasks import crash_task_table


@cache
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
