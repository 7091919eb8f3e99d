"""Plain text of task (crash's do_task and task_struct_member)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.task import TaskDump, TaskMembers
from crashsh.render.common import task_header_line
from crashsh.render.plain import plain


@plain.register
def _(dump: TaskDump) -> Iterator[str]:
    if dump.header is not None:
        yield task_header_line(dump.header) + "\n"
    for i, value in enumerate(dump.structs):
        yield ("\n" if i else "") + f"struct {value.name} {value.text}\n"
    yield "\n"


@plain.register
def _(members: TaskMembers) -> Iterator[str]:
    yield task_header_line(members.header) + "\n"
    for item in members.items:
        if isinstance(item, str):
            yield item + "\n"
        else:
            yield from plain(item)
    yield "\n"
