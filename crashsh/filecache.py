"""crashsh's on-disk caches under $XDG_CACHE_HOME/crashsh, keyed by a file's identity."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def identity(path: str) -> tuple[str, int, int]:
    """A file as it is now: real path, size, mtime."""
    stat = os.stat(path)
    return os.path.realpath(path), stat.st_size, stat.st_mtime_ns


def cache_file(area: str, source: str, *extra: object, suffix: str = "") -> Path:
    """The cache file of *area* for *source* as it is now (its identity) and *extra*."""
    key = "\0".join(map(str, (*identity(source), *extra)))
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "crashsh" / area / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}{suffix}"


def filled(target: Path, write: Callable[[BinaryIO], None]) -> Path:
    """*target*, written by *write* first when it is not there yet: into a temporary file
    beside it, renamed into place once whole (an interrupted write leaves nothing behind)."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
        try:
            write(out)
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, target)
    return target
