"""Plain text of ps and its modes (crash's task.c: show_ps_data, show_task_times, ...)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.ps import (
    Children,
    CpuLastRuns,
    LastRun,
    LastRunAge,
    ParentChain,
    PsRow,
    StateSummary,
    TaskArgs,
    TaskListing,
    TaskReport,
    TaskRlimits,
    TaskTimes,
    ThreadGroup,
)
from crashsh.conventions.notices import Notice
from crashsh.records import TaskHeader
from crashsh.render.common import centered, nanoseconds_text, task_header_line
from crashsh.render.plain import plain

ADDRESS_WIDTH = 16
UNLIMITED = "(unlimited)"


@plain.register
def _(listing: TaskListing) -> Iterator[str]:
    yield from map(Notice.text, listing.notices)
    if listing.header:
        column = (centered("KSTACKP", ADDRESS_WIDTH, right_bias=True) if listing.kstackp
                  else centered("TASK", ADDRESS_WIDTH))
        yield f"      PID    PPID  CPU {column}  ST  %MEM      VSZ      RSS  COMM\n"
    for row in listing.rows:
        yield row_line(row, listing.kstackp)


def row_line(row: PsRow, kstackp: bool) -> str:
    """``%7ld %7ld %3s  %s %3s``, %MEM, ``%8ld %8ld  `` and the command (bracketed for kthreads)."""
    address = row.kstackp if kstackp else row.task
    column = centered("--" if address is None else f"{address:x}", ADDRESS_WIDTH, right_bias=True)
    mem = f"{row.mem_percent:.1f}"
    if len(mem) == 3:
        mem = centered(mem, 4, right_bias=True)
    pad = " " if len(row.state) > 3 else "  "
    comm = f"[{row.comm}]" if row.kthread else row.comm
    return (
        f"{'> ' if row.active else '  '}{row.pid:7d} {row.ppid:7d} {row.cpu:3d}  {column} "
        f"{row.state:>3}{pad}{mem} {row.vsz:8d} {row.rss:8d}  {comm}\n"
    )


@plain.register
def _(summary: StateSummary) -> Iterator[str]:
    for state, count in summary.counts.items():
        yield f"  {state}: {count}\n"


@plain.register
def _(report: TaskReport) -> Iterator[str]:
    yield from map(Notice.text, report.notices)
    for entry in report.entries:
        yield from plain(entry)


@plain.register
def _(entry: ParentChain) -> Iterator[str]:
    for depth, header in enumerate(entry.chain):
        yield " " * depth + task_header_line(header) + "\n"
    yield "\n"


def task_with_members(head: TaskHeader, members: list[TaskHeader], none: str) -> Iterator[str]:
    """A task line, its members indented by two (or ``(no ...)``), then a blank line."""
    yield task_header_line(head) + "\n"
    for member in members:
        yield "  " + task_header_line(member) + "\n"
    if not members:
        yield f"  ({none})\n"
    yield "\n"


@plain.register
def _(entry: Children) -> Iterator[str]:
    yield from task_with_members(entry.task, entry.children, "no children")


@plain.register
def _(entry: ThreadGroup) -> Iterator[str]:
    yield from task_with_members(entry.leader, entry.threads, "no threads")


def run_time(seconds: int) -> str:
    """crash's convert_time(): ``[N days, ]HH:MM:SS``."""
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    prefix = f"{days} days, " if days else ""
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}"


@plain.register
def _(entry: TaskTimes) -> Iterator[str]:
    yield (f"{task_header_line(entry.task)}\n    RUN TIME: {run_time(entry.run_time)}\n"
           f"  START TIME: {entry.start_time}\n       UTIME: {entry.utime}\n"
           f"       STIME: {entry.stime}\n\n")


@plain.register
def _(entry: LastRun) -> Iterator[str]:
    stamp = f"{entry.timestamp:>{entry.width}{'x' if entry.hex else 'd'}}"
    yield f"[{stamp}] [{entry.state}]  {task_header_line(entry.task)}\n"


@plain.register
def _(entry: LastRunAge) -> Iterator[str]:
    text = nanoseconds_text(entry.age)
    pad = " " * (entry.days_width - text.index(" "))
    yield f"[{pad}{text}] [{entry.state}]  {task_header_line(entry.task)}\n"


@plain.register
def _(block: CpuLastRuns) -> Iterator[str]:
    yield f"{'' if block.first else chr(10)}CPU: {block.cpu}\n"
    for entry in block.entries:
        yield from plain(entry)


def argument_text(pieces: list[str]) -> str:
    """crash's ARG line: every NUL that ends a non-empty string prints as a space."""
    last = len(pieces) - 1
    return "".join(piece + (" " if i < last else "") for i, piece in enumerate(pieces) if piece)


def environment_text(pieces: list[str]) -> str:
    """crash's ENV lines: a NUL ends a line; later lines are indented by 5 spaces."""
    last = len(pieces) - 1
    return "".join(
        ("     " if i else "") + piece + ("\n" if i < last else "")
        for i, piece in enumerate(pieces)
        if piece
    )


@plain.register
def _(entry: TaskArgs) -> Iterator[str]:
    yield task_header_line(entry.task) + "\n"
    if entry.args is not None:
        yield "ARG: " + argument_text(entry.args)
    if entry.env is not None:
        yield "\nENV: " + environment_text(entry.env) + "\n"
        yield "" if any(entry.env) else "\n"
    if entry.error is not None:
        yield f"ps: {entry.error}\n\n"


def rlimit_value(value: int | None) -> str:
    return UNLIMITED if value is None else centered(str(value), len(UNLIMITED))


@plain.register
def _(entry: TaskRlimits) -> Iterator[str]:
    width = max(len(limit.name) for limit in entry.limits)
    yield task_header_line(entry.task) + "\n"
    current = centered("CURRENT", len(UNLIMITED), right_bias=True)
    maximum = centered("MAXIMUM", len(UNLIMITED), right_bias=True)
    yield f"  {'RLIMIT':>{width}}   {current}   {maximum}\n"
    for limit in entry.limits:
        yield (f"  {limit.name:>{width}}   {rlimit_value(limit.current)}   "
               f"{rlimit_value(limit.maximum)}\n")
    yield "\n"
