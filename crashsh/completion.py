"""Tab completion from each command's own parser: its option strings, and for an argument what
the parser marks it as taking (crashsh.parsing.completes): names of the dump, fixed words."""

from __future__ import annotations

import argparse

from crashsh.parsing import Completes
from crashsh.registry import get_command

# an argument nothing marks: a pid or a symbol (`sym sched<TAB>`, `rd jiff<TAB>`)
DEFAULT = Completes(names=("pid", "symbol"))


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """The parser's options, help aside (crash's commands have no -h)."""
    return sorted(option for action in parser._actions if action.dest != "help"
                  for option in action.option_strings)


def value_action(parser: argparse.ArgumentParser, before: list[str]) -> argparse.Action | None:
    """The action the next word goes to: the option just typed when it takes a value in the
    next word (not getopt's ``x::``, whose value is attached: ``kmem -S=1``), else the
    positional argument."""
    last = before[-1] if before else ""
    attached = getattr(parser, "attached", "")
    for action in parser._actions:
        if last in action.option_strings and action.nargs != 0 and last[1:] not in attached:
            return action
    return next((action for action in parser._actions if not action.option_strings), None)


def what_completes(action: argparse.Action | None) -> Completes | None:
    if action is None:
        return None
    marked = getattr(action, "completes", None)
    if marked is not None:
        return marked
    if action.choices:
        return Completes(words=tuple(action.choices))
    return None if action.option_strings else DEFAULT


def candidates(prog, name: str, before: list[str], text: str) -> list[str]:
    """What completes *text* as an argument of command *name* after the words *before* (the
    command's own words, not its name); *prog* None: only what needs no dump."""
    command = get_command(name)
    if command is None:
        return []
    parser = command.parser()
    if text.startswith("-") and "-" in parser.prefix_chars:
        return [option for option in option_strings(parser) if option.startswith(text)]
    what = what_completes(value_action(parser, before))
    if what is None:
        return []
    return offer(prog, what.given(before), text)


def offer(prog, what: Completes, text: str) -> list[str]:
    """The words and names of the dump *what* names that start with *text*."""
    from crashsh.kernel.names import completions

    found = [word for word in what.words if word.startswith(text)]
    if prog is not None:
        found += completions(prog, text, what.names)
    return found
