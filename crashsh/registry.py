"""The command registry: one decorator registers a crash command with its parser."""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from crashsh.lazyindex import scan_package
from crashsh.parsing import CommandParser

Runner = Callable[[Any, argparse.Namespace], Any]


@dataclass(frozen=True)
class Command:
    """A registered command: its name, one-line summary, parser and data function, and crash's
    synopsis of it (``help CMD``), shown on a usage error."""

    name: str
    summary: str
    make_parser: Callable[[], CommandParser]
    run: Runner
    needs_dump: bool = True
    synopsis: str | None = None

    def parser(self) -> CommandParser:
        """The command's parser, built on first use and kept (parsing does not change it)."""
        return parser_of(self.make_parser)


@cache
def parser_of(make_parser: Callable[[], CommandParser]) -> CommandParser:
    return make_parser()


COMMANDS: dict[str, Command] = {}

# A built-in command is registered by ``@command("name", ...)`` in a module under crashsh.commands.
COMMAND_PATTERN = re.compile(r'^@command\(\s*"([^"]+)"', re.MULTILINE)


@cache
def builtin_commands() -> dict[str, str]:
    """Which module under crashsh.commands registers each built-in command, read from their
    sources: a module is imported when one of its commands is first used (tests check this)."""
    return {name: modules[0] for name, modules in
            scan_package("crashsh.commands", COMMAND_PATTERN).items()}


F = TypeVar("F", bound=Callable[..., Any])

# foreach keyword -> function(session, flags) -> the keyword's function(task, subsequent) -> data
# for that task: foreach's flags are read once, not once per task
TaskRun = Callable[[Any, bool], Any]
FOREACH_HANDLERS: dict[str, Callable[[Any, "dict[str, Any]"], TaskRun]] = {}
# foreach keyword -> function(flags) yielding notices: crash's checks of the keyword's flags
# before any task (they may change the flags, or fail the whole foreach after the notices)
FOREACH_CHECKS: dict[str, Callable[["dict[str, Any]"], Iterator[Any]]] = {}


def keyed(table: dict[str, Any], key: str) -> Callable[[F], F]:
    """A decorator that puts the function into *table* under *key*."""

    def register(function: F) -> F:
        table[key] = function
        return function

    return register


def foreach_handler(keyword: str) -> Callable[[F], F]:
    """Register what `foreach ... KEYWORD` does: given the session and crash's foreach options
    (flags), once before the first task, it returns what is done for each task."""
    return keyed(FOREACH_HANDLERS, keyword)


def foreach_check(keyword: str) -> Callable[[F], F]:
    """Register what `foreach ... KEYWORD` checks once, before its first task."""
    return keyed(FOREACH_CHECKS, keyword)


def command(
    name: str, summary: str, parser: Callable[[], CommandParser], *,
    synopsis: str | None = None, needs_dump: bool = True,
) -> Callable[[Runner], Runner]:
    """Register ``run(session, args) -> data`` as the crash command *name*; *synopsis* is
    crash's (``help CMD``), printed in the usage block of a usage error."""

    def register(run: Runner) -> Runner:
        COMMANDS[name] = Command(name, summary, parser, run, needs_dump, synopsis)
        return run

    return register


ENTRY_POINT_GROUP = "crashsh.commands"


def command_names() -> list[str]:
    """Every command: the built-ins (loaded or not) and the extensions' registered ones."""
    return sorted(set(builtin_commands()) | set(COMMANDS))


def get_command(name: str) -> Command | None:
    """The registered command *name*, importing its built-in module on first use."""
    if name not in COMMANDS and name in builtin_commands():
        importlib.import_module(f"crashsh.commands.{builtin_commands()[name]}")
    return COMMANDS.get(name)


def get_foreach_handler(keyword: str) -> Callable[..., Any] | None:
    """The foreach handler for *keyword* (its command's module is imported on first use)."""
    get_command(keyword)
    return FOREACH_HANDLERS.get(keyword)


def get_foreach_check(keyword: str) -> Callable[..., Iterator[Any]] | None:
    """The check foreach runs for *keyword* before any task, if it has one."""
    get_command(keyword)
    return FOREACH_CHECKS.get(keyword)


def load_builtin_commands() -> None:
    """Import every module under crashsh.commands so their decorators run."""
    import pkgutil

    import crashsh.commands as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")


def load_installed_extensions() -> list[str]:
    """Load installed packages' commands (entry point group ``crashsh.commands``); return errors."""
    from importlib.metadata import entry_points

    errors = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as e:  # noqa: BLE001 - a broken extension must not stop crashsh
            errors.append(f"extension {entry.name}: {type(e).__name__}: {e}")
    return errors
