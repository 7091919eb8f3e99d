"""The checked-in suite of crash command lines, and which must match crash exactly.

A line may hold placeholders filled from the fixture's manifest and dump: {marker_pid},
{panic_pid}, {panic_task}, {marker_task}, {sym_text}, ... (see runner.placeholders).
`compatible` lines must equal crash's output exactly (trailing whitespace stripped); the list
only grows. `known` lists, per kernel series, lines where crash is demonstrably wrong: a line
starting with the prefix is left out of the comparison, and a test checks crashsh's value
against the guest's ground truth instead. `crash_fault` is a regular expression for an error line
crash prints where it reads past what the kernel allocated (with its reason): when crash stops
there, or prints nothing at all (its reads of excluded pages are silent), only its lines before
it are compared, and a test checks crashsh's value against the guest's truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.differential.oracle import BANNER

HZ_BUG = "crash assumes HZ=1000 on 6.12 (mq-deadline is a module); the kernel's HZ is 250"


@dataclass(frozen=True)
class Case:
    line: str
    compatible: bool = False
    known: dict[str, tuple[str, str]] = field(default_factory=dict)  # series -> (prefix, why)
    crash_fault: tuple[str, str] | None = None  # (crash's error line as a regex, why)


UPTIME_612 = {"6.12": ("      UPTIME: ", HZ_BUG)}

SUITE: tuple[Case, ...] = (
    Case(BANNER, True, UPTIME_612),
    Case("sys", True, UPTIME_612),
    Case("sys -t", True),
    Case("sys -i", True),
    Case("sys -i -t", True),
    Case("sys -t -i", True),
    Case("sys config", True),
    # sys -c early: crash names an address that has aliases after its last lookup there
    # (symval_hash_search's val_hash_last); in a fresh session it names the first alias, as
    # crashsh always does (slot 34: __do_sys_pause, not __x64_sys_pause after a bt in pause())
    Case("sys -c", True),
    Case("sys -c read", True),
    Case("sys -c 0", True),
    Case("sys -c 0x10", True),
    Case("sys -c 1 write", True),
    Case("sys -c write 1", True),
    Case("sys -c 1 2", True),
    Case("sys -c 999", True),
    Case("sys -c SYS", True),
    Case("sys -c add", True),
    Case("sys -c nosuchcall", True),
    Case("sys -c invalid", True),
    Case("set", True),
    Case("set {marker_pid}", True),
    Case("set {panic_task}", True),
    Case("set -p", True),
    Case("set -c 0", True),
    Case("set -c 1", True),
    Case("eval 1024*1024", True),
    Case("eval 1024*1024*5", True),
    Case("eval -b 0x12345678", True),
    Case("eval (1<<20)", True),
    Case("eval -1", True),
    Case("eval 4k + 2", True),
    Case("eval jiffies_64 - 0x10", True),
    Case("eval 10 / 3", True),
    Case("eval ~0", True),
    Case("ascii 62696c2f7273752f", True),
    Case("ascii 0x7f00410a0d", True),
    Case("ascii", True),
    Case("btop 1234567", True),
    Case("btop 0x1000 0xffff8880", True),
    Case("ptob 512", True),
    Case("ptob 0x200 1a", True),
    Case("rd jiffies_64", True),
    Case("rd linux_banner 8", True),
    Case("rd -32 linux_banner 9", True),
    Case("rd -16 linux_banner 9", True),
    Case("rd -8 linux_banner 20", True),
    Case("rd -d init_uts_ns 6", True),
    Case("rd -D init_uts_ns 6", True),
    Case("rd -x linux_banner 4", True),
    Case("rd -a linux_banner", True),
    Case("rd -a linux_banner 100", True),
    Case("rd -s sys_call_table 6", True),
    Case("rd -p 0x1000 4", True),
    Case("rd -o 8 jiffies_64 2", True),
    Case("rd -e {linux_banner_plus_32} linux_banner", True),
    Case("rd -R jiffies_64 3", True),
    Case("rd 0x10 2", True),
    Case("sym schedule", True),
    Case("sym jiffies_64", True),
    Case("sym {schedule_plus_5}", True),
    Case("sym crashsh_test_init", True),
    Case("sym -n schedule", True),
    Case("sym -p schedule", True),
    Case("sym -s schedule", True),
    Case("sym _text", True),
    Case("sym runqueues", True),
    Case("sym init_task", True),
    Case("sym __func__.0", True),
    Case("sym crashsh_obj_ctor", True),
    Case("sym crashsh_test_list", True),
    Case("sym crashsh_kthread_task", True),
    Case("sym __this_module", True),
    Case("sym -m crashsh_test", True),
    Case("sym -M", True),
    Case("sym -q crashsh_test", True),
    Case("sym -q schedule_tim", True),
    Case("sym nosuchsymbol_xyz", True),
    Case("sym 0", True),
    Case("sym schedule jiffies_64", True),
    Case("sym -l", True),
    Case("whatis task_struct", True),
    Case("whatis jiffies_64", True),
    Case("whatis list_head", True),
)


def _family_cases() -> tuple[Case, ...]:
    """The cases of tests/differential/cases/*.py, in module-name order."""
    import importlib
    import pkgutil

    from tests.differential import cases

    found: list[Case] = []
    for info in sorted(pkgutil.iter_modules(cases.__path__), key=lambda i: i.name):
        found.extend(importlib.import_module(f"{cases.__name__}.{info.name}").CASES)
    return tuple(found)


SUITE = SUITE + _family_cases()
