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

    def _get_values(self, action: argparse.Action, arg_strings: list[str]):
        """An option's attached "--" (``-p--``) is its argument, as getopt reads it; argparse
        would drop it as the end of the options and leave the option a list."""
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise HelpRequested(self.format_help())

    def print_help(self, file=None) -> None:  # noqa: ARG002 - argparse calls it for -h
        raise HelpRequested(self.format_help())
