"""Address ranges looked up by bisect: which module, stack or area holds an address."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class Ranges(Generic[T]):
    """Non-overlapping [start, end) ranges, each with a value; empty ranges are dropped."""

    def __init__(self, ranges: Iterable[tuple[int, int, T]]) -> None:
        found = sorted(((start, end, value) for start, end, value in ranges if end > start),
                       key=lambda r: r[0])
        self.starts = [start for start, _, _ in found]
        self.ends = [end for _, end, _ in found]
        self.values = [value for _, _, value in found]

    def find(self, address: int) -> T | None:
        """The value of the range that holds *address*, or None."""
        i = bisect.bisect_right(self.starts, address) - 1
        return self.values[i] if i >= 0 and address < self.ends[i] else None
