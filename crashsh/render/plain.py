"""crash's exact plain text: one renderer per data type, registered by the family modules."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Iterator
from functools import cache, singledispatch

from crashsh.conventions.notices import Notice
from crashsh.lazyindex import scan_package

# A renderer module registers one function per data type it formats: ``@plain.register`` above
# ``def _(name: Type)``, or ``@rich_render.register(Type)``.
RENDERER_PATTERNS = {
    kind: re.compile(rf"^@{dispatcher}\.register(?:\((\w+)\)|\s*\ndef \w+\(\w+: (\w+))",
                     re.MULTILINE)
    for kind, dispatcher in (("plain", "plain"), ("rich", "rich_render"))}


@singledispatch
def plain(data: object) -> Iterable[str]:
    """Yield *data* as chunks of crash-format text (each usually one line with its newline)."""
    if load_renderers(data):
        return plain(data)
    raise TypeError(f"no plain renderer for {type(data).__name__}")


@cache
def renderer_index(kind: str) -> dict[str, list[str]]:
    """Type name -> the modules under crashsh.render that register a *kind* ("plain" or
    "rich") renderer for a type of that name, read from their sources (tests check this
    index): plain output never imports rich."""
    return scan_package("crashsh.render", RENDERER_PATTERNS[kind])


def load_renderers(data: object, kind: str = "plain") -> bool:
    """Import the *kind* renderer modules registered for *data*'s type (or a base type) that
    are not imported yet; True when there were any."""
    modules = [f"crashsh.render.{module}" for cls in type(data).__mro__
               for module in renderer_index(kind).get(cls.__name__, ())]
    missing = [name for name in dict.fromkeys(modules) if name not in sys.modules]
    for name in missing:
        importlib.import_module(name)
    return bool(missing)


@plain.register
def _(data: str) -> Iterator[str]:
    yield data


@plain.register
def _(data: list) -> Iterator[str]:
    for item in data:
        yield from plain(item)


@plain.register
def _(notice: Notice) -> Iterator[str]:
    yield notice.text()
