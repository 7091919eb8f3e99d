"""Plain text of `set` settings lines."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.context import SettingValue
from crashsh.render.plain import plain


@plain.register
def _(setting: SettingValue) -> Iterator[str]:
    yield setting.text() + "\n"
