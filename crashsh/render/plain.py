"""crash's exact plain text: one renderer per data type, registered by the family modules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import singledispatch


@singledispatch
def plain(data: object) -> Iterable[str]:
    """Yield *data* as chunks of crash-format text (each usually one line with its newline)."""
    raise TypeError(f"no plain renderer for {type(data).__name__}")


@plain.register
def _(data: str) -> Iterator[str]:
    yield data


@plain.register
def _(data: list) -> Iterator[str]:
    for item in data:
        yield from plain(item)
