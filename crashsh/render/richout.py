"""Terminal output with rich: tables and highlighting for people (never for scripts)."""

from __future__ import annotations

from functools import singledispatch
from typing import TextIO

from rich.console import Console
from rich.text import Text

from crashsh.render.plain import plain


def make_console(out: TextIO) -> Console:
    """A console on the app's stdout that never wraps or cuts crash's lines."""
    return Console(file=out, soft_wrap=True, highlight=True)


@singledispatch
def rich_render(data: object, console: Console) -> None:
    """Default: crash's text, highlighted (numbers, addresses, strings)."""
    text = "".join(plain(data))
    console.print(Text(text[:-1] if text.endswith("\n") else text))
