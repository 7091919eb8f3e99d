"""Exceptions that reach the user as one line of text."""


class CrashshError(Exception):
    """A failure the user should read as one line (no traceback)."""


class CommandError(CrashshError):
    """A command failed; the message is printed as ``cmd: message``."""


class UsageError(CrashshError):
    """A command line could not be parsed; the usage text follows."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage
