"""ps: process status, crash 9.0.2's cmd_ps (task.c) with all of its options.

The default output is a TaskListing (one PsRow per task); -p -c -g -t -l -m -a -r give a
TaskReport of per-task records; -S gives a StateSummary. Task arguments are read as crash
reads them: a number is a pid or a task address (str_to_context), a 'quoted' string is a
POSIX extended regular expression matched against the command name, anything else is a
command name (a leading backslash is dropped, so "\\123" names the command 123).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import drgn
from drgn.helpers.linux.mm import access_remote_vm
from drgn.helpers.linux.sched import cpu_rq

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import cpu_list, is_number
from crashsh.conventions.tasks import TaskTable, invalid_task
from crashsh.dumpfacts import facts
from crashsh.errors import CommandError
from crashsh.kernel import system, tasks
from crashsh.kernel.memusage import MemoryUsage, memory_usage
from crashsh.kernel.tasks import TaskContext
from crashsh.parsing import TASKS, CommandParser, completes
from crashsh.records import LAYOUT, Address, TaskHeader
from crashsh.registry import TaskRun, command, foreach_handler, parser_of

TASK_COMM_LEN = 16
RLIM_INFINITY = 2**64 - 1
NSEC_PER_SEC = 1_000_000_000
# crash's sched_policy_info[]: -y accepts the name (as a prefix), the number or 0xN.
SCHED_POLICIES = ("NORMAL", "FIFO", "RR", "BATCH", "ISO", "IDLE", "DEADLINE")
# crash's rlim_names[], indexed like the kernel's rlim[] array.
RLIMIT_NAMES = (
    "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS",
    "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
)
REPORTS = ("parents", "children", "threads", "last_run", "ages", "args", "rlimits")
EXCLUSIVE = (*REPORTS, "times", "summary", "active")
EXCLUSIVE_MESSAGE = "-a, -t, -c, -p, -g, -l, -m, -S, -r and -A flags are all mutually-exclusive"


# -- data --------------------------------------------------------------------------------
@dataclass
class PsRow:
    """One task of the ps listing.

    pid and ppid (the pid of ``task->parent``, -1 when that is not in the task table); cpu;
    task: the task_struct address; kstackp: the saved kernel stack pointer (only with -s;
    None for a task active on a CPU); state: crash's two-letter code (RU IN UN ID ZO ST TR
    DE PA WA NE ??); mem_percent: RSS as a percentage of physical memory; vsz and rss in
    KiB; comm; kthread (PF_KTHREAD: shown in brackets); active: the current task of a CPU.
    """

    pid: int
    ppid: int
    cpu: int
    task: Address
    state: str
    mem_percent: float
    vsz: int
    rss: int
    comm: str
    kthread: bool
    active: bool
    kstackp: Address | None = None


@dataclass
class TaskListing:
    """`ps` with or without filters: rows in crash's order (pid, the idle tasks by CPU).

    notices are crash's messages about the arguments ("invalid task or pid value: 99").
    """

    rows: Iterable[PsRow]
    kstackp: bool = field(default=False, metadata=LAYOUT)  # -s: kstackp in the address column
    header: bool = field(default=True, metadata=LAYOUT)  # not with -H
    notices: list[Notice] = field(default_factory=list)


@dataclass
class StateSummary:
    """`ps -S`: how many tasks are in each state, in order of first appearance."""

    counts: dict[str, int]


@dataclass
class TaskReport:
    """`ps -p/-c/-g/-t/-l/-m/-a/-r`: one record per selected task (or per CPU with -C)."""

    entries: Iterable[object]
    notices: list[Notice] = field(default_factory=list)


@dataclass
class ParentChain:
    """`ps -p`: the task's ancestors from the idle task down, ending with the task."""

    chain: list[TaskHeader]


@dataclass
class Children:
    """`ps -c`: a task and the tasks whose ``parent`` it is."""

    task: TaskHeader
    children: list[TaskHeader]


@dataclass
class ThreadGroup:
    """`ps -g`: a thread group leader and the other tasks of its group."""

    leader: TaskHeader
    threads: list[TaskHeader]


@dataclass
class TaskTimes:
    """`ps -t`: run time in seconds (from the kernel's true HZ); the rest in nanoseconds."""

    task: TaskHeader
    run_time: int
    start_time: int
    utime: int
    stime: int


@dataclass
class LastRun:
    """`ps -l`: ``sched_info.last_arrival`` (ns of the CPU's rq clock) and the state code."""

    task: TaskHeader
    state: str
    timestamp: int
    width: int = field(default=0, metadata=LAYOUT)  # digits of the largest stamp
    hex: bool = field(default=False, metadata=LAYOUT)  # output radix 16


@dataclass
class LastRunAge:
    """`ps -m`: nanoseconds between the task's last arrival and its CPU's rq clock."""

    task: TaskHeader
    state: str
    age: int
    days_width: int = field(default=0, metadata=LAYOUT)  # pad days to the clock's


@dataclass
class CpuLastRuns:
    """`ps -l/-m -C cpus`: one CPU's tasks, most recently run first."""

    cpu: int
    entries: list[LastRun | LastRunAge]
    first: bool = field(default=True, metadata=LAYOUT)


@dataclass
class TaskArgs:
    """`ps -a`: the argument and environment strings (NUL-separated pieces) or crash's error."""

    task: TaskHeader
    args: list[str] | None = None
    env: list[str] | None = None
    error: str | None = None


@dataclass
class Rlimit:
    """One resource limit; None means RLIM_INFINITY."""

    name: str
    current: int | None
    maximum: int | None


@dataclass
class TaskRlimits:
    """`ps -r`: the task's resource limits (``signal->rlim``)."""

    task: TaskHeader
    limits: list[Rlimit]


# -- arguments ---------------------------------------------------------------------------
PS_HELP = """\
Every task (or those chosen by pid, task address, command name or 'regex'), as crash
lists them: pid, parent, CPU, task address, state, memory use and command (kernel threads in
brackets; the active tasks marked with >). -k/-u/-G kernel threads, user tasks or group
leaders only; -p parents, -c children, -t times, -l/-m last run, -a arguments and
environment, -g thread groups, -r resource limits, -S counts per state, -A active only.
"""
PS_EXAMPLES = """\
  ps 1 2           two tasks:
          PID    PPID  CPU       TASK        ST  %MEM      VSZ      RSS  COMM
            1       0   1  ffff8d1bc11f8000  IN   0.2     2260     1816  init
            2       0   1  ffff8d1bc11fc180  IN   0.0        0        0  [kthreadd]
  ps -S            how many tasks are in each state
  ps 'kworker.*'   the tasks whose name matches
"""


def ps_parser() -> CommandParser:
    p = CommandParser("ps", PS_HELP, examples=PS_EXAMPLES)
    p.add_argument("-k", dest="kernel", action="store_true", help="kernel threads only")
    p.add_argument("-u", dest="user", action="store_true", help="user tasks only")
    p.add_argument("-G", dest="group", action="store_true", help="thread group leaders only")
    p.add_argument("-y", dest="policy", metavar="POLICY",
                   help="scheduling policies, e.g. FIFO,RR or 0,1")
    p.add_argument("-s", dest="kstackp", action="store_true", help="KSTACKP instead of TASK")
    p.add_argument("-p", dest="parents", action="store_true", help="parental hierarchy")
    p.add_argument("-c", dest="children", action="store_true", help="children")
    p.add_argument("-t", dest="times", action="store_true", help="run, start, user, system time")
    p.add_argument("-l", dest="last_run", action="store_true", help="last-run timestamp")
    p.add_argument("-m", dest="ages", action="store_true", help="time since last run")
    p.add_argument("-C", dest="cpus", metavar="CPUS", help="with -l/-m: per-CPU blocks")
    p.add_argument("-a", dest="args", action="store_true", help="arguments and environment")
    p.add_argument("-g", dest="threads", action="store_true", help="thread groups")
    p.add_argument("-r", dest="rlimits", action="store_true", help="resource limits")
    p.add_argument("-S", dest="summary", action="store_true", help="task counts per state")
    p.add_argument("-A", dest="active", action="store_true", help="active tasks only")
    p.add_argument("-H", dest="no_header", action="store_true", help="no header line")
    completes(p.add_argument("tasks", nargs="*", metavar="pid | task | command | 'regex'"), TASKS)
    return p


def check_options(args) -> None:
    """crash's option conflicts (its FATAL errors)."""
    if args.kernel and args.user:
        raise CommandError("-u and -k are mutually exclusive")
    if sum(bool(getattr(args, name)) for name in EXCLUSIVE) > 1:
        raise CommandError(EXCLUSIVE_MESSAGE)
    if args.cpus is not None and not (args.last_run or args.ages):
        raise CommandError("-C option is only applicable with -l and -m")
    if args.summary and args.tasks:
        raise CommandError("-S option takes no arguments")
    if args.summary and (args.user or args.kernel or args.group):
        raise CommandError("-S option cannot be used with other options")
    if args.group and (args.last_run or args.ages):
        raise CommandError(f"-G not supported with -{'l' if args.last_run else 'm'} option")


def parse_policies(text: str) -> int:
    """crash's make_sched_policy(): a mask of ``1 << policy`` for a comma-separated list."""
    mask = 0
    for item in text.split(","):
        upper = item.upper()
        for value, name in enumerate(SCHED_POLICIES):
            if upper.startswith(name) or upper in (str(value), f"0X{value:X}"):
                mask |= 1 << value
                break
        else:
            raise CommandError(f"{item}: invalid scheduling policy")
    return mask


@dataclass(frozen=True)
class Selector:
    """One task argument: kind is pid, task, comm or regex."""

    kind: str
    value: int | str | re.Pattern[str]

    def matches(self, tc: TaskContext, leaders_only: bool) -> bool:
        if self.kind == "pid":
            return tc.pid == self.value
        if self.kind == "task":
            return tc.address == self.value
        if self.kind == "comm":
            found = tc.comm == self.value
        else:
            found = self.value.search(tc.comm) is not None
        # with -g or -G a name selects thread group leaders only
        return found and (not leaders_only or tc.pid == tc.tgid)


def parse_selectors(
    texts: list[str], table: list[TaskContext]
) -> tuple[list[Selector], list[Notice]]:
    """The task arguments as crash's cmd_ps reads them, and its notices about bad ones."""
    index = None
    selectors, notices = [], []
    for text in texts:
        if is_number(text):
            index = index or TaskTable(table)
            found = index.find(text)
            if found is None:
                notices.append(Notice("ps", invalid_task(text), blank_after=True))
            else:
                selectors.append(Selector(found.kind, found.value))
        elif len(text) > 1 and text[0] == text[-1] == "'":
            pattern = text[1:-1]
            try:
                selectors.append(Selector("regex", re.compile(pattern)))
            except re.error:
                raise CommandError(f"invalid regular expression: {pattern}") from None
        else:
            name = text[1:] if text.startswith("\\") else text
            selectors.append(Selector("comm", name[: TASK_COMM_LEN - 1]))
    return selectors, notices


# -- the command ---------------------------------------------------------------------------
@command("ps", "display process status information", ps_parser,
         synopsis="[-k|-u|-G|-y policy] [-s] [-p|-c|-t|-[l|m][-C cpu]|-a|-g|-r|-S|-A|-H]\n"
                  "     [pid | task | command] ...")
def run_ps(session, args):
    check_options(args)
    ps = Ps(session, args)
    if args.summary:
        return ps.summary()
    selectors, notices = parse_selectors(args.tasks, ps.table)
    if args.cpus is not None and args.tasks:
        notices.insert(0, Notice("ps", "-C option is not applicable with specified tasks"))
    named = ps.matching(selectors) if args.tasks else None
    return ps.output(named, not args.no_header, notices)


class Ps:
    """One ps command: crash's task table and what the options need, read once."""

    def __init__(self, session, args) -> None:
        self.prog: drgn.Program = session.prog
        self.args = args
        self.radix: int = session.settings.radix
        self.table = tasks.task_contexts(self.prog)
        if args.last_run or args.ages:
            self.table.sort(key=self.last_arrival, reverse=True)  # stable, as glibc's qsort
        self.active = tasks.active_tasks(self.prog)
        self.policies = parse_policies(args.policy) if args.policy is not None else 0
        ncpus = len(tasks.present_cpus(self.prog))
        self.cpus = cpu_list(args.cpus, ncpus) if args.cpus is not None else None

    @cached_property
    def by_address(self) -> dict[int, TaskContext]:
        return {tc.address: tc for tc in self.table}

    @cached_property
    def position(self) -> dict[int, int]:
        """Each task's index in the table."""
        return {tc.address: i for i, tc in enumerate(self.table)}

    @cached_property
    def by_tgid(self) -> dict[int, list[TaskContext]]:
        return tasks.thread_groups(self.table)

    @cached_property
    def by_parent(self) -> dict[int, list[TaskContext]]:
        children: dict[int, list[TaskContext]] = defaultdict(list)
        for tc in self.table:
            children[tc.parent].append(tc)
        return children

    @cached_property
    def page_size(self) -> int:
        return facts(self.prog).page_size

    @cached_property
    def memory(self) -> MemoryUsage:
        return memory_usage(self.prog)

    @cached_property
    def leaders(self) -> dict[int, TaskContext]:
        """Each thread group's first task whose pid is the tgid."""
        found: dict[int, TaskContext] = {}
        for tc in self.table:
            if tc.pid == tc.tgid:
                found.setdefault(tc.tgid, tc)
        return found

    def leader(self, tgid: int) -> TaskContext | None:
        """crash's tgid_to_context(): the group's task whose pid is the tgid."""
        return self.leaders.get(tgid)

    def output(self, named: Iterable[TaskContext] | None, header: bool,
               notices: list[Notice]) -> TaskListing | TaskReport:
        """What ps shows of the tasks its arguments name (None: no task arguments)."""
        args = self.args
        if args.times:
            return TaskReport(self.times(named), notices)
        if self.cpus is not None and named is None:
            return TaskReport(self.cpu_blocks(), notices)
        chosen = self.chosen(named)
        if any(getattr(args, mode) for mode in REPORTS):
            return TaskReport(self.reports(chosen, named is not None), notices)
        if args.active and named is None:
            chosen = (tc for tc in chosen if tc.address in self.active)
        return TaskListing(map(self.row, chosen), args.kstackp, header, notices)

    # -- selection, in crash's order: arguments, then -k/-u/-y, then -G ----------------------
    def chosen(self, named: Iterable[TaskContext] | None) -> Iterator[TaskContext]:
        specified = named is not None
        wanted = (tc for tc in (named if specified else self.table) if self.passes(tc))
        return self.group_leaders(wanted, specified) if self.args.group else wanted

    def matching(self, selectors: list[Selector]) -> Iterator[TaskContext]:
        """Table order; a task matched by two arguments comes twice, as in crash."""
        leaders_only = self.args.threads or self.args.group
        for tc in self.table:
            for selector in selectors:
                if selector.matches(tc, leaders_only):
                    yield tc

    def passes(self, tc: TaskContext, policy: bool = True) -> bool:
        if self.args.user and tc.is_kthread or self.args.kernel and not tc.is_kthread:
            return False
        return not (policy and self.policies and not self.policies & (1 << tc.policy))

    def group_leaders(
        self, chosen: Iterable[TaskContext], specified: bool
    ) -> Iterator[TaskContext]:
        """-G: each thread group once, by its leader (others are dropped unless named)."""
        seen: set[int] = set()
        for tc in chosen:
            if tc.pid != tc.tgid:
                leader = self.leader(tc.tgid) if specified else None
                if leader is None:
                    continue
                tc = leader
            if tc.address not in seen:
                seen.add(tc.address)
                yield tc

    # -- the listing -------------------------------------------------------------------------
    def row(self, tc: TaskContext) -> PsRow:
        mem = self.memory.of(tc)
        parent = self.by_address.get(tc.parent)
        active = tc.address in self.active
        kstackp = None
        if self.args.kstackp and not active:
            kstackp = tc.task.thread.sp.value_()
        page_size = self.page_size
        return PsRow(tc.pid, parent.pid if parent else -1, tc.cpu, tc.address, tc.state_code,
                     mem.percent, mem.total_vm * page_size // 1024, mem.rss * page_size // 1024,
                     tc.comm, tc.is_kthread, active, kstackp)

    def summary(self) -> StateSummary:
        counts: dict[str, int] = {}
        for tc in self.table:
            counts[tc.state_code] = counts.get(tc.state_code, 0) + 1
        return StateSummary(counts)

    # -- per-task reports -----------------------------------------------------------------------
    def reports(self, chosen: Iterable[TaskContext], specified: bool) -> Iterator[object]:
        args = self.args
        if args.threads:
            yield from self.thread_groups(chosen, specified)
            return
        for tc in chosen:
            if args.parents:
                yield self.parent_chain(tc)
            elif args.children:
                yield Children(tc.header, [child.header for child in self.by_parent[tc.address]])
            elif self.cpus is not None:
                yield from self.cpu_blocks()
            elif args.last_run:
                yield self.last_run(tc)
            elif args.ages:
                yield self.age(tc, self.days_width(tc.cpu))
            elif args.args:
                yield self.task_args(tc)
            elif args.rlimits:
                yield self.rlimits(tc)

    def parent_chain(self, tc: TaskContext) -> ParentChain:
        chain = [tc]
        while chain[-1].parent != chain[-1].address and chain[-1].parent in self.by_address:
            chain.append(self.by_address[chain[-1].parent])
        return ParentChain([ancestor.header for ancestor in reversed(chain)])

    def thread_groups(self, chosen: Iterable[TaskContext],
                      specified: bool) -> Iterator[ThreadGroup]:
        """crash's show_tgid_list(): the idle tasks (tgid 0) make one group, shown once."""
        idle_shown = False
        for tc in chosen:
            if tc.pid != tc.tgid:
                tc = self.leader(tc.tgid) if specified else None
                if tc is None:
                    continue
            if tc.pid == 0 and idle_shown:
                continue
            threads = [t for t in self.by_tgid[tc.tgid] if t is not tc]
            idle_shown = idle_shown or any(t.pid == 0 for t in threads)
            yield ThreadGroup(tc.header, [t.header for t in threads])

    # -- -t ---------------------------------------------------------------------------------
    def times(self, named: Iterable[TaskContext] | None) -> Iterator[TaskTimes]:
        """crash's show_task_times(): -k/-u/-G apply (-y does not); sorted by start time."""
        if named is None:
            chosen = [tc for tc in self.table if self.passes(tc, policy=False)]
            if self.args.group:
                chosen = [tc for tc in chosen if tc.pid == tc.tgid]
            yield from sorted(map(self.task_times, chosen), key=lambda entry: entry.start_time)
            return
        seen: set[int] = set()
        for tc in named:
            found = self.first_timed_from(tc, seen)
            if found is not None:
                yield self.task_times(found)

    def first_timed_from(self, tc: TaskContext, seen: set[int]) -> TaskContext | None:
        """crash's loop starts at the named task and takes the first task that passes -k/-u,
        so `ps -tu 2` shows the first user task after pid 2 (it stops at the table's end)."""
        start = self.position[tc.address]
        for candidate in self.table[start:]:
            if not self.passes(candidate, policy=False):
                continue
            if self.args.group and candidate.pid != candidate.tgid:
                candidate = self.leader(candidate.tgid)
                if candidate is None:
                    return None
            if candidate.address in seen:
                return None
            if self.args.group:
                seen.add(candidate.address)
            return candidate
        return None

    @cached_property
    def uptime(self) -> int:
        """Jiffies since boot."""
        return system.uptime_jiffies(self.prog)

    @cached_property
    def hz(self) -> int:
        return system.hz(self.prog)

    def task_times(self, tc: TaskContext) -> TaskTimes:
        fields = tc.fields
        start_time = fields.start_time
        hz = self.hz
        elapsed = self.uptime - start_time // NSEC_PER_SEC * hz
        return TaskTimes(tc.header, max(elapsed, 0) // hz, start_time, fields.utime, fields.stime)

    # -- -l, -m, -C --------------------------------------------------------------------------
    def last_arrival(self, tc: TaskContext) -> int:
        return tc.fields.last_arrival

    @cached_property
    def stamp_width(self) -> int:
        """The digits of the table's first (largest) stamp: crash's -l field width."""
        largest = self.last_arrival(self.table[0])
        return len(f"{largest:x}" if self.radix == 16 else str(largest))

    def last_run(self, tc: TaskContext) -> LastRun:
        return LastRun(tc.header, tc.state_code, self.last_arrival(tc), self.stamp_width,
                       self.radix == 16)

    @cached_property
    def rq_clocks(self) -> dict[int, int]:
        return {cpu: cpu_rq(self.prog, cpu).clock.value_() for cpu in tasks.present_cpus(self.prog)}

    def age(self, tc: TaskContext, days_width: int = 0) -> LastRunAge:
        age = max(self.rq_clocks[tc.cpu] - self.last_arrival(tc), 0)
        return LastRunAge(tc.header, tc.state_code, age, days_width)

    def days_width(self, cpu: int) -> int:
        """The digits of the days in the CPU's rq clock, to which -m pads one task's days."""
        return len(str(self.rq_clocks[cpu] // (86400 * NSEC_PER_SEC)))

    def cpu_blocks(self) -> Iterator[CpuLastRuns]:
        """-C: every task of each chosen CPU (crash applies no other filter here)."""
        for i, cpu in enumerate(self.cpus):
            on_cpu = [tc for tc in self.table if tc.cpu == cpu]
            if self.args.last_run:
                entries = [self.last_run(tc) for tc in on_cpu]
            else:
                entries = [self.age(tc, self.days_width(cpu)) for tc in on_cpu]
            yield CpuLastRuns(cpu, entries, i == 0)

    # -- -a, -r ------------------------------------------------------------------------------
    def task_args(self, tc: TaskContext) -> TaskArgs:
        mm = tc.mm
        if not mm:
            return TaskArgs(tc.header, error="no user stack")
        result = TaskArgs(tc.header)
        try:
            result.args = self.read_user(mm, mm.arg_start.value_(), mm.arg_end.value_())
            result.env = self.read_user(mm, mm.env_start.value_(), mm.env_end.value_())
        except drgn.FaultError as e:
            result.error = f"cannot access user stack address: {e.address:x}"
        return result

    def read_user(self, mm: drgn.Object, start: int, end: int) -> list[str]:
        """The NUL-separated strings in [start, end), read page by page as crash does.

        A page that cannot be read raises FaultError at that page's first address.
        """
        page_size = self.page_size
        data = bytearray()
        address = start
        while address < end:
            size = min(page_size - address % page_size, end - address)
            try:
                data += access_remote_vm(mm, address, size)
            except drgn.FaultError:
                raise drgn.FaultError("cannot access user stack address", address) from None
            address += size
        return data.decode(errors="replace").split("\0")

    def rlimits(self, tc: TaskContext) -> TaskRlimits:
        limits = []
        for i, rlim in enumerate(tc.task.signal.rlim):
            name = RLIMIT_NAMES[i] if i < len(RLIMIT_NAMES) else "(unknown)"
            current, maximum = rlim.rlim_cur.value_(), rlim.rlim_max.value_()
            limits.append(Rlimit(
                name,
                None if current == RLIM_INFINITY else current,
                None if maximum == RLIM_INFINITY else maximum,
            ))
        return TaskRlimits(tc.header, limits)


# foreach's ps flags and the ps options they stand for
FOREACH_FLAGS = {"s": "kstackp", "G": "group", "a": "args", "c": "children", "p": "parents",
                 "t": "times", "l": "last_run", "m": "ages", "r": "rlimits", "g": "threads"}


@foreach_handler("ps")
def foreach_ps(session, flags) -> TaskRun:
    """`foreach ps`: ps of each task, the listing's header before the first one only."""
    args = parser_of(ps_parser).parse_args([])
    for letter, name in FOREACH_FLAGS.items():
        setattr(args, name, letter in flags)
    args.policy = flags.get("y")
    check_options(args)
    ps = Ps(session, args)
    return lambda task, subsequent: ps.output([ps.by_address[task.value_()]], not subsequent, [])
