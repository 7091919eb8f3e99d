"""Rich output at a terminal: crash's lines exactly (colour only), for the commands that have
their own colours."""

from __future__ import annotations

import io
import re
import shlex

import pytest

from crashsh.registry import get_command
from crashsh.render import render

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LINES = ["bt", "bt -a", "foreach bt", "ps", "log", "log -m", "kmem -s", "kmem -i", "mod",
         "files 1"]


def rendered(crashsh, line: str, mode: str) -> str:
    name, *argv = shlex.split(line)
    command = get_command(name)
    data = command.run(crashsh.session, command.parser().parse_args(argv))
    out = io.StringIO()
    render(data, mode, out)
    return out.getvalue()


@pytest.mark.parametrize("line", LINES)
def test_rich_is_crash_text_in_colour(crashsh, line):
    rich = rendered(crashsh, line, "rich")
    assert ANSI.search(rich), "no colour"
    # the terminal shows a tab as spaces to the next multiple of 8: rich writes those spaces
    plain = "".join(l.expandtabs(8) for l in rendered(crashsh, line, "plain").splitlines(True))
    assert ANSI.sub("", rich) == plain


def test_states_and_levels_have_their_colours(crashsh):
    ps = rendered(crashsh, "ps", "rich")
    running = next(l for l in ps.splitlines() if " RU " in ANSI.sub("", l))
    assert "\x1b[1;32mRU" in running  # bold green
    log = rendered(crashsh, "log", "rich")
    panic = next(l for l in log.splitlines() if "Kernel panic" in l)
    assert "\x1b[" in panic.split("Kernel panic")[0]  # the level's colour reaches the text


class Terminal(io.StringIO):
    """Output that says it is a terminal (what LineRunner asks before colouring)."""

    def isatty(self) -> bool:
        return True


def test_errors_are_red_at_a_terminal_and_plain_elsewhere(crashsh):
    from crashsh.runner import LineRunner

    session = crashsh.session
    mode, scroll = session.settings.output, session.settings.scroll
    try:
        session.settings.output, session.settings.scroll = "auto", False  # no pager
        out = Terminal()
        LineRunner(session, stdout=out, stderr=io.StringIO()).run_lines(["frob", "bt 999999"])
        assert ANSI.sub("", out.getvalue()) == ("crash: command not found: frob\n"
                                                "bt: invalid task or pid value: 999999\n")
        assert out.getvalue().count("\x1b[31m") == 2
        out = io.StringIO()
        LineRunner(session, stdout=out, stderr=io.StringIO()).run_lines(["frob", "bt 999999"])
        assert "\x1b[" not in out.getvalue()
    finally:
        session.settings.output, session.settings.scroll = mode, scroll
