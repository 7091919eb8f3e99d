"""repeat's command line (crash's cmd_repeat), and how many runs it makes.

crash reads one option, ``-SECONDS`` (dtol() of what follows the dash; any other dash word is
its usage), and then runs the command until Ctrl-C or closed output; on a dump read from a
script or a pipe it never stops. crashsh adds ``-c COUNT`` and stops a run that is not at the
interactive prompt after COUNT runs, or after one without a count: a script cannot hang.
"""

from __future__ import annotations

from dataclasses import dataclass

from crashsh.conventions.numbers import NumberError, dtol
from crashsh.errors import UsageError

REPEAT_USAGE = 'Usage:\n  repeat [-seconds] command\nEnter "help repeat" for details.\n'


@dataclass(frozen=True)
class RepeatPlan:
    delay: int  # seconds between runs
    count: int | None  # runs; None: until Ctrl-C or closed output
    words: list[str]  # the command line to run


def repeat_plan(words: list[str], interactive: bool) -> RepeatPlan:
    """The options before the command: -SECONDS (crash's) and -c COUNT (crashsh's)."""
    delay, count = 0, None
    while words and words[0].startswith("-"):
        word, words = words[0], words[1:]
        if word[1:2].isdigit():
            delay = dtol(word[1:])
        elif word[1:2] == "c":
            value = word[2:] or (words.pop(0) if words else "")
            if not value:
                raise UsageError("", REPEAT_USAGE)
            count = dtol(value)
            if count < 1:
                raise NumberError(f"invalid count: {value}")
        else:
            raise UsageError("", REPEAT_USAGE)
    if not words:
        raise UsageError("", REPEAT_USAGE)
    if count is None and not interactive:
        count = 1
    return RepeatPlan(delay, count, words)
