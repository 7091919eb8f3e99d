"""Expected values read straight from a dump with drgn, for checks that must not race the guest:
the guest records its truth seconds before the panic, so clocks and task counts are taken from
the dump itself, and the kernel's HZ from the fixture's manifest (its .config)."""

from __future__ import annotations

import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.printk import get_printk_records

NSEC_PER_SEC = 1_000_000_000


def uptime_ticks(prog: drgn.Program, hz: int) -> int:
    """Jiffies since boot: jiffies_64 minus INITIAL_JIFFIES ((u32)(-300 * HZ))."""
    return prog["jiffies_64"].value_() - ((-300 * hz) & 0xFFFFFFFF)


def wall_clock(prog: drgn.Program) -> int:
    """The dump's wall clock in seconds since the epoch (what crash prints as DATE)."""
    return prog["shadow_timekeeper"].xtime_sec.value_()


def last_log_seconds(prog: drgn.Program) -> float:
    """The timestamp of the last printk record (the moment of the panic), in seconds."""
    return get_printk_records(prog)[-1].timestamp / NSEC_PER_SEC


def on_log_clock_scale(uptime_seconds: float, prog: drgn.Program) -> bool:
    """Whether an uptime read from the dump's jiffies runs on the scale of the panic's log record
    (sched_clock). The two clocks are not the same clock: under TCG the guest's ticks, which
    advance jiffies, lag its TSC by up to a second or so, while a wrong HZ scales an uptime by 4
    (250 read as 1000) or more."""
    return 0.8 < uptime_seconds / last_log_seconds(prog) < 1.25


def task_count(prog: drgn.Program, nr_cpus: int) -> int:
    """Tasks as crash counts them: every thread (drgn's for_each_task leaves out init_task)
    and an idle task for each CPU."""
    return sum(1 for _ in for_each_task(prog)) + nr_cpus


def workload_tids(manifest: dict) -> list[int]:
    """Every thread of the fixture workload's own processes (deterministic, unlike kthreads)."""
    pids = {manifest["marker"]["pid"], manifest["threads_proc"]["pid"], manifest["zombie"]["pid"],
            manifest["zombie"]["parent_pid"], manifest["panic"]["pid"], *manifest["sleepers"]}
    return sorted(tid for t in manifest["tasks"] if t["pid"] in pids for tid in t["tids"] or [t["pid"]])
