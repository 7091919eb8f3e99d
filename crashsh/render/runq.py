"""Plain text of runq and its -t -T -m -d -g modes (crash's task.c), and runq's rich view."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.table import Table

from crashsh.commands.runq import (
    CpuRunqueue,
    RunqLags,
    RunqOnRq,
    RunqRunTimes,
    RunQueues,
    RunqTaskGroups,
    RunqTimestamps,
)
from crashsh.kernel.taskgroups import EmptyQueue, GroupHeader, QueuedTask
from crashsh.records import TaskHeader
from crashsh.render.common import nanoseconds_text
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render

NO_TASKS = "[no tasks queued]"


def task_ident(task: TaskHeader) -> str:
    """``PID: %-5ld  TASK: %lx  COMMAND: "%s"``, runq's short task line."""
    return f'PID: {task.pid:<5d}  TASK: {task.task:x}  COMMAND: "{task.command}"'


def current_line(current: TaskHeader | None, address: int) -> str:
    return f"  CURRENT: {task_ident(current) if current else f'{address:x}'}\n"


def queued_line(task: QueuedTask, indent: int) -> str:
    mark = " [CURRENT]" if task.current else ""
    return f"{' ' * indent}[{task.prio:3d}] {task_ident(task.task)}{mark}\n"


def queue_lines(queued: list[QueuedTask]) -> Iterator[str]:
    if not queued:
        yield f"     {NO_TASKS}\n"
    for task in queued:
        yield queued_line(task, 5)


def digits(value: int) -> int:
    """crash's __log10ul(): the decimal digits of *value*."""
    return len(str(value))


@plain.register
def _(listing: RunQueues) -> Iterator[str]:
    for i, queue in enumerate(listing.cpus):
        yield f"{chr(10) if i else ''}CPU {queue.cpu} "
        if queue.offline:
            yield "[OFFLINE]\n"
            continue
        yield f"RUNQUEUE: {queue.runqueue:x}\n"
        yield current_line(queue.current, queue.current_task)
        yield f"  RT PRIO_ARRAY: {queue.rt_prio_array:x}\n"
        yield from queue_lines(queue.rt)
        yield f"  CFS RB_ROOT: {queue.cfs_root:x}\n"
        yield from queue_lines(queue.cfs)


@plain.register
def _(listing: RunqTimestamps) -> Iterator[str]:
    for row in listing.cpus:
        clock = f"{row.clock:x}" if listing.hex else str(row.clock)
        yield f"{' ' if row.cpu < 10 else ''}CPU {row.cpu}: "
        if row.offline:
            yield "[OFFLINE]\n"
            continue
        yield clock + "\n"
        if row.current is None:
            yield "\n"
            continue
        indent = 8 if row.cpu < 100 else 9
        stamp = f"{row.last_run:0{len(clock)}{'x' if listing.hex else 'd'}}"
        yield f"{' ' * indent}{stamp}  {task_ident(row.current)}\n"


@plain.register
def _(listing: RunqLags) -> Iterator[str]:
    for row in listing.cpus:
        pad = " " * (2 + digits(listing.ncpus) - digits(row.cpu))
        yield f"{pad}CPU {row.cpu}: {row.seconds:.2f} secs\n"


@plain.register
def _(listing: RunqRunTimes) -> Iterator[str]:
    widest = min(digits(listing.ncpus), 4)
    for row in listing.cpus:
        pad = " " * (widest - (digits(row.cpu) - 1 if row.cpu < 1000 else 4))
        if row.offline:
            yield f"{pad}CPU {row.cpu}: [OFFLINE]\n"
        elif row.current is None:
            yield f"{pad}CPU {row.cpu}: [unknown]\n"
        else:
            text = nanoseconds_text(row.run_time)
            days = " " * (listing.days_width - text.index(" "))
            yield f"{pad}CPU {row.cpu}: [{days}{text}]  {task_ident(row.current)}\n"


@plain.register
def _(listing: RunqOnRq) -> Iterator[str]:
    for row in listing.cpus:
        yield f"{chr(10) if row.cpu else ''}CPU {row.cpu}"
        if row.offline:
            yield " [OFFLINE]\n"
            continue
        yield "\n"
        yield from queue_lines(row.tasks)


def group_lines(items: list, step: int) -> Iterator[str]:
    """The records of one root queue of runq -g; *step* is the indent per depth of its
    tasks (3 for CFS, 6 for RT)."""
    for item in items:
        if isinstance(item, QueuedTask):
            yield queued_line(item, 5 + step * item.depth)
        elif isinstance(item, EmptyQueue):
            yield f"{' ' * (5 + step * item.depth)}{NO_TASKS}\n"
        else:
            yield group_header_line(item)


def group_header_line(header: GroupHeader) -> str:
    name = f" <{header.name}>" if header.name is not None else ""
    throttled = " (THROTTLED)" if header.throttled else ""
    if header.kind == "CFS":
        return (f"{' ' * (2 + 3 * header.depth)}TASK_GROUP: {header.task_group:x}  "
                f"CFS_RQ: {header.queue:x} {name}{throttled}\n")
    return (f"{' ' * (6 * header.depth - 1)}[{header.prio:3d}] TASK_GROUP: "
            f"{header.task_group:x}  RT_RQ: {header.queue:x}{name}{throttled}\n")


@plain.register
def _(listing: RunqTaskGroups) -> Iterator[str]:
    for i, row in enumerate(listing.cpus):
        yield f"{chr(10) if i else ''}CPU {row.cpu}"
        if row.offline:
            yield " [OFFLINE]\n"
            continue
        yield "\n"
        yield current_line(row.current, row.current_task)
        if row.rt_rq is not None:
            yield f"  {row.root}_TASK_GROUP: {row.root_task_group:x}  RT_RQ: {row.rt_rq:x}\n"
            yield from group_lines(row.rt, 6)
        if row.cfs_rq is not None:
            yield f"  {row.root}_TASK_GROUP: {row.root_task_group:x}  CFS_RQ: {row.cfs_rq:x}\n"
            yield from group_lines(row.cfs, 3)


# -- rich: a table per CPU, the busiest CPU's title highlighted --------------------------------
def busiest(queues: list[CpuRunqueue]) -> int | None:
    """The CPU with the most runnable tasks, if one CPU has more than every other."""
    counts = sorted(((q.nr_running, q.cpu) for q in queues if not q.offline), reverse=True)
    if not counts or not counts[0][0] or len(counts) > 1 and counts[1][0] == counts[0][0]:
        return None
    return counts[0][1]


@rich_render.register
def _(listing: RunQueues, console: Console) -> None:
    hot = busiest(listing.cpus)
    for queue in listing.cpus:
        if queue.offline:
            console.print(f"CPU {queue.cpu} [dim]OFFLINE[/dim]")
            continue
        title = (f"CPU {queue.cpu}  RUNQUEUE {queue.runqueue:x}  "
                 f"nr_running {queue.nr_running}")
        style = "bold red" if queue.cpu == hot else "bold"
        table = Table(title=title + ("  (busiest)" if queue.cpu == hot else ""),
                      title_style=style, title_justify="left")
        for column in ("CLASS", "PRIO", "PID", "TASK", "COMMAND"):
            table.add_column(column, justify="right" if column in ("PRIO", "PID") else "left")
        current = queue.current
        table.add_row("CURRENT", "", str(current.pid) if current else "",
                      f"{queue.current_task:x}", current.command if current else "",
                      style="green")
        for kind, queued in (("RT", queue.rt), ("CFS", queue.cfs)):
            for task in queued:
                table.add_row(kind, str(task.prio), str(task.task.pid), f"{task.task.task:x}",
                              task.task.command)
        console.print(table)
