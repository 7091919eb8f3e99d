"""crash's exact plain text: one renderer per data type, registered by the family modules."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Iterator
from functools import singledispatch


@singledispatch
def plain(data: object) -> Iterable[str]:
    """Yield *data* as chunks of crash-format text (each usually one line with its newline)."""
    if load_renderers(data):
        return plain(data)
    raise TypeError(f"no plain renderer for {type(data).__name__}")


def load_renderers(data: object) -> bool:
    """Import the renderer twin of the command module that defines *data*'s type
    (crashsh.commands.X -> crashsh.render.X); True when that registered something new."""
    module = type(data).__module__
    if not module.startswith("crashsh.commands."):
        return False
    name = f"crashsh.render.{module.rsplit('.', 1)[1]}"
    if name in sys.modules:
        return False
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        return False
    return True


@plain.register
def _(data: str) -> Iterator[str]:
    yield data


@plain.register
def _(data: list) -> Iterator[str]:
    for item in data:
        yield from plain(item)
