"""waitq: the tasks on a wait queue (crash's cmd_waitq and dump_waitq, kernel.c)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import drgn

from crashsh.commands.lists import ListOptions, pointer_reader, walk
from crashsh.conventions.numbers import htol, is_number
from crashsh.conventions.tasks import task_table
from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import tasks
from crashsh.kernel.memmap import is_kernel_address
from crashsh.parsing import CommandParser, Completes, completes
from crashsh.records import Address, TaskHeader
from crashsh.registry import command


@dataclass
class WaitQueue:
    """The tasks waiting on the wait_queue_head at ``address`` (``name``: the symbol given)."""

    address: Address
    name: str | None
    tasks: list[TaskHeader]


@dataclass
class WaitqMessage:
    """A line crash prints for a struct.member it cannot use (not an error to crash)."""

    text: str


WAITQ_HELP = """\
The tasks sleeping on a wait queue (a wait_queue_head_t): each waiter's task line, in queue
order, or a line saying the queue is empty. The queue is named by a symbol, by a
structure member and the structure's address (struct.member ADDRESS), or by its address.
"""
WAITQ_EXAMPLES = """\
examples:
  waitq kauditd_wait          a global wait queue with its sleeper:
    PID: 28       TASK: ffff8d1bc12cc180  CPU: 0    COMMAND: "kauditd"
  waitq pglist_data.kswapd_wait ffff8d1bfed60000
                              a wait queue inside a structure (node 0's pglist_data):
    PID: 43       TASK: ffff8d1bfebd20c0  CPU: 0    COMMAND: "kswapd0"
  waitq ffffffff999383a0      the same queue as the first example, by address
"""


def waitq_parser() -> CommandParser:
    p = CommandParser("waitq", WAITQ_HELP, epilog=WAITQ_EXAMPLES, prefix_chars="\0",
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    completes(p.add_argument("words", nargs="*",
                             metavar="symbol | struct.member address | address"),
              Completes(names=("symbol",)))
    return p


@command("waitq", "list tasks queued on a wait queue", waitq_parser,
         synopsis=" [ symbol ] | [ struct.member struct_addr ] | [ address ]")
def run_waitq(session, args) -> WaitQueue | WaitqMessage | None:
    words = args.words
    if not 1 <= len(words) <= 2:
        raise UsageError("", "")
    prog = session.prog
    name = None
    if is_number(words[0]):
        address = htol(words[0])
    elif "." not in words[0]:
        name = words[0]
        address = symbol_value(session, name)
    else:
        struct, _, member = words[0].partition(".")
        if len(words) != 2:
            return WaitqMessage(f"must supply an address for {struct}")
        address = htol(words[1])
        offset = member_offset(prog, struct, member)
        if offset is None:
            return WaitqMessage(f"{member} is not a member of {struct}")
        address += offset
    if not is_kernel_address(prog, address):  # crash does nothing with it
        return None
    return wait_queue(session, address, name)


def symbol_value(session, name: str) -> int:
    symbol = session.symtab.lookup_name(name)
    if symbol is None:
        raise CommandError(f'cannot resolve "{name}"')
    return symbol.value


def member_offset(prog: drgn.Program, struct: str, member: str) -> int | None:
    try:
        return drgn.offsetof(prog.type(f"struct {struct}"), member)
    except (LookupError, ValueError):
        return None


def wait_queue(session, address: int, name: str | None) -> WaitQueue:
    """dump_waitq(): walk the head's list; each entry's private is a task (crash stops at
    the first entry whose private is none it knows)."""
    prog = session.prog
    entry_type = prog.type("struct wait_queue_entry")
    start = address + drgn.offsetof(prog.type("struct wait_queue_head"), "head")
    opts = ListOptions(start=start, end=start,
                       list_head_offset=drgn.offsetof(entry_type, "entry"))
    read = pointer_reader(prog)
    entries = [(node - opts.list_head_offset) & MASK64 for node in walk(read, opts)][1:]
    private = drgn.offsetof(entry_type, "private")
    table = task_table(prog)
    waiters = []
    for entry in entries:
        tc = table.by_address.get(read(entry + private, "wait_queue_t.task"))
        if tc is None:
            break
        waiters.append(tasks.task_header(tc.task))
    return WaitQueue(address, name, waiters)
