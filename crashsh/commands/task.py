"""task: a task's task_struct and thread_info as gdb prints them (crash's cmd_task, task.c)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import is_number
from crashsh.conventions.tasks import invalid_task, task_table
from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.parsing import CommandParser, Completes, completes
from crashsh.records import Address, TaskHeader
from crashsh.registry import TaskRun, command, foreach_handler
from crashsh.toolchain import gdbvalues
from crashsh.toolchain.gdbtypes import member_offset


@dataclass
class StructValue:
    """``struct NAME `` followed by gdb's value text."""

    name: str
    address: Address
    text: str


@dataclass
class TaskDump:
    """`task`: the task_struct and the thread_info (under the task line, except in foreach)."""

    header: TaskHeader | None
    structs: list[StructValue]


@dataclass
class TaskMembers:
    """`task -R`: the lines crash picks out of gdb's text, under the task line.

    Each item is a line of text (without its newline), or a notice about a member that was
    not found (crash prints those on the terminal only, never into a redirected file).
    """

    header: TaskHeader
    items: list[str | Notice] = field(default_factory=list)


TASK_HELP = """\
A task's struct task_struct (and thread_info when separate) as gdb prints it, under the
task line; by default the current context's, else each pid or task given. -R prints only the
named members (member[,member], nested with dots); -x/-d choose the radix.
"""
TASK_EXAMPLES = """\
  task -R pid,comm 1    two members of pid 1's task:
    PID: 1        TASK: ffff8d1bc11f8000  CPU: 1    COMMAND: "init"
      pid = 1,
      comm = "init\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000",
  task             the whole task_struct of the context task
  foreach task -R state    one member of every task
"""


def task_parser() -> CommandParser:
    p = CommandParser("task", TASK_HELP, examples=TASK_EXAMPLES)
    p.add_argument("-x", dest="hex", action="store_true", help="hexadecimal output")
    p.add_argument("-d", dest="decimal", action="store_true", help="decimal output")
    completes(p.add_argument("-R", dest="references", action="append", default=[],
                             metavar="member[,member]", help="only these task_struct members"),
              Completes(names=("task_member",)))
    completes(p.add_argument("args", nargs="*", help="pid | task | member[,member]"),
              Completes(names=("pid", "task", "task_member")))
    return p


@dataclass
class TaskArguments:
    """cmd_task's reading of its words: tasks, members and notices about the rest."""

    tasks: list[drgn.Object] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    bogus: int = 0  # invalid pid or task arguments


@command("task", "task_struct contents", task_parser,
         synopsis="[-R member[,member]] [-dx] [pid | taskp] ...")
def run_task(session, args) -> Iterator[object]:
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    radix = 16 if args.hex else 10 if args.decimal else session.settings.radix
    words = read_arguments(session.prog, args.args)
    if not words.tasks and not words.bogus:
        words.tasks.append(session.context)
    members = split_members(",".join(args.references)) + words.members
    return task_outputs(session, words.notices, words.tasks, members, radix)


def read_arguments(prog: drgn.Program, texts: list[str]) -> TaskArguments:
    """A pid (every task with it), a task address, or task_struct members (crash's rule:
    a comma, dot or bracket, or a member's name)."""
    words = TaskArguments()
    if not texts:
        return words
    task_type = prog.type("struct task_struct")
    table = task_table(prog)
    for text in texts:
        if is_number(text):
            found = table.find(text)
            if found is None:
                words.bogus += 1
                words.notices.append(notice(invalid_task(text)))
            else:
                words.tasks += found.tasks
        elif any(c in text for c in ",.[") or is_member(task_type, text):
            words.members += split_members(text)
        else:
            words.notices.append(notice(f"invalid task, pid, or task_struct member: {text}"))
    return words


def notice(message: str) -> Notice:
    """cmd_task's message about an argument, with its blank line."""
    return Notice("task", message, blank_after=True)


def task_outputs(session, notices: list[Notice], selected: list[drgn.Object],
                 members: list[str], radix: int) -> Iterator[object]:
    yield from notices
    for task in selected:
        yield task_data(session, task, members, radix, header=True)


def task_data(session, task: drgn.Object, members: list[str], radix: int,
              header: bool) -> TaskDump | TaskMembers:
    """crash's do_task(): the whole structs, or with members only the lines they pick."""
    structs = task_structs(session, task, radix)
    if members:
        return TaskMembers(tasks.task_header(task), select_members(session.prog, structs, members))
    return TaskDump(tasks.task_header(task) if header else None, structs)


def task_structs(session, task: drgn.Object, radix: int) -> list[StructValue]:
    """The task_struct and the thread_info of *task*, as gdb prints them."""
    printer = session.value_printer(radix)
    structs = [StructValue("task_struct", task.value_(), printer.format_object(task[0]))]
    info = thread_info(task)
    if info is not None:
        structs.append(StructValue("thread_info", info.address_, printer.format_object(info)))
    return structs


def thread_info(task: drgn.Object) -> drgn.Object | None:
    """The task's thread_info: inside the task_struct (THREAD_INFO_IN_TASK, x86 since 4.9),
    else at the bottom of the task's stack."""
    try:
        return task.thread_info
    except AttributeError:
        pass
    try:
        return drgn.Object(task.prog_, "struct thread_info", address=task.stack.value_())
    except (AttributeError, LookupError):
        return None


def select_members(prog: drgn.Program, structs: list[StructValue],
                   members: list[str]) -> list[str | Notice]:
    """crash's task_struct_member(): grep gdb's text for each member, in the order given."""
    lines = [line for s in structs for line in f"struct {s.name} {s.text}\n".splitlines(True)]
    types = [prog.type(f"struct {s.name}") for s in structs]
    tree = None
    items: list[str | Notice] = []
    for member in members:
        if "." in member or "[" in member:
            tree = tree or gdbvalues.element_tree(lines)
            found = gdbvalues.extended_member(tree, member)
            if found is None:
                items.append(Notice("task", f"invalid data structure member reference: {member}"))
            else:
                items += [line.rstrip("\n") for line in found]
            continue
        if not any(is_member(type, member) for type in types):
            items.append(Notice("task", f"{member}: not a task_struct or thread_info member"))
        items += [line.rstrip("\n") for line in gdbvalues.grep_member(lines, member)]
    return items


def is_member(type: drgn.Type, name: str) -> bool:
    """crash's MEMBER_EXISTS (unnamed structs and unions are searched too)."""
    return member_offset(type, name) is not None


def split_members(text: str) -> list[str]:
    """crash joins every -R list with commas, then splits it into words."""
    return text.replace(",", " ").split()


@foreach_handler("task")
def foreach_task(session, flags) -> TaskRun:
    """`foreach ... task [-R member] [-x|-d]`: foreach prints the task line, except with -R,
    where each task's output carries its own."""
    if flags.get("x") and flags.get("d"):
        raise CommandError("task: -x and -d options are mutually exclusive")
    radix = 16 if flags.get("x") else 10 if flags.get("d") else session.settings.radix
    members = split_members(flags.get("R") or "")
    return lambda task, subsequent: task_data(session, task, members, radix, header=False)
