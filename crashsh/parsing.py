"""Argument parsing for crash commands: argparse that raises instead of exiting and reads
a command line as crash's getopt does."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import NoReturn

from crashsh.errors import UsageError


class HelpRequested(Exception):
    """``-h``/``--help`` was given; the parser's help text is the message."""


# argparse's complaints, in getopt's words (crash prints none for a missing argument)
GETOPT_WORDS = (
    (re.compile(r"argument -(\w)\b.*: expected one argument"), "option requires an argument -- '{}'"),
    (re.compile(r"argument (--\S+?)\b.*: expected one argument"), "option '{}' requires an argument"),
    (re.compile(r"the following arguments are required: "), ""),
)


class Ordered(argparse.Action):
    """Keep the options in command-line order, as (option, value) pairs under ``dest`` (give it
    the default []), for a command whose flags depend on their order (crash's getopt loop); a
    flag, or an optional argument not given, has the value None."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        value = None if self.nargs in (0, "?") and not values else values
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []),
                                       (option_string, value)])


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become UsageError, never SystemExit."""

    def __init__(self, prog: str, description: str = "", attached: str = "",
                 examples: str = "", **kwargs) -> None:
        """*attached*: the letters of getopt's ``x::`` options (an optional argument, given
        only in the same word: ``-S=1``); declare them with ``nargs="?"``. *description* and
        *examples* make the command's help page, laid out as written."""
        if examples:
            kwargs.setdefault("epilog", "examples:\n" + examples)
        if examples or "\n" in description:
            kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        # a command without options (prefix_chars="\0": every word is an argument) has no -h
        kwargs.setdefault("add_help", "-" in kwargs.get("prefix_chars", "-"))
        super().__init__(prog=prog, description=description, **kwargs)
        self.attached = attached

    def parse_args(self, args=None, namespace=None) -> argparse.Namespace:
        """As crash's getopt: options and arguments in any order, an unknown option an error;
        words no argument takes are ignored, as crash's commands ignore them."""
        if self.attached and args is not None:
            args = self.split_attached(args)
        parsed, extras = self.parse_known_intermixed_args(args, namespace)
        option = next((word for word in extras if word.startswith("-") and len(word) > 1), None)
        if option is not None:
            self.error(f"unrecognized option '{option}'" if option.startswith("--")
                       else f"invalid option -- '{option[1]}'")
        return parsed

    def split_attached(self, args: list[str]) -> list[str]:
        """Each ``x::`` option in a cluster becomes its own word ``-x=REST`` (``-x=`` without
        an argument, read as none), so that argparse never takes the next word for it; the
        letters before it stay a cluster. A letter taking an argument ends the scan."""
        takes_one = {s[1] for a in self._actions for s in a.option_strings
                     if len(s) == 2 and a.nargs is None}
        words: list[str] = []
        for i, word in enumerate(args):
            if word == "--":
                return words + args[i:]
            if not word.startswith("-") or word.startswith("--"):
                words.append(word)
                continue
            for at, letter in enumerate(word[1:], 1):
                if letter in takes_one:
                    words.append(word)
                    break
                if letter in self.attached:
                    words.extend(([word[:at]] if at > 1 else []) + [f"-{letter}={word[at + 1:]}"])
                    break
            else:
                words.append(word)
        return words

    def _get_values(self, action: argparse.Action, arg_strings: list[str]):
        """An option's attached "--" (``-p--``) is its argument, as getopt reads it; argparse
        would drop it as the end of the options and leave the option a list."""
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> NoReturn:
        for pattern, words in GETOPT_WORDS:
            if found := pattern.match(message):
                message = words.format(*found.groups())
                break
        raise UsageError(message, self.format_usage())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise HelpRequested(self.format_help())

    def print_help(self, file=None) -> None:  # noqa: ARG002 - argparse calls it for -h
        raise HelpRequested(self.format_help())


@dataclass(frozen=True, eq=False)
class Completes:
    """What Tab offers for an argument: names of the dump (crashsh.kernel.names.SOURCES keys:
    "pid", "task", "comm", "slab", "module", "symbol", "type", "struct", "union", "enum"), fixed words, and what an earlier word
    changes that to (`kmem -S` takes slab cache names, `set output` an output mode)."""

    names: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    after: dict[str, Completes] = field(default_factory=dict)

    def given(self, before: list[str]) -> Completes:
        """What applies after the words *before*: the latest word that changes it decides (an
        option with its attached value, `-S=1`, as the option)."""
        keys = (word.split("=", 1)[0] for word in reversed(before))
        return next((self.after[key] for key in keys if key in self.after), self)


TASKS = Completes(names=("pid", "task", "comm"))  # pid | task | command
PID_OR_TASK = Completes(names=("pid", "task"))


def completes(action: argparse.Action, what: Completes) -> argparse.Action:
    """Mark what tab completion offers for *action*'s values (its parser is the one source of a
    command's options and arguments, for parsing and for completion alike)."""
    action.completes = what  # type: ignore[attr-defined]
    return action
