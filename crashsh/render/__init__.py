"""Renderers: command data to crash text, rich output or JSON.

A module here registers a renderer per data type (``@plain.register``); it is imported the first
time data of such a type is rendered (plain.renderer_index), so start-up loads only what a
session uses (rich only for a terminal).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from crashsh.render.plain import load_renderers, plain

MODES = ("plain", "rich", "json")


def render(data: object, mode: str, out: TextIO) -> None:
    """Write *data* to *out* in *mode*; iterators are rendered item by item as they come."""
    if data is None:
        return
    if mode == "json":
        from crashsh.render.jsonout import write_json

        write_json(data, out)
        return
    items = data if isinstance(data, Iterator) else (data,)
    if mode == "rich":
        from crashsh.render.richout import make_console, rich_render

        console = make_console(out)
        for item in items:
            load_renderers(item, "rich")  # a family may register its own rich renderer
            rich_render(item, console)
        return
    for item in items:
        for chunk in plain(item):
            out.write(chunk)
        out.flush()
