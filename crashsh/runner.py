"""Running crash commands: parse a command's arguments, run it, render its data, and turn
every failure into the error lines crash prints. Used by the cmd2 shell and, for plain command
lines (no pipes, redirection or shell built-ins), directly: a one-shot `crashsh -c ps` or
commands on stdin then never pay for importing cmd2 and prompt_toolkit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterable, Iterator

import drgn

from crashsh.errors import CrashshError, UsageError
from crashsh.parsing import HelpRequested
from crashsh.registry import command_names, get_command
from crashsh.render import render



class CommandRunner:
    """Runs one command at a time for a shell. The host provides ``session``, ``stdout`` (the
    current, possibly redirected, output), ``terminal`` (the unredirected one), ``stderr``,
    ``debug`` and ``failures``."""

    session: object
    stdout: object
    terminal: object
    stderr: object
    debug: bool
    failures: int

    @property
    def redirecting(self) -> bool:
        return False

    def run_command(self, name: str, argv: list[str]) -> None:
        """Parse, run and render one command; any failure becomes one line of output."""
        try:
            cmd = get_command(name)
            args = cmd.parser().parse_args(argv)
            if cmd.needs_dump and self.session is None:
                raise CrashshError("no dump is open")
            data = cmd.run(self.session, args)
            kept: list = []
            if isinstance(data, Iterator):
                data = keep_items(data, kept)
            with self.paged_output() as out:
                render(data, self.output_mode(), out)
            if self.session is not None:
                self.session.last_result = kept if isinstance(data, Iterator) else data
        except HelpRequested as e:
            self.stdout.write(str(e))
        except UsageError as e:
            self.usage_error(name, str(e), e.usage)
        except (BrokenPipeError, ConnectionResetError):
            pass  # `| head` closed the pipe: not an error
        except KeyboardInterrupt:
            self.error(name, "interrupted")
        except CrashshError as e:
            self.error(name, str(e))
        except drgn.FaultError as e:
            self.error(name, f"invalid address: {e}")
        except Exception as e:  # noqa: BLE001 - a command bug must not end the session
            if self.debug:
                traceback.print_exc()
            self.error(name, f"{type(e).__name__}: {e}")

    @contextlib.contextmanager
    def paged_output(self):
        """At a terminal with `set scroll on`, page through less -FRX (as crash does); else
        write straight to the (possibly redirected) output."""
        scroll = self.session is not None and self.session.settings.scroll
        if not (scroll and self.stdout is self.terminal and self.stdout.isatty()
                and shutil.which("less")):
            yield self.stdout
            return
        proc = subprocess.Popen(["less", "-FRX"], stdin=subprocess.PIPE, text=True,
                                stdout=self.stdout)
        try:
            yield proc.stdin
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            proc.wait()

    def error(self, name: str, message: str) -> None:
        """One error line, where crash puts it: in the output (and on the terminal when the
        output is redirected); on stderr in JSON mode so the JSON stays parseable."""
        self.error_text(f"{name}: {message}\n")

    def error_text(self, text: str) -> None:
        """Count a failure and write its text where errors go (see error())."""
        self.failures += 1
        targets = [self.stderr] if self.output_mode() == "json" else [self.stdout]
        if self.stdout is not self.terminal and targets[0] is self.stdout:
            targets.append(self.terminal)
        for target in targets:
            try:
                target.write(text)
                target.flush()
            except (BrokenPipeError, ValueError):
                pass

    def usage_error(self, name: str, message: str, usage: str) -> None:
        """As crash: the reason on stderr, then crash's usage block in the output."""
        self.stderr.write(f"{name}: {message}\n")
        synopsis = get_command(name).synopsis
        if synopsis is None:
            self.error(name, usage.rstrip("\n"))
        else:
            self.error_text(f"Usage:\n  {name} {synopsis}\nEnter \"help {name}\" for details.\n")

    def output_mode(self) -> str:
        """json when asked; plain when redirected, piped or not a terminal; else rich."""
        mode = self.session.settings.output if self.session else "plain"
        if mode == "json" or mode == "plain":
            return mode
        if self.redirecting or not self.stdout.isatty():
            return "plain"
        return "rich"



class LineRunner(CommandRunner):
    """Runs plain command lines without cmd2, until a line needs the shell."""

    QUIT = ("q", "exit", "quit")

    def __init__(self, session, *, debug: bool = False, stdout=None, stderr=None) -> None:
        self.session = session
        self.stdout = self.terminal = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.debug = debug
        self.failures = 0
        self.aliases = {**BUILTIN_ALIASES, "drgn": "py"}

    def parse(self, line: str) -> tuple[str, list[str]] | None:
        """(command, argv) of a plain line, or None when it needs the cmd2 shell: pipes,
        redirection, `!`, shell built-ins (help, alias ...), quoting errors."""
        if any(c in line for c in "|<>") or line.lstrip().startswith("!"):
            return None
        for _ in range(len(self.aliases) + 1):  # aliases may name aliases, not endlessly
            try:
                words = shlex.split(line, posix=False)
            except ValueError:
                return None
            if not words or words[0] not in self.aliases:
                break
            line = self.aliases[words[0]] + line.lstrip()[len(words[0]):]
        if not words or not (words[0] in command_names() or words[0] in self.QUIT):
            return None
        return words[0], crash_argv(words[1:])

    def is_plain(self, line: str) -> bool:
        return is_blank(line) or self.parse(line) is not None

    def run_lines(self, lines: Iterable[str]) -> tuple[bool, str | None]:
        """Run lines until one quits (True, None) or needs the shell (False, that line)."""
        for line in lines:
            if is_blank(line):
                continue
            parsed = self.parse(line)
            if parsed is None:
                return False, line
            name, argv = parsed
            if name in self.QUIT:
                return True, None
            self.run_command(name, argv)
        return False, None


def rc_files() -> list[str]:
    """$HOME/.crashshrc, then ./.crashshrc, those that exist (as crash reads .crashrc)."""
    home = os.path.expanduser("~/.crashshrc")
    return [p for p in dict.fromkeys([home, os.path.abspath(".crashshrc")]) if os.path.isfile(p)]


def is_blank(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


# crash's built-in aliases (cmdline.c alias_init), those whose targets crashsh has.
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
}

def keep_items(items: Iterator, kept: list) -> Iterator:
    """Pass *items* through while keeping them (the `py` command's `last`)."""
    for item in items:
        kept.append(item)
        yield item


def crash_argv(tokens: list[str]) -> list[str]:
    """Arguments as crash passes them: double quotes removed, single quotes kept (they mark
    regular expressions, as in `ps 'kworker.*'` and `foreach 'crash.*' bt`)."""
    return [t[1:-1] if len(t) > 1 and t[0] == t[-1] == '"' else t for t in tokens]
