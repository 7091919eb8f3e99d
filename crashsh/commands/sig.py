"""sig: a task's signal handling (crash's cmd_sig, do_sig, do_sig_thread_group and
dump_signal_data in task.c); -l the signal names, -s the names in a sigset, -g a thread group."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import htol, is_number
from crashsh.conventions.tasks import invalid_task, task_table
from crashsh.errors import CommandError
from crashsh.kernel import signals, tasks
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import Address, TaskHeader, Word
from crashsh.registry import TaskRun, command, foreach_handler



@dataclass
class SigAction:
    """One signal's k_sigaction: its address, handler (0 SIG_DFL, 1 SIG_IGN, -1 SIG_ERR as
    an unsigned word), sa_mask and sa_flags (``flag_names`` the SA_ names of the flags)."""

    signal: int
    address: Address
    handler: Address
    mask: Word
    flags: Word
    flag_names: list[str]


@dataclass
class QueuedSignal:
    signal: int
    siginfo: Address


@dataclass
class GroupSignals:
    """The thread group's part: signal_struct, nr_threads, the handlers (sighand_struct) and
    the shared pending set and queue (``signal_struct`` 0: the task has none)."""

    signal_struct: Address
    nr_threads: int
    actions: list[SigAction]
    shared_signal: Word
    shared_queue: list[QueuedSignal]


@dataclass
class TaskSignals:
    """The task's own part: TIF_SIGPENDING, the blocked set (as crash reads it), the private
    pending set and queue."""

    sigpending: bool
    blocked: Word
    signal: Word
    queue: list[QueuedSignal]


@dataclass
class Sig:
    """`sig [pid | task]`: the task line (none under foreach), the group's handlers, the
    task's state and the shared pending signals."""

    header: TaskHeader | None
    group: GroupSignals
    task: TaskSignals


@dataclass
class ThreadSignals:
    header: TaskHeader
    signals: TaskSignals


@dataclass
class SigThreadGroup:
    """`sig -g`: the group leader's line and the group's part, then each thread's own part."""

    header: TaskHeader
    group: GroupSignals
    threads: list[ThreadSignals]


@dataclass
class SignalList:
    """`sig -l`: every signal's number and crash's name (with its alias)."""

    signals: list[tuple[int, str]]


@dataclass
class SignalSet:
    """`sig -s SIGSET`: the names of the signals in the set."""

    sigset: Word
    names: list[str]


SIG_HELP = """\
The signal handling of tasks (by default the current context's task): the thread group's
signal_struct and, for each signal, its k_sigaction's address, handler (SIG_DFL, SIG_IGN or
the user address), mask and flags; whether TIF_SIGPENDING is set; the blocked set; the pending
signals and queued siginfo of the task (PRIVATE_PENDING) and of the group (SHARED_PENDING).
-g shows a thread group once: the leader's handlers, then each thread's own state. -l lists
the signal names, -s SIGSET names the signals of a hexadecimal set. foreach sig runs it over
tasks.
"""
SIG_EXAMPLES = """\
examples:
  sig 1            the init task's handlers, e.g. SIGINT caught at a user address:
    PID: 1        TASK: ffff8d1bc11f8000  CPU: 1    COMMAND: "init"
    SIGNAL_STRUCT: ffff8d1bc120a880  NR_THREADS: 1
     SIG    SIGACTION        HANDLER       MASK       FLAGS
     [2] ffff8d1bc1212980     525892 fffffffe7ffbfeff 4000000 (SA_RESTORER)
  sig -s 10004     which signals a set holds:
    SIGQUIT SIGCHLD
  foreach user sig -g   every user process's thread group once
"""


def sig_parser() -> CommandParser:
    p = CommandParser("sig", SIG_HELP, epilog=SIG_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-l", dest="names", action="store_true", help="list the signal names")
    p.add_argument("-s", dest="sigset", metavar="SIGSET",
                   help="name the signals of a hexadecimal sigset")
    p.add_argument("-g", dest="group", action="store_true",
                   help="a thread group: the group's handlers, then each thread")
    p.add_argument("-R", dest="reference", action="append", metavar="REF",
                   help='refused, as crash refuses it ("-R not supported yet")')
    completes(p.add_argument("targets", nargs="*", metavar="pid | task"), PID_OR_TASK)
    return p


@command("sig", "task signal handling", sig_parser,
         synopsis="[[-l] | [-s sigset]] | [-g] [pid | taskp] ...")
def run_sig(session, args):
    if args.sigset is not None:
        value = htol(args.sigset)
        return SignalSet(value, signals.set_names(value))
    if args.names:
        return SignalList(signals.signal_names())
    return sig_targets(session, args)


def sig_targets(session, args) -> Iterator:
    """crash's argument loop: each pid or task, a bad one reported; a non-number that is a
    task_struct member or has a comma is a -R reference (which crash does not support)."""
    prog = session.prog
    table = task_table(prog)
    chosen: list[drgn.Object] = []
    notices = []
    bogus = False
    reference = bool(args.reference)
    task_type = prog.type("struct task_struct")
    for text in args.targets:
        if is_number(text):
            found = table.find(text)
            if found is None:
                bogus = True
                notices.append(Notice("sig", invalid_task(text), blank_after=True))
            else:
                chosen.extend(found.tasks)
        elif "," in text or task_type.has_member(text):
            reference = True
        else:
            notices.append(Notice("sig", invalid_task(text), blank_after=True))
    yield from notices
    if not chosen and not bogus:
        chosen.append(session.context)
    if reference and chosen:
        raise CommandError("-R not supported yet")
    if args.group:
        groups = ThreadGroups(prog, specified=True)
        for task in chosen:
            group = groups.of(task)
            if group is not None:
                yield group
        return
    for task in chosen:
        yield Sig(tasks.task_header(task), group_signals(task), task_signals(task))


def group_signals(task: drgn.Object) -> GroupSignals:
    signal = task.signal
    if not signal.value_():
        return GroupSignals(0, 0, [], 0, [])
    actions = []
    for i, action in enumerate(task.sighand.action, 1):
        sa = action.sa
        flags = sa.sa_flags.value_()
        actions.append(SigAction(i, action.address_, sa.sa_handler.value_(),
                                 signals.sigset_word(sa.sa_mask), flags,
                                 signals.flag_names(flags)))
    pending = signal.shared_pending
    return GroupSignals(signal.value_(), signal.nr_threads.value_(), actions,
                        signals.sigset_word(pending.signal), queue(pending))


def task_signals(task: drgn.Object) -> TaskSignals:
    return TaskSignals(signals.sigpending(task), signals.blocked_word(task),
                       signals.sigset_word(task.pending.signal), queue(task.pending))


def queue(pending: drgn.Object) -> list[QueuedSignal]:
    return [QueuedSignal(signo, info) for signo, info in signals.queued(pending)]


@dataclass
class ThreadGroups:
    """crash's do_sig_thread_group() across one command: each group once (foreach's hash
    of leaders), the idle tasks' group once."""

    prog: drgn.Program
    specified: bool  # sig -g PID: a thread's pid stands for its group's leader
    seen: set[int] = field(default_factory=set)
    idle_shown: bool = False

    def of(self, task: drgn.Object) -> SigThreadGroup | None:
        tgid = task.tgid.value_()
        if task.pid.value_() != tgid:
            if not self.specified:
                return None
            leader = task_table(self.prog).by_pid.get(tgid)
            if not leader:
                return None
            task = leader[0].task
        if task.pid.value_() == 0 and self.idle_shown:
            return None
        threads = []
        for tc in tasks.task_contexts(self.prog):
            if tc.task.value_() == task.value_() or tc.task.tgid.value_() != tgid:
                continue
            threads.append(ThreadSignals(tasks.task_header(tc.task), task_signals(tc.task)))
            if tc.pid == 0:
                self.idle_shown = True
        return SigThreadGroup(tasks.task_header(task), group_signals(task),
                              [ThreadSignals(tasks.task_header(task), task_signals(task)),
                               *threads])


@foreach_handler("sig")
def foreach_sig(session, flags) -> TaskRun:
    """`foreach ... sig [-g]`: each task's signals under foreach's task line; with -g each
    thread group once, under its own line."""
    if flags.get("l") or flags.get("s"):
        raise CommandError("sig: -l and -s options are not applicable")
    if not flags.get("g"):
        return lambda task, subsequent: Sig(None, group_signals(task), task_signals(task))
    groups = ThreadGroups(session.prog, specified=False)

    def group_of(task: drgn.Object, subsequent: bool) -> object:
        leader = task_table(session.prog).by_pid.get(task.tgid.value_())
        if not leader or leader[0].task.value_() in groups.seen:
            return []
        groups.seen.add(leader[0].task.value_())
        return groups.of(leader[0].task) or []

    return group_of

