"""Argument parsing for crash commands: argparse that raises instead of exiting."""

from __future__ import annotations

import argparse
from typing import NoReturn

from crashsh.errors import UsageError


class HelpRequested(Exception):
    """``-h``/``--help`` was given; the parser's help text is the message."""


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become UsageError, never SystemExit."""

    def __init__(self, prog: str, description: str = "", **kwargs) -> None:
        super().__init__(prog=prog, description=description, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise HelpRequested(self.format_help())

    def print_help(self, file=None) -> None:  # noqa: ARG002 - argparse calls it for -h
        raise HelpRequested(self.format_help())
