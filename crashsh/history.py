"""Command history kept between interactive sessions, one command a line as crash keeps
~/.crash_history: ~/.crashsh_history, or $CRASHSH_HISTORY (empty: keep none)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable

ENVIRONMENT = "CRASHSH_HISTORY"
DEFAULT_FILE = "~/.crashsh_history"
HISTORY_SIZE = 1000  # lines kept


def history_file() -> str | None:
    """The history file, or None when $CRASHSH_HISTORY is set but empty."""
    path = os.environ.get(ENVIRONMENT, DEFAULT_FILE)
    return os.path.expanduser(path) if path else None


def read_history(path: str | None) -> list[str]:
    """The last HISTORY_SIZE lines of *path* (none when it is missing or unreadable)."""
    if path is None:
        return []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.rstrip("\n") for line in f]
    except OSError:
        return []
    return [line for line in lines if line.strip()][-HISTORY_SIZE:]


def write_history(path: str | None, lines: Iterable[str]) -> None:
    """Keep the last HISTORY_SIZE of *lines* in *path* (readable by its owner only), replacing
    it whole so that a crash mid-write leaves the old file."""
    if path is None:
        return
    kept = [" ".join(line.split("\n")) for line in lines if line.strip()][-HISTORY_SIZE:]
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(f"{line}\n" for line in kept)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
