"""Tasks as crash sees them: its task table, CPUs, active tasks and state names."""

from __future__ import annotations

from functools import cached_property

import drgn
from drgn.helpers.linux.cpumask import for_each_online_cpu, for_each_present_cpu
from drgn.helpers.linux.pid import for_each_pid, pid_task
from drgn.helpers.linux.sched import cpu_curr, idle_task, task_cpu

from crashsh.dumpfacts import facts, per_dump
from crashsh.kernel.taskfields import task_fields
from crashsh.records import TaskHeader

# Task state bits shared by the 6.x kernels (include/linux/sched.h).
INTERRUPTIBLE, UNINTERRUPTIBLE, STOPPED, TRACED = 0x1, 0x2, 0x4, 0x8
EXIT_DEAD, EXIT_ZOMBIE, PARKED, TASK_DEAD = 0x10, 0x20, 0x40, 0x80
WAKEKILL, WAKING, NOLOAD, NEW = 0x100, 0x200, 0x400, 0x800
PF_EXITING, PF_KTHREAD = 0x00000004, 0x00200000  # task->flags

# The states crash tests in this order, a later match overriding an earlier one.
CODED_STATES = (
    (INTERRUPTIBLE, "IN"),
    (UNINTERRUPTIBLE, "UN"),
    (EXIT_ZOMBIE, "ZO"),
    (STOPPED, "ST"),
    (TRACED, "TR"),
)

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
    return state_code_of(task_state(task))


def state_code_of(v: int) -> str:
    """crash's task_state_string() for ``__state | exit_state``: later tests override earlier."""
    code = "RU" if v == 0 else "??"
    for bit, name in CODED_STATES:
        if v & bit:
            code = name
    if code == "UN" and v & NOLOAD:
        code = "ID"
    if v & (EXIT_DEAD | TASK_DEAD) and not any(v & bit for bit, _ in CODED_STATES):
        code = "DE"
    return {PARKED: "PA", WAKING: "WA", NEW: "NE"}.get(v, code)


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


@per_dump
def active_set(prog: drgn.Program) -> dict[int, int]:
    """crash's tt->active_set: CPU -> the address of its active task, each online CPU's
    current task until `set -a` marks another (mark_active)."""
    return {cpu: cpu_curr(prog, cpu).value_() for cpu in online_cpus(prog)}


def active_tasks(prog: drgn.Program) -> dict[int, int]:
    """Task address -> CPU for every CPU's active task, and the panic task's even when `set
    -a` marked another on its CPU (crash's is_task_active)."""
    found = {task: cpu for cpu, task in active_set(prog).items()}
    panic = facts(prog).panic_task
    found.setdefault(panic.value_(), cpu_of(panic))
    return found


def active_task(prog: drgn.Program, cpu: int) -> drgn.Object:
    """The active task of *cpu* (an offline CPU's: its runqueue's current task)."""
    address = active_set(prog).get(cpu)
    if address is None:
        return cpu_curr(prog, cpu)
    return drgn.Object(prog, "struct task_struct *", address)


def mark_active(task: drgn.Object) -> int:
    """crash's `set -a`: *task* becomes the active task of its CPU, for this dump's later
    commands (ps's marker, bt -a, set -c, ...); returns the CPU."""
    cpu = cpu_of(task)
    active_set(task.prog_)[cpu] = task.value_()
    return cpu


@per_dump
def crash_task_table(prog: drgn.Program) -> tuple[drgn.Object, ...]:
    """crash's task list: each CPU's idle task, then every task of init_pid_ns's pids.

    A dump does not change, so the table is built once per program."""
    tasks = [idle_task(prog, cpu) for cpu in present_cpus(prog)]
    seen = {t.value_() for t in tasks}
    pidtype = prog["PIDTYPE_PID"]
    for pid in for_each_pid(prog):
        task = pid_task(pid, pidtype)
        if task and task.value_() not in seen:
            seen.add(task.value_())
            tasks.append(task)
    return tuple(tasks)


def cpu_of(task: drgn.Object) -> int:
    return task_cpu(task)


def tasks_with_pid(prog: drgn.Program, pid: int) -> int:
    """How many tasks in crash's table carry *pid* (the idle tasks share pid 0)."""
    if pid == 0:
        return len(present_cpus(prog))
    return 1


def comm(task: drgn.Object) -> str:
    return task.comm.string_().decode(errors="replace")


def task_header(task: drgn.Object) -> TaskHeader:
    """The data of crash's task header line for *task*."""
    return context_of(task).header


class TaskContext:
    """One entry of crash's task table (its ``struct task_context``).

    The task_struct members it keeps (taskfields.MEMBERS) are read with one read of the
    struct when the entry is made, so a command that walks the table reads no member again.
    """

    def __init__(self, task: drgn.Object) -> None:
        self.task = task
        self.address: int = task.value_()
        prog = task.prog_
        self.fields = task_fields(prog).read(prog, self.address)

    def __repr__(self) -> str:
        return f"TaskContext(pid={self.pid}, task={self.address:#x})"

    @property
    def pid(self) -> int:
        return self.fields.pid

    @property
    def tgid(self) -> int:
        return self.fields.tgid

    @property
    def comm(self) -> str:
        return self.fields.comm

    @cached_property
    def cpu(self) -> int:
        cpu = self.fields.cpu
        return cpu_of(self.task) if cpu is None else cpu

    @property
    def parent(self) -> int:
        """The address of ``task->parent`` (crash's ptask; PPID is its pid)."""
        return self.fields.parent

    @property
    def flags(self) -> int:
        return self.fields.flags

    @property
    def is_kthread(self) -> bool:
        return bool(self.flags & PF_KTHREAD)

    @property
    def state(self) -> int:
        """``__state | exit_state``, as crash combines them."""
        return self.fields.state | self.fields.exit_state

    @cached_property
    def state_code(self) -> str:
        return state_code_of(self.state)

    @property
    def policy(self) -> int:
        """``task->policy`` (SCHED_NORMAL 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6)."""
        return self.fields.policy

    @cached_property
    def mm(self) -> drgn.Object:
        """``task->mm`` (NULL for kernel threads and reaped zombies)."""
        return drgn.Object(self.task.prog_, task_fields(self.task.prog_).mm_type,
                           value=self.fields.mm)

    @cached_property
    def header(self) -> TaskHeader:
        return TaskHeader(self.pid, self.address, self.cpu, self.comm)

    @cached_property
    def saved_sp(self) -> int:
        """``thread.sp``: the stack pointer the task saved when it was switched out."""
        return self.task.thread.sp.value_()


def task_contexts(prog: drgn.Program) -> list[TaskContext]:
    """crash's task table in its order: by pid, the pid-0 idle tasks by CPU."""
    return list(_task_contexts(prog))


@per_dump
def _task_contexts(prog: drgn.Program) -> tuple[TaskContext, ...]:
    table = [TaskContext(task) for task in crash_task_table(prog)]
    table.sort(key=lambda tc: tc.pid)  # stable: the idle tasks stay in CPU order
    return tuple(table)


@per_dump
def _contexts_by_address(prog: drgn.Program) -> dict[int, TaskContext]:
    return {tc.address: tc for tc in _task_contexts(prog)}


def context_of(task: drgn.Object) -> TaskContext:
    """The task table's entry of *task* (for a task not in the table, one made now)."""
    found = _contexts_by_address(task.prog_).get(task.value_())
    return found if found is not None else TaskContext(task)


def thread_groups(table: list[TaskContext]) -> dict[int, list[TaskContext]]:
    """The tasks of *table* by tgid, each group in table order."""
    groups: dict[int, list[TaskContext]] = {}
    for tc in table:
        groups.setdefault(tc.tgid, []).append(tc)
    return groups


def thread_size(prog: drgn.Program) -> int:
    """The kernel stack size."""
    try:
        return prog["THREAD_SIZE"].value_()
    except KeyError:  # a macro: four pages on x86_64 without KASAN
        return 4 << facts(prog).page_shift


def task_struct_size(prog: drgn.Program) -> int:
    """crash's SIZE(task_struct): arch_task_struct_size (the FPU state is sized at boot)."""
    try:
        return prog["arch_task_struct_size"].value_()
    except KeyError:
        return drgn.sizeof(prog.type("struct task_struct"))


def stack_owner(prog: drgn.Program, address: int) -> drgn.Object | None:
    """crash's stkptr_to_task(): the task whose kernel stack holds *address*."""
    size = thread_size(prog)
    for task in crash_task_table(prog):
        base = task.stack.value_()
        if base <= address < base + size:
            return task
    return None


def task_holding(prog: drgn.Program, address: int) -> drgn.Object | None:
    """crash's vaddr_in_task_struct(), then stkptr_to_task()."""
    size = task_struct_size(prog)
    for task in crash_task_table(prog):
        if task.value_() <= address < task.value_() + size:
            return task
    return stack_owner(prog, address)
