"""crash's reading of a command line before any command runs: comments, aliases, quit words and
the rc files. One LineInterpreter serves a session: the plain runner (no cmd2) and the cmd2 shell
share it, so an alias made in one holds in the other."""

from __future__ import annotations

import os
import re
import shlex

QUIT_WORDS = ("q", "exit", "quit")
SHELL_CHARACTERS = "|<>"  # pipes and redirection: lines that need the cmd2 shell
FIRST_WORD = re.compile(r"""\A\s*([^\s"'|<>]*)""")  # the command word, as cmd2 finds it
# a word with C's -> in it (`p task->comm`): crash does not read its > as a redirection
ARROW_WORD = re.compile(r"""(?<!\S)([^\s"']*->[^\s"']*)""")

# crash's built-in aliases (cmdline.c alias_init), those whose targets crashsh has; then drgn's.
BUILTIN_ALIASES = {
    "man": "help",
    "?": "help",
    "quit": "q",
    "sf": "set scroll off",
    "sn": "set scroll on",
    "hex": "set radix 16",
    "dec": "set radix 10",
    "px": "p -x",
    "pd": "p -d",
    "for": "foreach",
    "size": "*",
    "dmesg": "log",
    "lsmod": "mod",
    "drgn": "py",
}


class LineInterpreter:
    """What a line means before a command sees it: skipped, quit, or a command line with its
    first word's alias expanded."""

    def __init__(self) -> None:
        self.aliases = dict(BUILTIN_ALIASES)
        self.origins = dict.fromkeys(BUILTIN_ALIASES, "builtin")

    def add_alias(self, name: str, target: str, origin: str = "runtime") -> None:
        self.aliases[name] = target
        self.origins[name] = origin

    def read(self, line: str) -> str | None:
        """The line to run, its alias expanded; None for a blank line or a ``#`` comment."""
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            return None
        expanded: set[str] = set()  # aliases may name aliases, each expanded once
        while (word := FIRST_WORD.match(line))[1] in self.aliases and word[1] not in expanded:
            expanded.add(word[1])
            line = self.aliases[word[1]] + line[word.end():]
        return ARROW_WORD.sub(r'"\1"', line)

    @staticmethod
    def is_quit(line: str) -> bool:
        """Whether a line read() gave ends the session."""
        return FIRST_WORD.match(line)[1] in QUIT_WORDS

    @staticmethod
    def plain_words(line: str) -> list[str] | None:
        """The words of a line read() gave, or None when it needs the cmd2 shell: pipes,
        redirection, ``!``, quoting errors."""
        if any(c in line for c in SHELL_CHARACTERS) or line.lstrip().startswith("!"):
            return None
        try:
            return shlex.split(line, posix=False)
        except ValueError:
            return None


def crash_argv(tokens: list[str]) -> list[str]:
    """Arguments as crash passes them: double quotes removed, single quotes kept (they mark
    regular expressions, as in `ps 'kworker.*'` and `foreach 'crash.*' bt`)."""
    return [t[1:-1] if len(t) > 1 and t[0] == t[-1] == '"' else t for t in tokens]


def rc_files() -> list[str]:
    """$HOME/.crashshrc, then ./.crashshrc, those that exist (as crash reads .crashrc)."""
    home = os.path.expanduser("~/.crashshrc")
    return [p for p in dict.fromkeys([home, os.path.abspath(".crashshrc")]) if os.path.isfile(p)]
