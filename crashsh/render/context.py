"""Plain text of `set NAME [VALUE]`, `set -v` and `set -a` (crash's cmd_set and show_options)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.context import ActiveMarked
from crashsh.commands.variables import CrashVariables, SettingValue
from crashsh.render.plain import plain


@plain.register
def _(setting: SettingValue) -> Iterator[str]:
    yield setting.text() + "\n"


@plain.register
def _(listing: CrashVariables) -> Iterator[str]:
    for name, value in listing.variables:
        yield f"{name:>14}: {value}\n"


@plain.register
def _(marked: ActiveMarked) -> Iterator[str]:
    yield (f'"{marked.command}" task {marked.task:x} has been marked as the active task '
           f"on cpu {marked.cpu}\n")
