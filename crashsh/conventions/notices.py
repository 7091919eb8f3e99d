"""The one record for a line crash prints amid a command's output, and the log of those that
are errors (a command that printed one has failed)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from crashsh.records import LAYOUT

_error_log: ContextVar[list[Notice] | None] = ContextVar("crashsh_error_notices", default=None)


@dataclass
class Notice:
    """``PREFIX: MESSAGE``, where the prefix is the command's name (or WARNING), with the
    blank lines crash puts around some of them. A notice with the command's name is crash's
    error(INFO) line and fails the command, unless *informational* (crash's diagnostics that
    are no failure, such as kmem's "ignoring pre-selected cache")."""

    prefix: str
    message: str
    blank_before: bool = field(default=False, metadata=LAYOUT)
    blank_after: bool = field(default=False, metadata=LAYOUT)
    informational: bool = field(default=False, metadata=LAYOUT)

    @property
    def is_error(self) -> bool:
        return self.prefix != "WARNING" and not self.informational

    @property
    def line(self) -> str:
        """crash's line, without the blank lines and the newline."""
        return f"{self.prefix}: {self.message}"

    def text(self) -> str:
        """The notice as crash prints it; an error notice is logged as rendered."""
        if self.is_error:
            log_error(self)
        before, after = "\n" if self.blank_before else "", "\n" if self.blank_after else ""
        return f"{before}{self.line}\n{after}"


@contextlib.contextmanager
def error_log() -> Iterator[list[Notice]]:
    """The error notices rendered (or written as JSON) while the block runs."""
    log: list[Notice] = []
    token = _error_log.set(log)
    try:
        yield log
    finally:
        _error_log.reset(token)


def log_error(notice: Notice) -> None:
    """Note an error notice in the current log (none outside a command)."""
    log = _error_log.get()
    if log is not None:
        log.append(notice)
