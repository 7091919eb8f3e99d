"""runq: each CPU's run queue (crash's cmd_runq and the dump_* functions it calls, task.c)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.sched import cpu_rq

from crashsh.conventions.numbers import cpu_list
from crashsh.conventions.tasks import task_table
from crashsh.conventions.usage import option_not_supported, usage_error
from crashsh.errors import CommandError
from crashsh.kernel import runqueue, tasks
from crashsh.kernel.taskgroups import GroupWalk, QueuedTask, root_task_group, task_groups
from crashsh.parsing import CommandParser
from crashsh.records import LAYOUT, Address, TaskHeader
from crashsh.registry import command

RUNQ = "run queue"


@dataclass
class CpuRunqueue:
    """`runq`: one CPU's queue: its current task (``current`` null when the address is not in
    crash's task table), the RT priority array's tasks (prio: the queue index) and the CFS
    tree's tasks (prio: task->prio); ``nr_running`` is rq->nr_running."""

    cpu: int
    offline: bool
    runqueue: Address = 0
    current_task: Address = 0
    current: TaskHeader | None = None
    nr_running: int = 0
    rt_prio_array: Address = 0
    rt: list[QueuedTask] = field(default_factory=list)
    cfs_root: Address = 0
    cfs: list[QueuedTask] = field(default_factory=list)


@dataclass
class RunQueues:
    """`runq`: the chosen CPUs' queues."""

    cpus: list[CpuRunqueue]


@dataclass
class CpuTimestamp:
    """`runq -t`: rq->clock and the current task's sched_info.last_arrival (ns)."""

    cpu: int
    offline: bool
    clock: int = 0
    current: TaskHeader | None = None
    last_run: int = 0


@dataclass
class RunqTimestamps:
    cpus: list[CpuTimestamp]
    hex: bool = field(default=False, metadata=LAYOUT)  # output radix 16


@dataclass
class CpuLag:
    """`runq -T`: how far the CPU's rq->clock is behind the most recent one, in seconds."""

    cpu: int
    seconds: float


@dataclass
class RunqLags:
    """`runq -T`: every CPU, most recent clock first (crash ignores -c here)."""

    cpus: list[CpuLag]
    ncpus: int = field(default=1, metadata=LAYOUT)


@dataclass
class CpuRunTime:
    """`runq -m`: how long the current task has run (rq->clock - last_arrival, ns); null
    when the current task is not in crash's task table."""

    cpu: int
    offline: bool
    run_time: int | None = None
    current: TaskHeader | None = None


@dataclass
class RunqRunTimes:
    cpus: list[CpuRunTime]
    ncpus: int = field(default=1, metadata=LAYOUT)
    days_width: int = field(default=1, metadata=LAYOUT)  # days digits of the first clock


@dataclass
class CpuOnRq:
    """`runq -d`: the tasks of crash's task table with task->on_rq set on this CPU."""

    cpu: int
    offline: bool
    tasks: list[QueuedTask] = field(default_factory=list)


@dataclass
class RunqOnRq:
    cpus: list[CpuOnRq]


@dataclass
class CpuTaskGroups:
    """`runq -g`: one CPU's queues by task group: the root group's RT queue and CFS queue
    (each null when the kernel has no such group scheduling), then what crash walks there:
    tasks, group headers and empty-queue marks, with their depth below the root."""

    cpu: int
    offline: bool
    current_task: Address = 0
    current: TaskHeader | None = None
    root: str = "ROOT"
    root_task_group: Address = 0
    rt_rq: Address | None = None
    rt: list = field(default_factory=list)
    cfs_rq: Address | None = None
    cfs: list = field(default_factory=list)


@dataclass
class RunqTaskGroups:
    cpus: list[CpuTaskGroups]


RUNQ_HELP = """\
Each CPU's run queue: the task running there, then the tasks waiting on its RT priority array
(by queue index) and in its CFS tree (by task priority, leftmost first). The running task is
not in the CFS tree, so it is listed only as CURRENT (runq -g marks it [CURRENT] in its group).
"""
RUNQ_EXAMPLES = """\
examples:
  runq -c 1        the queue of CPU 1 only:
    CPU 1 RUNQUEUE: ffff8d1bfeb31980
      CURRENT: PID: 0      TASK: ffff8d1bc1264180  COMMAND: "swapper/1"
      RT PRIO_ARRAY: ffff8d1bfeb31bc0
         [no tasks queued]
      CFS RB_ROOT: ffff8d1bfeb31a30
         [no tasks queued]
  runq -m          how long each CPU's current task has run (days hh:mm:ss.ms):
     CPU 0: [0 00:00:00.000]  PID: 113    TASK: ffff8d1bfedc20c0  COMMAND: "crashsh_panic"
     CPU 1: [0 00:00:08.732]  PID: 0      TASK: ffff8d1bc1264180  COMMAND: "swapper/1"
"""


def runq_parser() -> CommandParser:
    p = CommandParser("runq", RUNQ_HELP, epilog=RUNQ_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-t", dest="timestamps", action="store_true",
                   help="each CPU's rq clock and its current task's last-run timestamp")
    p.add_argument("-T", dest="lag", action="store_true",
                   help="how far each CPU's rq clock lags the most recent one")
    p.add_argument("-m", dest="run_times", action="store_true",
                   help="how long each CPU's current task has been running")
    p.add_argument("-g", dest="groups", action="store_true",
                   help="the tasks by task group (cgroup) hierarchy")
    p.add_argument("-d", dest="on_rq", action="store_true",
                   help="every task whose on_rq is set, per CPU (crash's debug listing)")
    p.add_argument("-c", dest="cpus", action="append", metavar="CPUS",
                   help='only these CPUs: "3", "1,8,9", "1-23", "1,8,9-14"')
    return p


@command("runq", RUNQ, runq_parser, synopsis="[-t] [-T] [-m] [-g] [-c cpu(s)]")
def run_runq(session, args):
    prog = session.prog
    ncpus = len(tasks.present_cpus(prog))
    chosen = None
    if args.cpus:
        chosen = cpu_list(args.cpus[0], ncpus)  # crash reads the first -c at once
        if len(args.cpus) > 1:
            raise usage_error("runq", "only one -c option allowed")
    cpus = [cpu for cpu in range(ncpus) if chosen is None or cpu in chosen]
    view = RunqView(prog, cpus)
    if args.timestamps:
        return RunqTimestamps([view.timestamp(cpu) for cpu in cpus], session.settings.radix == 16)
    if args.lag:
        return view.lags(ncpus)
    if args.run_times:
        return view.run_times(ncpus)
    if args.on_rq:
        return RunqOnRq(view.on_rq())
    if args.groups:
        return RunqTaskGroups(view.task_groups())
    return RunQueues([view.queue(cpu) for cpu in cpus])


class RunqView:
    """The run queues of the chosen CPUs, read for one runq command."""

    def __init__(self, prog: drgn.Program, cpus: list[int]) -> None:
        self.prog = prog
        self.cpus = cpus
        self.online = set(tasks.online_cpus(prog))
        self.contexts = task_table(prog).by_address

    def header(self, address: int) -> TaskHeader | None:
        """The task header of a task in crash's task table (crash's task_to_context)."""
        tc = self.contexts.get(address)
        return tc.header if tc is not None else None

    def queued(self, address: int, prio: int | None = None, current: bool = False,
               depth: int = 0) -> QueuedTask | None:
        """A queued task; prio None reads task->prio. None for a task crash does not know."""
        tc = self.contexts.get(address)
        if tc is None:
            return None
        if prio is None:
            prio = tc.task.prio.value_()
        return QueuedTask(prio, tc.header, current, depth)

    def current(self, cpu: int) -> int:
        """The CPU's active task as crash shows it as CURRENT (tt->active_set: `set -a` moves it)."""
        return tasks.active_task(self.prog, cpu).value_()

    # -- runq -------------------------------------------------------------------------------
    def queue(self, cpu: int) -> CpuRunqueue:
        if cpu not in self.online:
            return CpuRunqueue(cpu, True)
        rq = cpu_rq(self.prog, cpu)
        current = self.current(cpu)
        prio_array = rq.rt.active
        cfs_rq = rq.cfs
        return CpuRunqueue(
            cpu, False, rq.value_(), current, self.header(current), rq.nr_running.value_(),
            prio_array.address_, self.rt_tasks(prio_array),
            cfs_rq.tasks_timeline.address_, self.cfs_tasks(cfs_rq.address_of_()))

    def rt_tasks(self, prio_array: drgn.Object) -> list[QueuedTask]:
        """crash's dump_RT_prio_array(): a group entity's queue is listed in its place."""
        found = []
        for index, entity in runqueue.rt_entities(prio_array):
            queue = runqueue.group_queue(entity)
            if queue is not None:
                found += self.rt_tasks(queue.active)
            elif (task := self.queued(runqueue.task_of_rt_entity(entity), index)) is not None:
                found.append(task)
        return found

    def cfs_tasks(self, cfs_rq: drgn.Object) -> list[QueuedTask]:
        """crash's dump_tasks_in_cfs_rq(): the running group's queue, then the tree in order,
        each group entity's queue in its place."""
        found = []
        curr = cfs_rq.curr.read_()
        if curr and (queue := runqueue.group_queue(curr)) is not None:
            found += self.cfs_tasks(queue)
        for entity in runqueue.cfs_entities(cfs_rq):
            queue = runqueue.group_queue(entity)
            if queue is not None:
                found += self.cfs_tasks(queue)
            elif (task := self.queued(runqueue.task_of_entity(entity))) is not None:
                found.append(task)
        return found

    # -- runq -t / -T / -m ------------------------------------------------------------------
    def clock(self, cpu: int) -> int:
        return cpu_rq(self.prog, cpu).clock.value_()

    def last_run(self, address: int) -> int:
        return self.contexts[address].task.sched_info.last_arrival.value_()

    def timestamp(self, cpu: int) -> CpuTimestamp:
        clock = self.clock(cpu)
        if cpu not in self.online:
            return CpuTimestamp(cpu, True, clock)
        current = self.current(cpu)
        header = self.header(current)
        return CpuTimestamp(cpu, False, clock, header, self.last_run(current) if header else 0)

    def lags(self, ncpus: int) -> RunqLags:
        clocks = sorted(((cpu, self.clock(cpu)) for cpu in range(ncpus)),
                        key=lambda pair: pair[1], reverse=True)  # stable, as glibc's qsort
        latest = float(clocks[0][1])
        return RunqLags([CpuLag(cpu, (latest - float(clock)) / 1e9) for cpu, clock in clocks],
                        ncpus)

    def run_times(self, ncpus: int) -> RunqRunTimes:
        rows = []
        days_width = 0
        for cpu in self.cpus:
            clock = self.clock(cpu)
            days_width = days_width or len(str(clock // 86_400_000_000_000))
            if cpu not in self.online:
                rows.append(CpuRunTime(cpu, True))
                continue
            current = self.current(cpu)
            header = self.header(current)
            run_time = max(clock - self.last_run(current), 0) if header else None
            rows.append(CpuRunTime(cpu, False, run_time, header))
        return RunqRunTimes(rows, ncpus, days_width)

    # -- runq -d ----------------------------------------------------------------------------
    def on_rq(self) -> list[CpuOnRq]:
        """crash's dump_on_rq_tasks(): the task table in its order, per CPU."""
        queued: dict[int, list[QueuedTask]] = {cpu: [] for cpu in self.cpus}
        for tc in tasks.task_contexts(self.prog):
            if tc.cpu in queued and tc.task.on_rq.value_():
                queued[tc.cpu].append(QueuedTask(tc.task.prio.value_(), tc.header))
        return [CpuOnRq(cpu, cpu not in self.online, [] if cpu not in self.online else found)
                for cpu, found in queued.items()]

    # -- runq -g ----------------------------------------------------------------------------
    def task_groups(self) -> list[CpuTaskGroups]:
        try:
            label, root = root_task_group(self.prog)
        except LookupError as e:
            raise CommandError(str(e)) from None
        rt_rqs = member_or_none(root, "rt_rq")
        cfs_rqs = member_or_none(root, "cfs_rq")
        if rt_rqs is None and cfs_rqs is None:
            raise option_not_supported("g")
        walk = GroupWalk(self.queued, task_groups(root))
        found = []
        for cpu in self.cpus:
            if cpu not in self.online:
                found.append(CpuTaskGroups(cpu, True))
                continue
            current = self.current(cpu)
            entry = CpuTaskGroups(cpu, False, current, self.header(current), label,
                                  root.address_)
            if rt_rqs is not None:
                entry.rt_rq = rt_rqs[cpu].value_()
                entry.rt = walk.rt(rt_rqs[cpu], cpu)
            if cfs_rqs is not None:
                entry.cfs_rq = cfs_rqs[cpu].value_()
                entry.cfs = walk.cfs(cfs_rqs[cpu], cpu, current if entry.current else None)
            found.append(entry)
        return found


def member_or_none(obj: drgn.Object, name: str) -> drgn.Object | None:
    try:
        return obj.member_(name).read_()
    except LookupError:
        return None
