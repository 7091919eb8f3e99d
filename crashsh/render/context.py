"""Plain text of `set NAME [VALUE]` and `set -v` (crash's cmd_set and show_options)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.variables import CrashVariables, SettingValue
from crashsh.render.plain import plain


@plain.register
def _(setting: SettingValue) -> Iterator[str]:
    yield setting.text() + "\n"


@plain.register
def _(listing: CrashVariables) -> Iterator[str]:
    for name, value in listing.variables:
        yield f"{name:>14}: {value}\n"
