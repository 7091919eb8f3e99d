"""Renderers: command data to crash text or rich output (JSON: crashsh/render/jsonout.py).

A module here registers a renderer per data type (``@plain.register``); it is imported the first
time data of such a type is rendered (plain.renderer_index), so start-up loads only what a
session uses (rich only for a terminal).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TextIO

from crashsh.render.plain import load_renderers, plain

FLUSH_INTERVAL = 0.1  # seconds: a stream's items are flushed in batches this far apart (a
# terminal's output flushes each line itself)


def render(data: object, mode: str, out: TextIO) -> None:
    """Write *data* to *out* in *mode* (plain or rich); iterators are rendered item by item
    as they come."""
    if data is None:
        return
    items = data if isinstance(data, Iterator) else (data,)
    if mode == "rich":
        from crashsh.render.richout import make_console, rich_render

        console = make_console(out)
        for item in items:
            load_renderers(item, "rich")  # a family may register its own rich renderer
            rich_render(item, console)
        return
    flushed = 0.0
    for item in items:
        for chunk in plain(item):
            out.write(chunk)
        now = time.monotonic()
        if now - flushed >= FLUSH_INTERVAL:  # the first item at once
            out.flush()
            flushed = now
    out.flush()
