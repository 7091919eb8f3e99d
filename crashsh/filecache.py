"""crashsh's on-disk caches under $XDG_CACHE_HOME/crashsh, keyed by a file's identity."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_file(area: str, source: str, *extra: object, suffix: str = "") -> Path:
    """The cache file of *area* for *source* as it is now (real path, size, mtime) and *extra*."""
    stat = os.stat(source)
    key = "\0".join(map(str, (os.path.realpath(source), stat.st_size, stat.st_mtime_ns, *extra)))
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "crashsh" / area / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}{suffix}"
