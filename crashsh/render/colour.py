"""Colour at a terminal for the commands people read most (bt, ps, log, the kmem, files and mod
tables): crash's exact lines, styled span by span, never changed or cut."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.text import Text

from crashsh.commands.bt import BtListing, ForeachTrace
from crashsh.commands.files import TaskFiles
from crashsh.commands.foreach import ForeachTask
from crashsh.commands.kmem_slabs import CacheTable
from crashsh.commands.kmem_usage import MemoryInfo
from crashsh.commands.log import LogListing
from crashsh.commands.modules import ModuleListing
from crashsh.commands.ps import TaskListing
from crashsh.render.log import record_text
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render

Styler = Callable[[Text], None]

TASK_LINE = re.compile(r"^PID: .*")
FRAME = re.compile(r"^(?P<num> ?#\d+) (?P<sp>\[[0-9a-f]+\]) (?P<fn>\S+) at (?P<pc>[0-9a-f]+)"
                   r"(?P<mod> \[\S+\])?")
REGISTERS = re.compile(r"^ {4}(?:[A-Z0-9_]+: [0-9a-f]+ *)+$|^ {4}\[exception RIP: .*")
SWITCH = re.compile(r"^--- <.*> ---$|^ *(?:--- )?<.*stack>.*")
PS_ROW = re.compile(r"^(?P<active>>?) +\d+ +\d+ +\d+ +[0-9a-f]+ +(?P<state>[A-Z]{2}) ")
STATE_STYLES = {"RU": "bold green", "UN": "bold red", "ZO": "magenta", "ST": "yellow",
                "TR": "yellow", "DE": "dim", "ID": "dim", "WA": "cyan", "PA": "cyan",
                "NE": "cyan", "SW": "cyan"}
# dmesg --color's levels: emergency to critical reversed red, errors red, warnings yellow ...
LEVEL_STYLES = {0: "bold reverse red", 1: "bold reverse red", 2: "bold red", 3: "red",
                4: "yellow", 5: "bold", 6: "", 7: "dim"}
HEADING = re.compile(r"^[^a-z0-9]*[A-Z]{2,}[^a-z0-9]*[A-Z]{2,}[^a-z0-9]*$")
TIMESTAMP = re.compile(r"^\[[ 0-9.]+\]|^\[[A-Z][a-z]{2} [^\]]+\]")


def print_styled(console: Console, chunks: Iterable[str], styler: Styler) -> None:
    """Print crash's text chunk by chunk (streaming), each line styled by *styler*."""
    for chunk in chunks:
        for line in chunk.splitlines():
            text = Text(line)
            styler(text)
            console.print(text, highlight=False)


def style_groups(text: Text, match: re.Match | None, styles: dict[str, str]) -> None:
    if match is None:
        return
    for group, style in styles.items():
        if match.group(group) and style:
            text.stylize(style, *match.span(group))


def bt_line(text: Text) -> None:
    line = text.plain
    if TASK_LINE.match(line):
        text.stylize("bold")
    elif match := FRAME.match(line):
        style_groups(text, match, {"num": "dim", "sp": "dim", "fn": "bold", "pc": "dim",
                                   "mod": "cyan"})
    elif REGISTERS.match(line):
        text.stylize("dim")
    elif SWITCH.match(line):
        text.stylize("yellow")
    elif line.startswith("bt: "):  # crash's message for a task it could not trace
        text.stylize("red")


def ps_line(text: Text) -> None:
    match = PS_ROW.match(text.plain)
    if match:
        style_groups(text, match, {"active": "bold green",
                                   "state": STATE_STYLES.get(match.group("state"), "")})


def heading_line(text: Text) -> None:
    """Column headings and labels (capital words, no digits) bold."""
    if HEADING.match(text.plain):
        text.stylize("bold")


@rich_render.register(BtListing)
@rich_render.register(ForeachTrace)
@rich_render.register(ForeachTask)
def _(listing, console: Console) -> None:
    print_styled(console, plain(listing), lambda text: heading_line(text) or bt_line(text))


@rich_render.register(TaskListing)
def _(listing: TaskListing, console: Console) -> None:
    print_styled(console, plain(listing), lambda text: heading_line(text) or ps_line(text))


@rich_render.register(LogListing)
def _(listing: LogListing, console: Console) -> None:
    for record in listing.records:
        style = LEVEL_STYLES.get(record.level, "")
        for i, line in enumerate(record_text(listing.options, record).splitlines()):
            text = Text(line, style=style)
            if i == 0 and (stamp := TIMESTAMP.match(line)):
                text.stylize("green", *stamp.span())
            console.print(text, highlight=False)
    if listing.safe is not None:  # the printk_safe_seq_buf buffers that follow, as plain
        rich_render(listing.safe, console)


@rich_render.register(CacheTable)
@rich_render.register(MemoryInfo)
@rich_render.register(ModuleListing)
@rich_render.register(TaskFiles)
def _(data, console: Console) -> None:
    print_styled(console, plain(data), heading_line)
