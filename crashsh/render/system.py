"""Plain text of sys, sys -t, sys config, set and the startup banner (crash's kernel.c/task.c)."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.text import Text

from crashsh.commands.system import (Banner, ContextInfo, DmiInfo, KernelConfig, SysInfo,
                                     Taints)
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render


def sys_lines(info: SysInfo) -> Iterator[str]:
    yield f"      KERNEL: {info.kernel}{'  [TAINTED]' if info.tainted else ''}\n"
    yield from dumpfile_lines(info)
    offline = f" [OFFLINE: {info.cpus_offline}]" if info.cpus_offline else ""
    yield f"        CPUS: {info.cpus}{offline}\n"
    yield f"        DATE: {info.date}\n"
    yield f"      UPTIME: {info.uptime}\n"
    yield f"LOAD AVERAGE: {info.load_average}\n"
    yield f"       TASKS: {info.tasks}\n"
    yield f"    NODENAME: {info.nodename}\n"
    yield f"     RELEASE: {info.release}\n"
    yield f"     VERSION: {info.version}\n"
    mhz = f"({info.mhz} Mhz)" if info.mhz else "(unknown Mhz)"
    yield f"     MACHINE: {info.machine}  {mhz}\n"
    yield f"      MEMORY: {info.memory}\n"
    if info.panic is not None:
        check = " (check log for details)" if "Oops: " in info.panic else ""
        yield f'       PANIC: "{info.panic}"{check}\n'


def dumpfile_lines(info: SysInfo) -> Iterator[str]:
    """DUMPFILE, or for a split kdump DUMPFILES with one part a line (diskdump.c's
    show_split_dumpfiles, whose flag has one space before it)."""
    if not info.split_files:
        yield f"    DUMPFILE: {info.dumpfile}{'  [PARTIAL DUMP]' if info.partial_dump else ''}\n"
        return
    flag = " [PARTIAL DUMP]" if info.partial_dump else ""
    for i, name in enumerate(info.split_files):
        yield f"{'   DUMPFILES: ' if i == 0 else ' ' * 14}{name}{flag}\n"


def context_lines(ctx: ContextInfo, indent: int) -> Iterator[str]:
    pad = " " * indent
    count = f"(1 of {ctx.tasks_with_pid})  " if ctx.tasks_with_pid > 1 else ""
    yield f"{pad}    PID: {ctx.pid}\n"
    yield f'{pad}COMMAND: "{ctx.command}"\n'
    yield f"{pad}   TASK: {ctx.task:x}  {count}[THREAD_INFO: {ctx.thread_info:x}]\n"
    yield f"{pad}    CPU: {ctx.cpu}\n"
    yield f"{pad}  STATE: {ctx.state} {ctx.activity}\n"


@plain.register
def _(info: SysInfo) -> Iterator[str]:
    yield from sys_lines(info)


@plain.register
def _(ctx: ContextInfo) -> Iterator[str]:
    yield from context_lines(ctx, 0)


@plain.register
def _(banner: Banner) -> Iterator[str]:
    yield from sys_lines(banner.sys)
    yield from context_lines(banner.context, 5)
    yield "\n"


@plain.register
def _(taints: Taints) -> Iterator[str]:
    yield f"TAINTED_MASK: {taints.mask:x}  {taints.letters}\n"


@plain.register
def _(config: KernelConfig) -> Iterator[str]:
    for line in config.lines:
        yield line + "\n"


def label_lines(console: Console, lines: list[str]) -> None:
    """crash's ``LABEL: value`` lines with bold labels, never wrapped or cut."""
    for line in lines:
        label, colon, value = line.rstrip("\n").partition(": ")
        if not colon:  # a value's continuation line
            console.print(Text(label))
            continue
        console.print(Text.assemble((label + ": ", "bold cyan"), value))


@rich_render.register
def _(info: SysInfo, console: Console) -> None:
    label_lines(console, list(sys_lines(info)))


@rich_render.register
def _(banner: Banner, console: Console) -> None:
    label_lines(console, [*sys_lines(banner.sys), *context_lines(banner.context, 5)])
    console.print()


@plain.register
def _(dmi: DmiInfo) -> Iterator[str]:
    for name, value in dmi.fields.items():
        yield f"  {name:>{dmi.width}}: {value}\n"
