"""Tasks as crash sees them: its task table, CPUs, active tasks and state names."""

from __future__ import annotations

from functools import cache

import drgn
from drgn.helpers.linux.cpumask import for_each_online_cpu, for_each_present_cpu
from drgn.helpers.linux.pid import for_each_pid, pid_task
from drgn.helpers.linux.sched import cpu_curr, idle_task, task_cpu

# Task state bits shared by the 6.x kernels (include/linux/sched.h).
INTERRUPTIBLE, UNINTERRUPTIBLE, STOPPED, TRACED = 0x1, 0x2, 0x4, 0x8
EXIT_DEAD, EXIT_ZOMBIE, PARKED, TASK_DEAD = 0x10, 0x20, 0x40, 0x80
WAKEKILL, WAKING, NOLOAD, NEW = 0x100, 0x200, 0x400, 0x800

VERBOSE_BITS = (
    (INTERRUPTIBLE, "TASK_INTERRUPTIBLE"),
    (UNINTERRUPTIBLE, "TASK_UNINTERRUPTIBLE"),
    (STOPPED, "TASK_STOPPED"),
    (TRACED, "TASK_TRACED"),
)
VERBOSE_LATE_BITS = (
    (EXIT_ZOMBIE, "EXIT_ZOMBIE"),
    (WAKING, "TASK_WAKING"),
    (WAKEKILL, "TASK_WAKEKILL"),
    (NOLOAD, "TASK_NOLOAD"),
    (NEW, "TASK_NEW"),
)


def task_state(task: drgn.Object) -> int:
    """``__state | exit_state`` (``state`` before 5.14), as crash combines them."""
    try:
        state = task.__state.value_()
    except AttributeError:  # renamed to __state in 5.14
        state = task.state.value_()
    return state | task.exit_state.value_()


def state_code(task: drgn.Object) -> str:
    """crash's two-letter ps state (RU IN UN ID ZO ST TR DE PA WA NE ??)."""
    v = task_state(task)
    code = "??"
    if v == 0:
        code = "RU"
    if v & INTERRUPTIBLE:
        code = "IN"
    if v & UNINTERRUPTIBLE:
        code = "ID" if v & NOLOAD else "UN"
    if v & EXIT_ZOMBIE:
        code = "ZO"
    if v & STOPPED:
        code = "ST"
    if v & TRACED:
        code = "TR"
    if v & (EXIT_DEAD | TASK_DEAD) and not v & ~(EXIT_DEAD | TASK_DEAD):
        code = "DE"
    if v == PARKED:
        code = "PA"
    if v == WAKING:
        code = "WA"
    if v == NEW:
        code = "NE"
    return code


def state_verbose(task: drgn.Object) -> str:
    """crash's verbose state: ``TASK_RUNNING`` or flag names joined with ``|``."""
    v = task_state(task)
    if v == 0:
        return "TASK_RUNNING"
    if v == PARKED:
        return "TASK_PARKED"
    names = [name for bit, name in VERBOSE_BITS if v & bit]
    dead = v & (EXIT_DEAD | TASK_DEAD)
    if dead:
        names.append("EXIT_DEAD|TASK_DEAD" if dead.bit_count() > 1 else "EXIT_DEAD")
    names += [name for bit, name in VERBOSE_LATE_BITS if v & bit]
    return "|".join(names)


def present_cpus(prog: drgn.Program) -> list[int]:
    return list(for_each_present_cpu(prog))


def online_cpus(prog: drgn.Program) -> list[int]:
    return list(for_each_online_cpu(prog))


@cache
def _active_tasks(prog: drgn.Program) -> dict[int, int]:
    return {cpu_curr(prog, cpu).value_(): cpu for cpu in online_cpus(prog)}


def active_tasks(prog: drgn.Program) -> dict[int, int]:
    """Task address -> CPU for every CPU's current task."""
    return _active_tasks(prog)


def crash_task_table(prog: drgn.Program) -> list[drgn.Object]:
    """crash's task list: each CPU's idle task, then every task of init_pid_ns's pids."""
    tasks = [idle_task(prog, cpu) for cpu in present_cpus(prog)]
    seen = {t.value_() for t in tasks}
    pidtype = prog["PIDTYPE_PID"]
    for pid in for_each_pid(prog):
        task = pid_task(pid, pidtype)
        if task and task.value_() not in seen:
            seen.add(task.value_())
            tasks.append(task)
    return tasks


def cpu_of(task: drgn.Object) -> int:
    return task_cpu(task)


def tasks_with_pid(prog: drgn.Program, pid: int) -> int:
    """How many tasks in crash's table carry *pid* (the idle tasks share pid 0)."""
    if pid == 0:
        return len(present_cpus(prog))
    return 1


def resolve_task(prog: drgn.Program, text: str) -> drgn.Object:
    """A pid (decimal) or a task_struct address (hex), as crash's str_to_context reads them.

    Raises ValueError when *text* names no task in crash's task table.
    """
    table = crash_task_table(prog)
    if text.isdigit():
        pid = int(text)
        for task in table:
            if task.pid.value_() == pid:
                return task
    try:
        address = int(text, 16)
    except ValueError:
        raise ValueError(text) from None
    for task in table:
        if task.value_() == address:
            return task
    raise ValueError(text)


def comm(task: drgn.Object) -> str:
    return task.comm.string_().decode(errors="replace")


def task_header(task: drgn.Object) -> "TaskHeader":
    """The data of crash's task header line for *task*."""
    from crashsh.records import TaskHeader

    return TaskHeader(task.pid.value_(), task.value_(), cpu_of(task), comm(task))
