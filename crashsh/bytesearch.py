"""Finding words and strings in a buffer at C speed (bytes.find, re), for search: one call
per match (or per run of equal words), never a Python step per word."""

from __future__ import annotations

import re
from collections.abc import Iterator


class WordFinder:
    """Finds the aligned words (at a multiple of their *size* of bytes) equal to *value*
    (little-endian) but for the bits set in *mask*."""

    def __init__(self, size: int, value: int, mask: int = 0) -> None:
        self.size = size
        self.mask = mask
        self.pattern = value.to_bytes(size, "little")
        self.word = masked_pattern(size, value, mask) if mask else None
        self.repeated = re.compile(b"(?:" + re.escape(self.pattern) + b")+")
        self.key, self.key_at = key_bytes(self.pattern)

    def runs(self, data: bytes, low: int, high: int) -> list[int]:
        """Start and end, one after the other, of each run of consecutive matching words in
        data[low:high]; with a mask, each matching word on its own. The search is for the
        word's key bytes, each find ending on a word that is checked whole."""
        size = self.size
        if self.word is not None:
            return [x for at in self.masked(data, low, high) for x in (at, at + size)]
        find, starts, repeated = data.find, data.startswith, self.repeated.match
        key, key_at, pattern = self.key, self.key_at, self.pattern
        runs: list[int] = []
        at = find(key, low + key_at, high)
        while at >= 0:
            start = at - key_at
            if start % size or start + size > high or not starts(pattern, start):
                at = find(key, start - start % size + size + key_at, high)
                continue
            end = repeated(data, start, high).end()
            runs += (start, end)
            at = find(key, end + key_at, high)
        return runs

    def masked(self, data: bytes, low: int, high: int) -> Iterator[int]:
        search, size = self.word.search, self.size
        found = search(data, low, high)
        while found:
            at = found.start()
            skew = at % size
            found = search(data, at + (size - skew if skew else size), high)
            if not skew:
                yield at


def key_bytes(pattern: bytes) -> tuple[bytes, int]:
    """The longest stretch of *pattern* without a zero byte, and where it starts: bytes.find
    steps over memory (mostly zeros) fastest with a needle that has none. All zeros: all."""
    stretches = [m for m in re.finditer(rb"[^\x00]+", pattern)]
    if not stretches:
        return pattern, 0
    longest = max(stretches, key=lambda m: m.end() - m.start())
    return longest.group(), longest.start()


def masked_pattern(size: int, value: int, mask: int) -> re.Pattern[bytes]:
    """A word of *size* bytes (little-endian) equal to *value* but for the bits in *mask*."""
    parts = []
    for shift in range(0, size * 8, 8):
        m, v = (mask >> shift) & 0xFF, (value >> shift) & 0xFF
        allowed = [b for b in range(256) if b | m == v | m]
        if len(allowed) == 256:
            parts.append(b".")
        elif len(allowed) == 1:
            parts.append(re.escape(bytes(allowed)))
        else:
            parts.append(b"[" + b"".join(re.escape(bytes([b])) for b in allowed) + b"]")
    return re.compile(b"".join(parts), re.DOTALL)


def occurrences(data: bytes, needle: bytes, low: int, high: int) -> Iterator[int]:
    """Every offset where *needle* lies wholly in data[low:high], overlaps included."""
    find = data.find
    at = find(needle, low, high)
    while at >= 0:
        yield at
        at = find(needle, at + 1, high)


PRINTABLE = bytes(c if 0x20 <= c < 0x7F else ord(".") for c in range(256))


def printable(data: bytes) -> str:
    """*data* as crash prints it: isprint() characters, "." for the others."""
    return data.translate(PRINTABLE).decode("ascii")
