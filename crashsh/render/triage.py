"""Text of crashsh triage: one dump's report, and a fleet's clusters then one line per dump."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from crashsh.render.plain import plain
from crashsh.render.richout import rich_render
from crashsh.triage.classify import StackFrame
from crashsh.triage.fleet import DumpVerdict, FleetReport
from crashsh.triage.report import LogLine, Report

LABEL = 10


def frame_text(frame: StackFrame) -> str:
    return f"{frame.function} [{frame.module}]" if frame.module else frame.function


def mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def uptime(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days} days, {text}" if days else text


def log_line(entry: LogLine) -> str:
    return f"[{entry.time:12.6f}] {entry.text}"


def fields(report: Report) -> Iterator[tuple[str, str]]:
    """The report's head as (label, value) pairs."""
    k, t, p = report.kernel, report.taint, report.panic
    yield "KERNEL", f"{k.release} {k.arch}  ({k.version})"
    yield "SYSTEM", (f"{k.cpus} CPUs, {mib(k.memory)}, up {uptime(k.uptime)}, {k.date}, "
                     f"node {k.nodename}")
    taint = f"{t.value:#x} {t.letters}" if t.value else "not tainted"
    yield "TAINT", taint
    for reason in t.reasons:
        yield "", f"  {reason.letter}: {reason.reason}"
    if t.modules:
        yield "", "  by modules: " + ", ".join(f"{m.name} ({m.taints})" for m in t.modules)
    yield "PANIC", f"{p.kind}: {p.message}" if p.message else p.kind
    yield "TASK", f'PID {p.pid} "{p.comm}" on CPU {p.cpu}'
    if p.function:
        where = f" [{p.module}]" if p.module else ""
        at = f" at {p.address:#x}" if p.address is not None else ""
        source = f" ({p.file}:{p.line})" if p.file else ""
        yield "FAULT", f"{p.function}{where}{at}{source}"
    yield "SIGNATURE", report.signature


def sections(report: Report) -> Iterator[tuple[str, list[str]]]:
    """The report's body: (title, lines) for each part that has something to say."""
    yield "STACK", [f"#{i:<2} {frame_text(f)}" for i, f in enumerate(report.panic.stack)]
    hung = []
    for group in report.hung_tasks:
        hung.append(f"{group.count} task(s):")
        hung.extend(f"  PID {t.pid} ({t.comm})" + ("" if t.blocked is None else
                                                   f" blocked {t.blocked} s")
                    for t in group.tasks)
        hung.extend(f"    {frame_text(f)}" for f in group.stack)
    yield "HUNG TASKS", hung
    yield "LOCKUPS", [f"{l.kind} lockup on CPU {l.cpu}"
                      + (f" for {l.seconds}s" if l.seconds is not None else "")
                      + (f' [{l.comm}:{l.pid}]' if l.pid is not None else "")
                      for l in report.lockups]
    if report.oom:
        victim = (f'victim PID {report.oom.victim_pid} "{report.oom.victim_comm}"'
                  if report.oom.victim_pid is not None else "no victim")
        yield "OOM", [victim, *report.oom.report]
    yield "RCU STALLS", [log_line(e) for e in report.rcu_stalls]
    yield "WARNINGS", [log_line(e) for e in report.warnings]
    m = report.memory
    yield "MEMORY", [f"total {mib(m.total)}, free {mib(m.free)}, available {mib(m.available)}",
                     *(f"{mib(c.size):>12}  {c.objects:>8} objects  {c.name}"
                       for c in m.top_slab_caches)]
    yield "LOG TAIL", [log_line(e) for e in report.log_tail]


@plain.register
def _(report: Report) -> Iterator[str]:
    for label, value in fields(report):
        yield f"{label:<{LABEL}} {value}\n"
    for title, lines in sections(report):
        if lines:
            yield f"\n{title}\n"
            yield from (f"  {line}\n" for line in lines)


@rich_render.register(Report)
def _(report: Report, console: Console) -> None:
    head = Table.grid(padding=(0, 1))
    head.add_column(style="bold cyan")
    head.add_column()
    for label, value in fields(report):
        style = "bold red" if label in ("PANIC", "SIGNATURE") else ""
        head.add_row(label, Text(value, style=style))
    console.print(head)
    for title, lines in sections(report):
        if lines:
            console.print(Text(f"\n{title}", style="bold cyan"))
            console.print(Text("\n".join(f"  {line}" for line in lines)))


def verdict_line(dump: DumpVerdict) -> str:
    if dump.error:
        return f"{dump.dump}  ERROR: {dump.error}"
    p = dump.report.panic
    return f"{dump.dump}  {dump.report.kernel.release}  {dump.report.signature}  (PID {p.pid} {p.comm})"


@plain.register
def _(fleet: FleetReport) -> Iterator[str]:
    yield "COUNT  SIGNATURE\n"
    for cluster in fleet.clusters:
        yield f"{cluster.count:>5}  {cluster.signature}  ({', '.join(cluster.kernels)})\n"
    yield "\n"
    for dump in fleet.dumps:
        yield verdict_line(dump) + "\n"


@rich_render.register(FleetReport)
def _(fleet: FleetReport, console: Console) -> None:
    table = Table(title=f"{len(fleet.dumps)} dumps, {len(fleet.clusters)} signatures")
    table.add_column("COUNT", justify="right")
    table.add_column("SIGNATURE", style="bold")
    table.add_column("KERNELS")
    for cluster in fleet.clusters:
        table.add_row(str(cluster.count), cluster.signature, ", ".join(cluster.kernels))
    console.print(table)
    for dump in fleet.dumps:
        console.print(Text(verdict_line(dump), style="red" if dump.error else ""))
