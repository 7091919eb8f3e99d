"""Sorted, disjoint half-open intervals of integers (addresses, page frames), looked up by
bisection: as a set (Intervals), or each with a value (Ranges: which module or stack holds an
address)."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Intervals:
    """A set of integers kept as sorted, disjoint [start, end) intervals."""

    def __init__(self, pairs: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(pairs):
            self.add(start, end)

    def __bool__(self) -> bool:
        return bool(self.starts)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.starts, self.ends)

    def add(self, start: int, end: int) -> None:
        """Add [start, end); cheapest in increasing order (joins a touching last interval)."""
        if start >= end:
            return
        if self.starts and start <= self.ends[-1] and start >= self.starts[-1]:
            self.ends[-1] = max(self.ends[-1], end)
            return
        if not self.starts or start > self.ends[-1]:
            self.starts.append(start)
            self.ends.append(end)
            return
        pairs = list(self)
        insort(pairs, (start, end))
        self.starts, self.ends = [], []
        for a, b in pairs:
            self.add(a, b)

    def at(self, value: int) -> tuple[bool, int | None]:
        """Whether *value* is in the set, and how far beyond it that stays so (None: for
        ever)."""
        i = bisect_right(self.starts, value) - 1
        if i >= 0 and value < self.ends[i]:
            return True, self.ends[i] - value
        following = i + 1
        return False, self.starts[following] - value if following < len(self.starts) else None

    def within(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The parts of [start, end) in the set, in order."""
        i = max(bisect_right(self.starts, start) - 1, 0)
        while i < len(self.starts) and self.starts[i] < end:
            low, high = max(start, self.starts[i]), min(end, self.ends[i])
            if low < high:
                yield low, high
            i += 1

    def outside(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The parts of [start, end) not in the set, in order."""
        at = start
        for low, high in self.within(start, end):
            if at < low:
                yield at, low
            at = high
        if at < end:
            yield at, end


class Ranges(Generic[T]):
    """Disjoint [start, end) ranges, each with a value; empty ranges are dropped."""

    def __init__(self, ranges: Iterable[tuple[int, int, T]]) -> None:
        found = sorted(((start, end, value) for start, end, value in ranges if end > start),
                       key=lambda r: r[0])
        self.starts = [start for start, _, _ in found]
        self.ends = [end for _, end, _ in found]
        self.values = [value for _, _, value in found]

    def find(self, address: int) -> T | None:
        """The value of the range that holds *address*, or None."""
        i = bisect_right(self.starts, address) - 1
        return self.values[i] if i >= 0 and address < self.ends[i] else None
