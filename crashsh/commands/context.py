"""set: the current context (pid, task, -p, -c CPU) and session settings."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from drgn.helpers.linux.sched import cpu_curr

from crashsh.commands.system import context_info
from crashsh.conventions.numbers import dtoi
from crashsh.conventions.tasks import task_table
from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.parsing import CommandParser, Completes, completes
from crashsh.registry import command

OUTPUT_MODES = ("plain", "rich", "json", "auto")
# crash's `set` variables that crashsh has, and the values Tab offers for each
VARIABLES = {"radix": ("10", "16"), "scroll": ("on", "off"), "output": OUTPUT_MODES}


@dataclass
class SettingValue:
    """One `set NAME [VALUE]` line, e.g. ``output radix: 16 (hex)``."""

    name: str
    value: str

    def text(self) -> str:
        return f"{self.name}: {self.value}"


def set_parser() -> CommandParser:
    p = CommandParser("set", "set a process context or internal crashsh variable")
    p.add_argument("-p", dest="panic", action="store_true", help="the panic task's context")
    p.add_argument("-c", dest="cpu", type=dtoi, help="the active task on CPU")
    after = {name: Completes(words=values) for name, values in VARIABLES.items()}
    completes(p.add_argument("args", nargs="*",
                             help="pid | task | radix 10|16 | scroll on|off | output MODE"),
              Completes(names=("pid", "task"), words=tuple(VARIABLES), after=after))
    return p


@command("set", "set a process context or internal crashsh variable", set_parser,
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
        task = cpu_curr(prog, args.cpu)
        if task.value_() == session.context.value_():
            return None  # crash prints nothing when the context is already that task
        session.context = task
    elif args.args:
        name, values = args.args[0], args.args[1:]
        if name in VARIABLES or name in ("hex", "dec"):
            return change_setting(session, name, values)
        session.context = task_table(prog).get(name).tasks[0]
    return context_info(session)


def change_setting(session, name: str, values: list[str]) -> SettingValue:
    settings = session.settings
    value = values[0] if values else None
    if name in ("hex", "dec"):
        name, value = "radix", ("16" if name == "hex" else "10")
    if name == "radix":
        if value is not None:
            if value == "10" or value.startswith(("dec", "ten")):
                settings.radix = 10
            elif value == "16" or value.startswith(("hex", "six")):
                settings.radix = 16
            else:
                raise CommandError(f"invalid radix: {value}")
        return SettingValue("output radix", f"{settings.radix} ({'decimal' if settings.radix == 10 else 'hex'})")
    if name == "scroll":
        if value is not None:
            if value not in ("on", "off"):
                raise CommandError(f"invalid scroll setting: {value}")
            settings.scroll = value == "on"
        pager = "(/usr/bin/less)" if shutil.which("less") else "(none)"
        return SettingValue("scroll", f"{'on' if settings.scroll else 'off'} {pager}")
    if value is not None:
        if value not in OUTPUT_MODES:
            raise CommandError(f"invalid output mode: {value} (one of {', '.join(OUTPUT_MODES)})")
        settings.output = value
    return SettingValue("output", settings.output)
