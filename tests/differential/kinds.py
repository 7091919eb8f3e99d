"""The differential subset run on the other panic kinds' dumps (oops, BUG, hung task, soft lockup,
OOM): what an engineer types first on a dump, exact against crash there too. The main suite runs
on the sysrq dumps; a line that is in it keeps its known differences here."""

from __future__ import annotations

from tests.acceptance import COMMON
from tests.differential.suite import SUITE, Case

CRASH_INTERNALS = {"help -v", "help -m", "help -n"}  # crash's own tables, not the dump's
FIRST_LOOK = [
    "sys", "sys -t", "bt", "bt -a", "bt -l", "bt -e", "ps -S", "ps -A", "log -m", "log -T",
    "foreach UN bt", "foreach RU bt", "kmem -v", "kmem -V", "mod -t", "sig", "timer", "irq -s",
    "dev -d", "files", "vm", "task", "mach", "swap", "ipcs",
]

_SUITE_CASES = {case.line: case for case in SUITE}
KIND_CASES: tuple[Case, ...] = tuple(
    _SUITE_CASES.get(line, Case(line, True))
    for line in dict.fromkeys(COMMON + FIRST_LOOK) if line not in CRASH_INTERNALS
)
