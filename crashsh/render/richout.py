"""Terminal output with rich: tables and highlighting for people (never for scripts)."""

from __future__ import annotations

from functools import singledispatch
from typing import TextIO

from rich.console import Console
from rich.text import Text

from crashsh.render.plain import plain


def make_console(out: TextIO) -> Console:
    """A console that never wraps or cuts crash's lines. Rich mode is only chosen for a
    terminal, so colour is forced on (the output may pass through the pager's pipe)."""
    return Console(file=out, soft_wrap=True, highlight=True, force_terminal=True)


@singledispatch
def rich_render(data: object, console: Console) -> None:
    """Default: crash's text, highlighted (numbers, addresses, strings)."""
    text = "".join(plain(data))
    console.print(Text(text[:-1] if text.endswith("\n") else text))


def stream_plain(data: object, console: Console) -> None:
    """crash's text as it comes, unhighlighted: for listings too long to highlight (262k
    struct page rows)."""
    for chunk in plain(data):
        console.file.write(chunk)
