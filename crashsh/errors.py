"""Exceptions that reach the user as crash's error lines (no traceback)."""

from __future__ import annotations

from collections.abc import Sequence


class CrashshError(Exception):
    """A failure the user reads as ``cmd: message``, after the notes crash printed on the
    way to it (each as ``cmd: note``). An empty message prints nothing (crash's silent
    failures)."""

    def __init__(self, message: str, notes: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.notes = tuple(notes)


class CommandError(CrashshError):
    """A command failed."""


class UsageError(CrashshError):
    """A command line could not be parsed: the reason on stderr (as getopt writes it), then
    crash's usage block; *usage* is shown for a command crash does not have. With *resume*
    (the arguments read without the bad options) the command runs on after the reason, as
    crash's help does."""

    def __init__(self, message: str, usage: str, resume: object = None) -> None:
        super().__init__(message)
        self.usage = usage
        self.resume = resume
