"""``--timings``: how long each phase of start-up and each command take, on stderr."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Timings:
    """Times named phases and writes one line per phase to *out* as it ends (nothing when
    *out* is None)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    @property
    def enabled(self) -> bool:
        return self.out is not None

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report(name, time.perf_counter() - start)

    def report(self, name: str, seconds: float) -> None:
        if self.out is not None:
            self.out.write(f"timing: {name:<20} {seconds:8.3f} s\n")
            self.out.flush()
