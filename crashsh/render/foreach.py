"""Plain text of foreach: crash's task line before each task, then the commands' own output."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.foreach import ForeachTask
from crashsh.render.common import task_header_line
from crashsh.render.plain import plain


@plain.register
def _(item: ForeachTask) -> Iterator[str]:
    if item.header is not None:
        yield ("\n" if item.subsequent else "") + task_header_line(item.header) + "\n"
    for output in item.outputs:
        yield from plain(output)
