"""Run the suite through crashsh (in process, plain output) and the oracle; compare; tabulate."""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass

from tests.differential.fixtures import Fixture
from tests.differential.oracle import BANNER, run_oracle
from tests.differential.suite import SUITE, Case


@dataclass
class Comparison:
    case: Case
    line: str  # the command line with placeholders filled
    ours: str
    theirs: str

    def normalised(self, text: str, series: str) -> list[str]:
        lines = [l.rstrip() for l in text.rstrip("\n").split("\n")]
        known = self.case.known.get(series)
        if known:
            lines = [l for l in lines if not l.startswith(known[0])]
        return lines

    def compared(self, series: str) -> tuple[list[str], list[str]]:
        """crashsh's and crash's lines as compared: known lines left out and, where crash
        stopped at its known fault (Case.crash_fault: its error line, or no output at all),
        only the lines crash printed before it."""
        ours, theirs = self.normalised(self.ours, series), self.normalised(self.theirs, series)
        if self.case.crash_fault:
            fault = re.compile(self.case.crash_fault[0])
            stop = next((i for i, line in enumerate(theirs) if fault.fullmatch(line)), None)
            if theirs == [""]:
                stop = 0  # crash stopped silently: its read met an excluded page
            if stop is not None:
                ours, theirs = ours[:stop], theirs[:stop]
        return ours, theirs

    def matches(self, series: str) -> bool:
        ours, theirs = self.compared(series)
        return ours == theirs

    def similarity(self, series: str) -> float:
        a, b = self.compared(series)
        return difflib.SequenceMatcher(a=a, b=b).ratio()

    def first_difference(self, series: str) -> str:
        a, b = self.compared(series)
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else "<missing>"
            y = b[i] if i < len(b) else "<missing>"
            if x != y:
                return f"line {i + 1}: crashsh {x!r} / crash {y!r}"
        return ""


class CrashshRunner:
    """One in-process crashsh session on a fixture dump (the manifest's *dump*, or the file
    *path*, or a split kdump's parts); runs command lines, returns text."""

    def __init__(self, fixture: Fixture, dump: str = "kdump",
                 path: str | list[str] | None = None) -> None:
        from crashsh.registry import load_builtin_commands
        from crashsh.session import DebugInfoSources, Session
        from crashsh.shell import CrashShell

        load_builtin_commands()
        sources = DebugInfoSources(fixture.vmlinux, [fixture.moddir])
        self.session = Session.open(path or fixture.dump(dump), sources)
        self.session.settings.output = "plain"
        self.session.settings.silent = True  # as the oracle runs crash: -s, scroll off
        self.session.settings.scroll = False
        self.out = io.StringIO()
        self.err = io.StringIO()  # crash's getopt complaints go to its stderr, not the output
        self.shell = CrashShell(self.session, stdout=self.out, stderr=self.err)

    def run(self, line: str) -> str:
        from crashsh.commands.system import banner
        from crashsh.render import render

        self.out.seek(0)
        self.out.truncate()
        self.session.context = self.session.panic_task  # as the oracle's `set -p` does
        if line == BANNER:
            render(banner(self.session), "plain", self.out)
        else:
            self.shell.onecmd_plus_hooks(line)
        return self.out.getvalue()


def run_json(runner: "CrashshRunner", line: str):
    """*line*'s JSON data (its document's "data"), parsed."""
    return run_document(runner, line).get("data")


def run_document(runner: "CrashshRunner", line: str) -> dict:
    """*line*'s JSON document ({"command", "data", "error"}), parsed (the runner's output
    mode is restored afterwards)."""
    import json

    settings = runner.session.settings
    settings.output = "json"
    try:
        return json.loads(runner.run(line))
    finally:
        settings.output = "plain"


def run_rich(runner: "CrashshRunner", line: str) -> str:
    """*line*'s rich rendering (as at a terminal), without its colour codes."""
    import re

    from crashsh.registry import get_command
    from crashsh.render import render

    name, *argv = line.split()
    command = get_command(name)
    out = io.StringIO()
    render(command.run(runner.session, command.parser().parse_args(argv)), "rich", out)
    return re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())


def placeholders(runner: CrashshRunner, fixture: Fixture) -> dict[str, str]:
    """Values for the suite's {placeholders}, from the manifest and the dump."""
    from drgn.helpers.linux.pid import find_task

    from tests.differential.cases.files import placeholders as files_placeholders
    from tests.differential.cases.fuser import placeholders as fuser_placeholders
    from tests.differential.cases.irq import placeholders as irq_placeholders
    from tests.differential.cases.kmem import placeholders as kmem_placeholders
    from tests.differential.cases.expressions import placeholders as expressions_placeholders
    from tests.differential.cases.list import placeholders as list_placeholders
    from tests.differential.cases.memory import placeholders as memory_placeholders
    from tests.differential.cases.net import placeholders as net_placeholders
    from tests.differential.cases.set_active import placeholders as set_active_placeholders
    from tests.differential.cases.waitq import placeholders as waitq_placeholders

    prog = runner.session.prog
    manifest = fixture.manifest
    marker_pid = manifest["marker"]["pid"]
    banner_addr = prog.symbol("linux_banner").address
    return {
        "marker_pid": str(marker_pid),
        "moddir": fixture.moddir,
        "marker_task": f"{find_task(prog, marker_pid).value_():x}",
        "panic_pid": str(runner.session.panic_task.pid.value_()),
        "panic_task": f"{runner.session.panic_task.value_():x}",
        "linux_banner_plus_32": f"{banner_addr + 32:x}",
        "schedule_plus_5": f"{prog.symbol('schedule').address + 5:x}",
        "threads_pid": str(manifest["threads_proc"]["pid"]),
        "thread_tid": str(manifest["threads_proc"]["tids"][1]),
        "zombie_pid": str(manifest["zombie"]["pid"]),
        "stopped_pid": str(manifest["stopped"]["pids"][0]),
        "kthread_pid": str(manifest["test_module"]["kthread_pid"]),
        "kthread_task": f"{find_task(prog, manifest['test_module']['kthread_pid']).value_():x}",
        "zombie_parent_pid": str(manifest["zombie"]["parent_pid"]),
        **files_placeholders(prog, marker_pid),
        **fuser_placeholders(prog, marker_pid),
        **irq_placeholders(prog),
        **kmem_placeholders(prog),
        **expressions_placeholders(prog, marker_pid),
        **list_placeholders(prog, marker_pid, manifest["threads_proc"]["pid"]),
        **memory_placeholders(prog, marker_pid),
        **net_placeholders(prog, marker_pid),
        **set_active_placeholders(prog, marker_pid),
        **waitq_placeholders(prog),
    }


def compare(fixture: Fixture, cases: tuple[Case, ...] = SUITE, dump: str = "kdump",
            runner: CrashshRunner | None = None,
            values: dict[str, str] | None = None) -> list[Comparison]:
    """Each case's output from crashsh and from crash; *values* fill the placeholders (by
    default those of the main suite, from the fixture's manifest and dump)."""
    runner = runner or CrashshRunner(fixture, dump)
    values = placeholders(runner, fixture) if values is None else values
    lines = [case.line.format(**values) for case in cases]
    theirs = run_oracle(fixture, lines, dump)
    runner.session.value_history.clear()  # a new crash session numbers its values from $1
    runner.session.gdb_format = "i"  # ... and its start-up ran gdb's x/i
    return [Comparison(case, line, runner.run(line), output)
            for case, line, output in zip(cases, lines, theirs)]


def table(series: str, comparisons: list[Comparison]) -> str:
    """A per-command table: exact match, or similarity and the first differing line."""
    width = max(len(c.line) for c in comparisons)
    rows = [f"{'command (' + series + ')':<{width}}  result"]
    matched = 0
    for c in comparisons:
        if c.matches(series):
            matched += 1
            note = "exact" + (" (known difference excluded)" if series in c.case.known else "")
            if c.case.crash_fault and c.compared(series)[1] != c.normalised(c.theirs, series):
                note = "exact up to crash's known fault"
        else:
            note = f"{c.similarity(series):4.0%} similar; {c.first_difference(series)}"
        flag = "" if c.case.compatible else "  [not yet compatible]"
        rows.append(f"{c.line:<{width}}  {note}{flag}")
    rows.append(f"{matched}/{len(comparisons)} exact")
    return "\n".join(rows)
