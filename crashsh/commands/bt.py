"""bt: kernel stack backtraces, as crash's cmd_bt (kernel.c) and its x86_64 back tracer print them.

JSON (docs/json.md): `bt` gives {"traces": [...]}. A trace has "header" {pid, task, cpu,
command}, "entries", "no_stack", "raw" (bt -r) and "error" (where crash gives up). Entries are
frames {level, sp, pc, function, offset, module, file, line, stack_data, size_unknown}, exception
frames {address, registers {rip, rsp, rflags, rax, ..., orig_rax, cs, ss}, function, offset,
rip_note, search, file, line}, stack switches {stack}, bt -t lines {sp, pc, function, offset,
module} and {function, pc} for START, and notes {text}. An argument that names no task is
crash's error line "bt: invalid task or pid value: ...", the document's "error".
`bt --group` gives {"groups": [{"pids": [...], "tasks": [...], "frames": ["name+offset", ...]}]}.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import drgn

from crashsh.commands.memory import MemoryRow, RdOptions, memory_rows
from crashsh.conventions.expressions import can_eval, convert, evaluate
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import cpu_list, htol, is_hexadecimal
from crashsh.conventions.tasks import invalid_task, task_table
from crashsh.conventions.usage import option_not_supported
from crashsh.errors import CommandError
from crashsh.kernel import stack, tasks
from crashsh.kernel.readmem import Memory
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import LAYOUT, Address, TaskHeader, Word
from crashsh.registry import TaskRun, command, foreach_handler, parser_of


@dataclass(frozen=True)
class BtStyle:
    """How frames are printed: symbol offsets (-s, -x), stack data (-f/-F), -t, -l."""

    symbol_offsets: bool = False
    hex_offsets: bool = False
    full: int = 0  # 1: -f, 2: -F, 3: -FF
    line_numbers: bool = False
    radix: int = 10  # the output radix: offsets in [exception RIP: sym+off]
    reference: bool = False  # -R: only the traces that refer to something, each set apart


@dataclass
class TaskTrace:
    """One task's part of the output: its header line and what the walk found."""

    header: TaskHeader
    entries: list[stack.Entry] = field(default_factory=list)
    no_stack: bool = False
    raw: list[MemoryRow] | None = None  # bt -r
    error: str | None = None  # crash gave up on this task with this message


@dataclass
class BtListing:
    style: BtStyle = field(metadata=LAYOUT)
    traces: Iterator[TaskTrace | Notice]


@dataclass
class StackSearchListing:
    """bt -E: the exception frames found on the IRQ and exception stacks."""

    style: BtStyle = field(metadata=LAYOUT)
    stacks: list[stack.StackSearch]


@dataclass
class StackOverflow:
    header: TaskHeader
    location: Address
    value: Word


@dataclass
class StackOverflowReport:
    """bt -v: stacks whose bottom word is not STACK_END_MAGIC, and stacks that cannot be read."""

    errors: list[str]
    overflows: list[StackOverflow]


@dataclass
class StackGroup:
    """bt --group: tasks whose stacks hold the same frames."""

    pids: list[int]
    tasks: list[Address]
    frames: list[str]


@dataclass
class StackGroups:
    groups: list[StackGroup]


@dataclass(frozen=True)
class Target:
    """A task to trace; keep_going: crash carries on past a failure (as in bt -a)."""

    task: drgn.Object | None  # None: the argument named no task
    text: str = ""
    keep_going: bool = False


BT_HELP = """\
A task's kernel stack trace, found as crash finds it (its stack is scanned for return
addresses; the kernel's ORC data sizes the frames): each frame's level, stack address,
function and return address, then the exception frames (registers at an interrupt, fault or
system call) on the way. By default the current context's task; pids or task addresses, -a
every CPU's active task, -g a thread group. -f, -F and -r show the stack's words; -t and -T
every text address on it; -e and -E search for exception frames; -l adds source lines.
crashsh adds --group: tasks with identical stacks grouped, with counts and pids.
"""
BT_EXAMPLES = """\
  bt               the panic task:
    PID: 113      TASK: ffff8d1bfedc20c0  CPU: 0    COMMAND: "crashsh_panic"
     #0 [ffffcdad0039bb58] machine_kexec at ffffffff97e6c62f
     #1 [ffffcdad0039bbb0] __crash_kexec at ffffffff97f646b7
     #2 [ffffcdad0039bc70] panic at ffffffff987cd06e
  bt -a            the active task of every CPU
  foreach bt --group   (or bt --group) every task, identical stacks once with their pids
"""


def bt_parser() -> CommandParser:
    p = CommandParser("bt", BT_HELP, examples=BT_EXAMPLES)
    p.add_argument("-a", dest="active", action="store_true", help="the active task on each CPU")
    p.add_argument("-c", dest="cpus", help='the active task on CPUs: "3", "1,8,9", "1-23"')
    p.add_argument("-p", dest="panic", action="store_true", help="the panic task")
    p.add_argument("-g", dest="thread_group", action="store_true",
                   help="every thread of the thread group, the leader first")
    p.add_argument("-f", dest="full", action="store_true", help="all stack data of each frame")
    p.add_argument("-F", dest="symbolic", action="count", default=0,
                   help="-f, symbolically; -FF also shows the slab object's address")
    p.add_argument("-l", dest="lines", action="store_true", help="file and line of each frame")
    p.add_argument("-t", dest="text", action="store_true",
                   help="all text symbols from the last known stack location")
    p.add_argument("-T", dest="all_text", action="store_true",
                   help="all text symbols from the bottom of the process stack")
    p.add_argument("-s", dest="offsets", action="store_true", help="symbol name plus offset")
    p.add_argument("-x", dest="hex", action="store_true", help="-s offsets in hexadecimal")
    p.add_argument("-d", dest="dec", action="store_true", help="-s offsets in decimal")
    p.add_argument("-r", dest="raw", action="store_true", help="raw stack data")
    p.add_argument("-e", dest="eframes", action="store_true",
                   help="search the stack for exception frames")
    p.add_argument("-E", dest="all_eframes", action="store_true",
                   help="search the IRQ and exception stacks for exception frames")
    p.add_argument("-v", dest="overflow", action="store_true", help="check stacks for overflows")
    p.add_argument("-o", dest="old", action="store_true",
                   help="old method: every text return address, no frame skipping")
    p.add_argument("-R", dest="reference", metavar="ref",
                   help="only traces that refer to this symbol or text address")
    p.add_argument("-I", dest="ip", help="start at this text address")
    p.add_argument("-S", dest="sp", type=htol, help="start at this stack address")
    p.add_argument("-n", dest="skip", metavar="idle",
                   help="filter idle tasks (no effect on x86_64 dumps, as in crash 9.0.2)")
    p.add_argument("--group", dest="grouped", action="store_true",
                   help="crashsh: group tasks (all by default) whose stacks are identical")
    completes(p.add_argument("tasks", nargs="*", metavar="pid | task"), PID_OR_TASK)
    return p


def stack_kernel(session) -> stack.StackKernel:
    """The dump's backtrace data (ORC tables, per-CPU stacks, symbols), built once."""
    return stack.stack_kernel(session.prog)


@command("bt", "backtrace", bt_parser,
         synopsis="[-a|-c cpu(s)|-g|-r|-t|-T|-l|-e|-E|-f|-F|-o|-O|-v|-p] [-R ref] [-s [-x|d]]\n"
                  "     [-I ip] [-S sp] [-n idle] [pid | task]")
def run_bt(session, args):
    if args.hex and args.dec:
        raise CommandError("-d and -x are mutually exclusive")
    if args.skip is not None and args.skip != "idle":
        raise option_not_supported("n")
    if args.overflow:
        return stack_overflows(session)
    kernel = stack_kernel(session)
    if args.all_eframes:
        cpus = set(cpu_list(args.cpus, len(kernel.cpus))) if args.cpus else None
        return StackSearchListing(bt_style(session, args),
                                  stack.alternate_stack_search(kernel, session.context, cpus))
    if args.grouped:
        return group_stacks(session, kernel, args.tasks)
    if args.thread_group and (args.active or args.cpus):
        option = "a" if args.active else "c"
        raise CommandError(f"-{option} option cannot be used with the -g option")
    return backtraces(session, args, targets(session, kernel, args))


def backtraces(session, args, chosen: Iterable[Target]) -> BtListing:
    """bt's output for the chosen tasks under bt's parsed options; `foreach bt` passes its
    tasks as Target(task, keep_going=True)."""
    tracer = Tracer.of(session, args)
    return BtListing(tracer.style, tracer.traces(chosen))


@dataclass(frozen=True)
class Tracer:
    """bt's options, worked out once, for tracing any number of tasks."""

    session: Any
    kernel: stack.StackKernel
    args: argparse.Namespace
    style: BtStyle
    options: stack.WalkOptions
    reference: int | str | None  # -R

    @classmethod
    def of(cls, session, args: argparse.Namespace) -> Tracer:
        style = bt_style(session, args)
        ip, sp = start_override(session, args)
        options = stack.WalkOptions(args.text or args.all_text, args.all_text, style.full,
                                    args.lines, not args.old, ip, sp)
        reference = (parse_reference(session, args.reference) if args.reference is not None
                     else None)
        return cls(session, stack_kernel(session), args, style, options, reference)

    def traces(self, chosen: Iterable[Target]) -> Iterator[TaskTrace | Notice]:
        """Each target's trace (with -R, those that refer to the reference); like crash,
        stop after a failed one unless told to keep going."""
        for target in chosen:
            if target.task is None:
                yield Notice("bt", invalid_task(target.text))
                continue
            trace = task_trace(self.session, self.kernel, target.task, self.options, self.args)
            if self.reference is None or trace.no_stack or trace.error \
                    or stack.mentions(self.kernel, trace.entries, self.reference):
                yield trace
            if trace.error and not target.keep_going:
                return


# foreach's flags that bt takes, as crash's foreach passes them on (task.c foreach())
FOREACH_BT_FLAGS = "fFtTsxdlreo"


@dataclass
class ForeachTrace:
    """`foreach bt`: one task's frames; foreach has printed the task line."""

    style: BtStyle = field(metadata=LAYOUT)
    trace: TaskTrace


@foreach_handler("bt")
def foreach_bt(session, flags) -> TaskRun:
    argv = [f"-{letter}" for letter in FOREACH_BT_FLAGS for _ in range(flags.get(letter, 0))]
    if flags.get("R"):
        argv += ["-R", flags["R"]]
    tracer = Tracer.of(session, parser_of(bt_parser).parse_args(argv))

    def run(task: drgn.Object, subsequent: bool) -> ForeachTrace | BtListing:
        traces = tracer.traces([Target(task, keep_going=True)])
        if tracer.style.reference:
            return BtListing(tracer.style, traces)  # foreach prints no task line: bt -R's own
        return ForeachTrace(tracer.style, next(traces))

    return run


def bt_style(session, args) -> BtStyle:
    full = 1 + args.symbolic if args.symbolic else int(args.full)
    return BtStyle(args.offsets, args.hex, full, args.lines, session.settings.radix,
                   args.reference is not None)


def start_override(session, args) -> tuple[int | None, int | None]:
    """-I ip (an address, symbol or expression) and -S sp (hex, not 0)."""
    if args.sp == 0:
        raise CommandError("invalid stack address for this task: 0")
    ip = convert(session.prog, args.ip) if args.ip is not None else None
    return ip, args.sp


def parse_reference(session, text: str) -> int | str:
    """crash's -R argument: an expression or a hex value is an address, else a symbol name."""
    if can_eval(text):
        return evaluate(session.prog, text)
    if is_hexadecimal(text):
        return htol(text)
    return text


def targets(session, kernel: stack.StackKernel, args) -> Iterator[Target]:
    """The tasks to trace, in crash's order."""
    prog = session.prog
    if args.cpus or args.active:
        cpus = cpu_list(args.cpus, len(kernel.cpus)) if args.cpus else kernel.cpus
        for cpu in cpus:
            yield Target(tasks.active_task(prog, cpu), keep_going=True)
        return
    if not args.tasks:
        task = session.panic_task if args.panic else session.context
        yield from thread_group(prog, task) if args.thread_group else (Target(task),)
        return
    table = task_table(prog)
    for text in args.tasks:
        argument = table.find(text)
        found = argument.tasks if argument else []
        if not found:
            yield Target(None, text)
        elif args.thread_group and found[0].pid.value_():
            yield from thread_group(prog, found[0])
        else:
            yield from (Target(task, keep_going=len(found) > 1) for task in found)


def thread_group(prog: drgn.Program, task: drgn.Object) -> list[Target]:
    """bt -g: the thread group leader, then its other threads in task-table order (an idle
    task stands alone)."""
    if not task.pid.value_():
        return [Target(task)]
    leader = task.group_leader
    tgid = leader.pid.value_()
    others = [t for t in tasks.crash_task_table(prog)
              if t.tgid.value_() == tgid and t.value_() != leader.value_()]
    return [Target(t, keep_going=True) for t in (leader, *others)]


def task_trace(session, kernel: stack.StackKernel, task: drgn.Object,
               options: stack.WalkOptions, args) -> TaskTrace:
    """One task's trace, raw stack (-r) or exception frame search (-e), in crash's order of
    checks: -r before "(no stack)"."""
    trace = TaskTrace(tasks.task_header(task))
    if args.raw:
        trace.raw, trace.error = raw_stack(session, kernel, task)
    elif not stack.has_stack(task):
        trace.no_stack = True
    else:
        try:
            if args.eframes:
                trace.entries = stack.exception_frame_search(kernel, task)
            else:
                trace.entries = stack.backtrace(kernel, task, options)
        except stack.StackError as e:
            trace.entries, trace.error = e.entries, str(e)
    return trace


def raw_stack(session, kernel: stack.StackKernel,
              task: drgn.Object) -> tuple[list[MemoryRow], str | None]:
    """bt -r: the whole stack as `rd -s` shows it, up to an unreadable line."""
    words = kernel.thread_size // stack.WORD
    rows: list[MemoryRow] = []
    try:
        rows.extend(memory_rows(session, Memory(session, "kernel"), task.stack.value_(), words,
                                64, RdOptions(symbolic=True)))
    except CommandError as e:
        return rows, str(e)
    return rows, None


def stack_overflows(session) -> StackOverflowReport:
    """bt -v: crash's check_stack_overflow() over its task table (init_task excepted)."""
    prog = session.prog
    kernel = stack_kernel(session)
    report = StackOverflowReport([], [])
    init_task = prog["init_task"].address_
    for task in tasks.crash_task_table(prog):
        base = task.stack.value_()
        try:
            magic = kernel.read_word(base)
        except drgn.FaultError:
            report.errors.append(f'invalid kernel virtual address: {base:x}  '
                                 'type: "stack overflow check"')
            continue
        if task.value_() != init_task and magic != stack.STACK_END_MAGIC:
            report.overflows.append(StackOverflow(tasks.task_header(task), base, magic))
    return report


def group_stacks(session, kernel: stack.StackKernel, names: list[str]) -> StackGroups:
    """bt --group: the given tasks (all by default) grouped by identical frames, the largest
    group first."""
    prog = session.prog
    table = task_table(prog)
    chosen = [task for text in names for task in table.get(text).tasks]
    groups: dict[tuple[str, ...], StackGroup] = {}
    for task in chosen or tasks.crash_task_table(prog):
        frames = stack_signature(kernel, task)
        group = groups.setdefault(tuple(frames), StackGroup([], [], frames))
        group.pids.append(task.pid.value_())
        group.tasks.append(task.value_())
    return StackGroups(sorted(groups.values(), key=lambda g: (-len(g.pids), g.pids[0])))


def stack_signature(kernel: stack.StackKernel, task: drgn.Object) -> list[str]:
    """A task's frames as name+offset [module], with the stack switches between them."""
    if not stack.has_stack(task):
        return ["(no stack)"]
    try:
        entries = stack.backtrace(kernel, task, stack.WalkOptions())
    except stack.StackError as e:
        return [f"(bt: {e})"]
    lines = []
    for entry in entries:
        if isinstance(entry, stack.Frame):
            offset = f"+{entry.offset}" if entry.offset else ""
            module = f" [{entry.module}]" if entry.module else ""
            lines.append(f"{entry.function}{offset}{module}")
        elif isinstance(entry, stack.StackSwitch):
            lines.append(f"--- <{entry.stack}> ---")
    return lines
