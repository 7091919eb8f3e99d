"""Plain text of search (crash's search_ulong/uint/ushort, report_match and
display_with_pre_and_post)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.memory import MemoryDisplay
from crashsh.commands.search import SearchHit, SearchNote, SearchTask, StringHit
from crashsh.render.common import task_header_line
from crashsh.render.plain import plain


@plain.register
def _(hit: SearchHit) -> Iterator[str]:
    if hit.before is None:
        yield f"{hit.address:x}: {hit.value:x} {hit.label}\n"
        return
    yield from plain(MemoryDisplay(hit.bits, "hex", True, iter(hit.before)))
    yield f"{hit.address:16x}:  {hit.value:x} {hit.label}\n"
    yield from plain(MemoryDisplay(hit.bits, "hex", True, iter(hit.after)))
    yield "\n"


@plain.register
def _(hit: StringHit) -> Iterator[str]:
    yield f"{hit.address:x}: {hit.text}\n"


@plain.register
def _(task: SearchTask) -> Iterator[str]:
    yield ("\n" if task.subsequent else "") + task_header_line(task.header) + "\n"


@plain.register
def _(note: SearchNote) -> Iterator[str]:
    yield f"search: {note.text}\n"
