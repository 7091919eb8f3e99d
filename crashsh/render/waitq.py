"""Plain text of waitq (crash's dump_waitq, kernel.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.waitq import WaitqMessage, WaitQueue
from crashsh.render.common import task_header_line
from crashsh.render.plain import plain


@plain.register
def _(queue: WaitQueue) -> Iterator[str]:
    if not queue.tasks:
        named = f'"{queue.name}" ({queue.address:x})' if queue.name else f"{queue.address:x}"
        yield f"wait queue {named} is empty\n"
    for header in queue.tasks:
        yield task_header_line(header) + "\n"


@plain.register
def _(message: WaitqMessage) -> Iterator[str]:
    yield message.text + "\n"
