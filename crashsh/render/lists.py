"""Plain text of list (crash's do_list)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.lists import ListEmpty, ListEntry, ListNotice
from crashsh.kernel.structview import StructNotice
from crashsh.render.plain import plain


def member_text(command: str, lines: list[str | StructNotice]) -> Iterator[str]:
    """Struct and member lines; notices as ``command: text``."""
    for line in lines:
        yield f"{command}: {line.text}\n" if isinstance(line, StructNotice) else line


@plain.register
def _(entry: ListEntry) -> Iterator[str]:
    yield f"{entry.address:x}\n"
    yield from member_text("list", entry.lines)


@plain.register
def _(empty: ListEmpty) -> Iterator[str]:
    yield "(empty)\n"


@plain.register
def _(notice: ListNotice) -> Iterator[str]:
    yield f"list: {notice.text}" + ("\n" if notice.newline else "")
