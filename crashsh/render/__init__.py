"""Renderers: command data to crash text, rich output or JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

import importlib
import pkgutil

from crashsh.render.jsonout import write_json
from crashsh.render.plain import plain
from crashsh.render.richout import make_console, rich_render

MODES = ("plain", "rich", "json")


def _load_family_renderers() -> None:
    """Import every renderer module so its @plain.register calls run."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_load_family_renderers()


def render(data: object, mode: str, out: TextIO) -> None:
    """Write *data* to *out* in *mode*; iterators are rendered item by item as they come."""
    if data is None:
        return
    if mode == "json":
        write_json(data, out)
        return
    items = data if isinstance(data, Iterator) else (data,)
    if mode == "rich":
        console = make_console(out)
        for item in items:
            rich_render(item, console)
        return
    for item in items:
        for chunk in plain(item):
            out.write(chunk)
        out.flush()
