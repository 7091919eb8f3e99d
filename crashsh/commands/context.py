"""set: the current context (pid, task, -p, -c CPU) and session settings."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from crashsh.commands import variables
from crashsh.commands.system import context_info
from crashsh.conventions.numbers import dtoi
from crashsh.conventions.tasks import task_table
from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.parsing import CommandParser, Completes, completes
from crashsh.records import Address
from crashsh.registry import command

SET_HELP = """\
Without arguments: the current context (the task whose pid, task address, CPU and state
commands such as bt, task, vm and files use by default). A pid or task address makes that
task the context; -p the panic task's; -c CPU the active task of that CPU. With a crash
variable's name: its value (`set radix`), and with a value too, a new value (`set radix 16`,
`set scroll off`); -v lists them all. crashsh adds `set output plain|rich|json|auto`.
-a PID|TASK marks that task as the active task of its CPU (dump files only) for the rest of
the session: ps marks it with ">", bt -a and set -c take it for that CPU, and its state
shows (ACTIVE); the context does not change.
"""
SET_EXAMPLES = """\
examples:
  set 1            make pid 1 the context:
        PID: 1
    COMMAND: "init"
       TASK: ffff8d1bc11f8000  [THREAD_INFO: ffff8d1bc11f8000]
        CPU: 1
      STATE: TASK_INTERRUPTIBLE
  set radix 16     print numbers in hexadecimal from now on:
    output radix: 16 (hex)
  set -v           every crash variable and its value
  set -a 141       mark pid 141 as the active task on its CPU:
    "crashsh_marker" task ffff8d1bc408a0c0 has been marked as the active task on cpu 1
"""


def set_parser() -> CommandParser:
    p = CommandParser("set", SET_HELP, epilog=SET_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-p", dest="panic", action="store_true", help="the panic task's context")
    p.add_argument("-c", dest="cpu", type=dtoi, help="the active task on CPU")
    completes(p.add_argument("-a", dest="active", metavar="pid|taskp",
                             help="mark the task as the active task on its CPU"),
              Completes(names=("pid", "task")))
    p.add_argument("-v", dest="variables", action="store_true",
                   help="list crash's internal variables and their values")
    after = {name: Completes(words=values) for name, values in variables.VALUE_WORDS.items()}
    completes(p.add_argument("args", nargs="*",
                             help="pid | task | variable [value] (radix, scroll, silent, ...)"),
              Completes(names=("pid", "task"), words=variables.NAMES, after=after))
    return p


@command("set", "set a process context or internal crash variable", set_parser,
         synopsis="[[-a] [pid | taskp] | [-c cpu] | -p] | [crash_variable [setting]] | -v")
def run_set(session, args):
    prog = session.prog
    if args.panic:
        session.context = session.panic_task
    elif args.cpu is not None:
        cpus = len(tasks.present_cpus(prog))
        if not 0 <= args.cpu < cpus:
            raise CommandError(
                f"invalid cpu number: system has only {cpus} cpu{'s' if cpus > 1 else ''}"
            )
        if args.cpu not in tasks.online_cpus(prog):
            raise CommandError(f"invalid cpu number: cpu {args.cpu} is OFFLINE")
        task = tasks.active_task(prog, args.cpu)
        if task.value_() == session.context.value_():
            return None  # crash prints nothing when the context is already that task
        session.context = task
    elif args.active is not None:
        return mark_active(session, args.active)
    elif args.variables:
        return variables.variables(session)
    elif args.args:
        changed = variables.change(session, args.args)
        if changed is not NotImplemented:
            return changed
        session.context = task_table(prog).get(args.args[0]).tasks[0]
    return context_info(session)


@dataclass
class ActiveMarked:
    """`set -a`: the task now marked as its CPU's active task."""

    command: str
    task: Address
    cpu: int


def mark_active(session, text: str) -> ActiveMarked:
    """crash's `set -a PID|TASK` (a pid shared by several tasks needs a task address)."""
    if session.is_live:
        raise CommandError("-a option not allowed on live systems")
    found = task_table(session.prog).get(text)
    if found.kind == "pid" and len(found.contexts) > 1:
        raise CommandError(f"pid {found.value} has {len(found.contexts)} tasks: "
                           "use a task address")
    task = found.tasks[0]
    cpu = tasks.mark_active(task)
    return ActiveMarked(tasks.comm(task), task.value_(), cpu)
