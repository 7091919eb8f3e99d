"""Running crash commands: parse a command's arguments, run it, render its data, and turn
every failure into the error lines crash prints. Used by the cmd2 shell and, for plain command
lines (no pipes, redirection or shell built-ins), directly: a one-shot `crashsh -c ps` or
commands on stdin then never pay for importing cmd2 and prompt_toolkit.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterable, Iterator

import drgn

from crashsh.conventions.notices import error_log
from crashsh.conventions.usage import usage_block
from crashsh.errors import CrashshError, UsageError
from crashsh.interpreter import LineInterpreter, crash_argv
from crashsh.parsing import HelpRequested
from crashsh.registry import command_names, get_command
from crashsh.render import render
from crashsh.render.jsonout import JsonDocument

INTERNAL_ERROR = "internal error; run with --debug and report it"


KEEP_LIMIT = 1_000  # items of a streamed result that `py` sees as `last` (memory stays flat)


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
    line: str = ""  # the line being run, as read (a JSON document's "command")
    document: JsonDocument | None = None

    output_closed = False  # the last command's output was closed (ends `repeat`)

    @property
    def redirecting(self) -> bool:
        return False

    @property
    def piped(self) -> bool:
        """Whether the output goes into a pipe (`cmd | head`), not a file."""
        return False

    def run_command(self, name: str, argv: list[str]) -> None:
        """Parse, run and render one command (timed with --timings); any failure becomes crash's
        error lines (in JSON mode, the document's error). A command that printed an error notice
        has failed too."""
        with error_log() as notices:
            if self.session is None:
                self.attempt(name, argv)
            else:
                with self.session.timings.phase(" ".join([name, *argv])):
                    self.attempt(name, argv)
        if notices:
            self.failures += 1
            if self.document is not None:
                self.document.errors[:0] = [notice.line for notice in notices]

    def attempt(self, name: str, argv: list[str]) -> None:
        """run_command without the error log and timing: the command, its output, its failures."""
        try:
            cmd = get_command(name)
            args = self.parse(name, cmd.parser(), argv)
            if cmd.needs_dump and self.session is None:
                raise CrashshError("no dump is open")
            data = cmd.run(self.session, args)
            kept: list = []
            if isinstance(data, Iterator):
                data = keep_items(data, kept)
            self.show(data)
            if self.session is not None:
                self.session.last_result = kept if isinstance(data, Iterator) else data
        except HelpRequested as e:
            self.show(str(e))
        except UsageError as e:
            self.usage_error(name, str(e), e.usage)
        except (BrokenPipeError, ConnectionResetError):
            self.output_closed = True  # `| head` closed the pipe: not an error
        except KeyboardInterrupt:
            self.interrupted(name)
        except CrashshError as e:
            self.failure(name, e)
        except drgn.FaultError as e:  # a read no command expected to fail
            self.debug_trace()
            self.error(name, f"invalid kernel virtual address: {e.address:x}")
        except Exception:  # noqa: BLE001 - a command bug must not end the session
            self.debug_trace()
            self.error(name, INTERNAL_ERROR)

    def parse(self, name: str, parser, argv: list[str]):
        """The command's arguments; for a command that reads on past bad options (help), the
        getopt lines first, on stderr (in JSON mode, the document's error) and a failure."""
        try:
            return parser.parse_args(argv)
        except UsageError as e:
            if e.resume is None:
                raise
            lines = "".join(f"{name}: {line}\n" for line in str(e).split("\n"))
            if self.output_mode() == "json":
                self.error_text(lines)
            else:
                self.failures += 1
                self.stderr.write(lines)
            return e.resume

    def show(self, data: object) -> None:
        """Render a command's data: into the line's JSON document, or as text (paged)."""
        mode = self.output_mode()
        if mode == "json":
            self.json_document().write_data(data)
            return
        with self.paged_output() as out:
            render(data, mode, out)

    def write_text(self, text: str) -> None:
        """Text of a shell built-in (help, alias): in JSON mode, the document's data."""
        if self.output_mode() == "json":
            self.json_document().write_text(text)
        else:
            self.stdout.write(text)

    def json_document(self) -> JsonDocument:
        """The JSON document of the line being run (made on first need)."""
        if self.document is None:
            self.document = JsonDocument(self.stdout, self.line)
        return self.document

    def end_line(self) -> None:
        """After each line: write its JSON document, if it made one."""
        document, self.document = self.document, None
        if document is not None:
            with contextlib.suppress(BrokenPipeError, ValueError):
                document.close()

    def debug_trace(self) -> None:
        """With --debug, the traceback of the exception being handled, on stderr."""
        if self.debug:
            traceback.print_exc(file=self.stderr)

    def reinterpret(self, words: list[str]) -> list[str] | None:
        """crash's reading of a line whose first word is no command (a symbol, a type, a gdb
        print command), or None."""
        from crashsh.commands.shortcuts import reinterpret

        return reinterpret(self.session, words)

    @contextlib.contextmanager
    def paged_output(self):
        """At a terminal with `set scroll on`, page through less -FRX (as crash does); else
        write straight to the (possibly redirected) output."""
        settings = self.session.settings if self.session is not None else None
        scroll = settings is not None and settings.scroll and settings.pager is not None
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

    def failure(self, name: str, e: CrashshError) -> None:
        """crash's lines for a failed command: its notes, then its message (none when
        empty, as crash fails silently on some input); either way a failure."""
        lines = [*e.notes, str(e)] if str(e) else list(e.notes)
        self.error_text("".join(f"{name}: {line}\n" for line in lines))

    def error(self, name: str, message: str) -> None:
        """One error line, where crash puts it: in the output (and on the terminal when the
        output is redirected); in JSON mode, in the line's document. A message
        starting with a newline gets it before the name, as crash's error() does."""
        newline = "\n" if message.startswith("\n") else ""
        self.error_text(f"{newline}{name}: {message[len(newline):]}\n")

    def error_text(self, text: str) -> None:
        """Count a failure and write its text where errors go (see error()): crash's error()
        writes into a pipe only, into a redirected file and on the terminal; in JSON mode it is
        the error of the line's document."""
        self.failures += 1
        if self.output_mode() == "json":
            self.json_document().fail(text)
            return
        targets = [self.stdout]
        if self.stdout is not self.terminal and not self.piped:
            targets.append(self.terminal)
        for target in targets:
            try:
                target.write(self.in_red(text) if self.coloured(target) else text)
                target.flush()
            except (BrokenPipeError, ValueError):
                pass

    def coloured(self, target) -> bool:
        """Whether *target* is the terminal in rich mode (errors are red there)."""
        mode = self.session.settings.output if self.session else "plain"
        return target is self.terminal and mode not in ("plain", "json") and target.isatty()

    @staticmethod
    def in_red(text: str) -> str:
        return "".join(f"\x1b[31m{line}\x1b[0m\n" if line else "\n"
                       for line in text.split("\n")[:-1]) + text.split("\n")[-1]

    def interrupted(self, name: str) -> None:
        """Ctrl-C ended the command: one line on the terminal. A redirected file keeps what
        the command wrote before it (crash, too, tells only the terminal)."""
        self.failures += 1
        target = self.stderr if self.output_mode() == "json" else self.terminal
        with contextlib.suppress(BrokenPipeError, ValueError):
            line = f"{name}: interrupted\n"
            target.write(self.in_red(line) if self.coloured(target) else line)
            target.flush()

    def usage_error(self, name: str, message: str, usage: str) -> None:
        """As crash: the reason (if any) on stderr, then crash's usage block in the output;
        in JSON mode both are the document's error."""
        reason = f"{name}: {message}\n" if message else ""
        block = usage_block(name)
        if self.output_mode() == "json":
            self.error_text(reason + (block or f"{name}: {usage.strip()}"))
        elif block is None:
            self.stderr.write(reason)
            self.error(name, usage.rstrip("\n"))
        else:
            self.stderr.write(reason)
            self.error_text(block)

    def output_mode(self) -> str:
        """json when asked; plain when redirected, piped or not a terminal; else rich."""
        mode = self.session.settings.output if self.session else "plain"
        if mode == "json" or mode == "plain":
            return mode
        if self.redirecting or not self.stdout.isatty():
            return "plain"
        return "rich"


class LineRunner(CommandRunner):
    """Runs command lines: plain ones directly, without cmd2; from the first line that needs
    the shell (pipes, redirection, `!`, shell built-ins such as help and alias), every line
    goes to a cmd2 shell that shares this runner's LineInterpreter."""

    def __init__(self, session, *, debug: bool = False, stdout=None, stderr=None) -> None:
        self.session = session
        self.stdout = self.terminal = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.debug = debug
        self.failures = 0
        self.interpreter = LineInterpreter()
        self.shell = None  # the cmd2 shell, once a line needed it

    def command(self, line: str) -> tuple[str, list[str]] | None:
        """(command, argv) of a line read() gave, or None when it is not a plain command."""
        words = self.interpreter.plain_words(line)
        if words and words[0] not in command_names():
            words = self.reinterpret(words)
        if not words:
            return None
        return words[0], crash_argv(words[1:])

    def run_lines(self, lines: Iterable[str]) -> bool:
        """Run lines in order; True when one of them quit."""
        for raw in lines:
            if self.shell is not None:
                if self.shell.onecmd_plus_hooks(raw):
                    return True
                continue
            line = self.interpreter.read(raw)
            if line is None:
                continue
            if self.interpreter.is_quit(line):
                return True
            parsed = self.command(line)
            if parsed is None:
                if self.open_shell().onecmd_plus_hooks(raw):
                    return True
                continue
            self.line = raw.strip()
            self.run_command(*parsed)
            self.end_line()
        return False

    def open_shell(self):
        """The cmd2 shell, made on first need."""
        if self.shell is None:
            from crashsh.shell import CrashShell

            self.shell = CrashShell(self.session, interpreter=self.interpreter, debug=self.debug,
                                    stdout=self.stdout, stderr=self.stderr)
        return self.shell

    @property
    def total_failures(self) -> int:
        """The failed commands, here and in the shell."""
        return self.failures + (self.shell.failures if self.shell is not None else 0)


def keep_items(items: Iterator, kept: list) -> Iterator:
    """Pass *items* through while keeping the first KEEP_LIMIT of them (the `py` command's
    `last`): an endless or huge stream must not fill the memory."""
    for item in items:
        if len(kept) < KEEP_LIMIT:
            kept.append(item)
        yield item
