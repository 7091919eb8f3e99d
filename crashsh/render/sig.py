"""Plain text of sig (crash's dump_signal_data, do_sig_thread_group, signame_list and
translate_sigset, task.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.sig import (GroupSignals, QueuedSignal, Sig, SigAction, SignalList,
                                  SignalSet, SigThreadGroup, TaskSignals)
from crashsh.dumpfacts import MASK64
from crashsh.render.common import centered, task_header_line
from crashsh.render.plain import plain

HANDLER_WIDTH = 10  # crash's UVADDR_PRLEN
SPECIAL_HANDLERS = {0: "SIG_DFL", 1: "SIG_IGN", MASK64: "SIG_ERR"}
LINE_LIMIT = 80  # translate_sigset wraps before a name would pass this


@plain.register
def _(sig: Sig) -> Iterator[str]:
    if sig.header is not None:
        yield task_header_line(sig.header) + "\n"
    yield from group_lines(sig.group)
    if sig.group.signal_struct:
        yield from task_lines(sig.task, "")
        yield from shared_lines(sig.group)
    if sig.header is not None:
        yield "\n"


@plain.register
def _(group: SigThreadGroup) -> Iterator[str]:
    yield task_header_line(group.header) + "\n"
    yield from group_lines(group.group)
    if group.group.signal_struct:
        yield from shared_lines(group.group)
    for thread in group.threads:
        yield f"\n  {task_header_line(thread.header)}\n"
        yield from task_lines(thread.signals, "  ")
    yield "\n"


def group_lines(group: GroupSignals) -> Iterator[str]:
    if not group.signal_struct:
        yield "SIGNAL_STRUCT: 0  \n"
        return
    yield f"SIGNAL_STRUCT: {group.signal_struct:x}  NR_THREADS: {group.nr_threads}\n"
    yield (f" SIG {centered('SIGACTION', 16)} {'HANDLER':>{HANDLER_WIDTH}} "
           f"{centered('MASK', 16)} {'FLAGS':<16}\n")
    for action in group.actions:
        yield action_line(action)


def action_line(action: SigAction) -> str:
    handler = SPECIAL_HANDLERS.get(action.handler, f"{action.handler:x}")
    names = f"({'|'.join(action.flag_names)})" if action.flag_names else ""
    return (f"{'[' + str(action.signal) + ']':>4} {action.address:<16x} "
            f"{handler:>{HANDLER_WIDTH}} {action.mask:016x} {action.flags:x} {names}\n")


def task_lines(task: TaskSignals, indent: str) -> Iterator[str]:
    yield f"{indent}SIGPENDING: {'yes' if task.sigpending else 'no'}\n"
    yield f"{indent}   BLOCKED: {task.blocked:016x}\n"
    yield f"{indent}PRIVATE_PENDING\n"
    yield f"{indent}    SIGNAL: {task.signal:016x}\n"
    yield from queue_lines(task.queue, indent)


def shared_lines(group: GroupSignals) -> Iterator[str]:
    yield "SHARED_PENDING\n"
    yield f"    SIGNAL: {group.shared_signal:016x}\n"
    yield from queue_lines(group.shared_queue, "")


def queue_lines(queue: list[QueuedSignal], indent: str) -> Iterator[str]:
    if not queue:
        yield f"{indent}  SIGQUEUE: (empty)\n"
        return
    yield f"{indent}  SIGQUEUE:  SIG  {centered('SIGINFO', 16)}\n"
    for entry in queue:
        yield f"             {entry.signal:>3}  {entry.siginfo:x}\n"


@plain.register
def _(names: SignalList) -> Iterator[str]:
    for number, name in names.signals:
        pad = " " if number < 10 else ""
        yield f"{pad}[{number}] {name}\n"


@plain.register
def _(signal_set: SignalSet) -> Iterator[str]:
    if not signal_set.names:
        yield "(none)\n"
        return
    length = 0
    for i, name in enumerate(signal_set.names):
        word = f" {name}" if i else name
        if length + len(word) > LINE_LIMIT:
            yield "\n"
            word, length = word[1:], 0
        length += len(word)
        yield word
    yield "\n"
