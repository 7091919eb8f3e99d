"""The interactive shell: cmd2 parses lines, redirects and pipes; commands come from the registry.

The shell knows nothing about kernels. It turns a line into (command, argv), runs the command's
data function, renders the result in the current output mode, and turns every failure into one
error line.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable

import cmd2

from crashsh.errors import CrashshError, UsageError
from crashsh.interpreter import LineInterpreter, crash_argv
from crashsh.repeat import repeat_plan
from crashsh.registry import command_names, get_command
from crashsh.runner import INTERNAL_ERROR, CommandRunner

# cmd2 built-ins that crash does not have (or has with another meaning).
CMD2_BUILTINS_TO_DROP = ("edit", "macro", "run_pyscript", "shortcuts", "ipy", "_relative_run_script")


class CrashShell(CommandRunner, cmd2.Cmd):
    """crash's prompt on cmd2: history, `!`, pipes, redirection and scripts. Lines are read by
    a LineInterpreter (comments, crash's aliases, quit words) before cmd2 parses them."""

    # crash's `alias` replaces cmd2's alias/macro subcommands (kept out of registration).
    _alias_create = _alias_delete = _alias_list = None
    _macro_create = _macro_delete = _macro_list = None

    def __init__(self, session, *, interpreter: LineInterpreter | None = None,
                 debug: bool = False, stdin=None, stdout=None, stderr=None) -> None:
        super().__init__(
            stdin=stdin,
            stdout=stdout,
            allow_cli_args=False,
            allow_clipboard=False,
            include_py=False,
            include_ipy=False,
            shortcuts={"!": "shell", "<": "input_file"},
            terminators=[],
        )
        self.session = session
        self.stderr = stderr or sys.stderr
        self.terminal = self.stdout  # where output goes when nothing is redirected
        self.debug = debug
        self.failures = 0
        self.redirector = ""
        self.prompt = session.settings.prompt if session else "crash> "
        self.default_error = "command not found: {}"
        self.hidden_commands += ["eof", "_eof", "history", "run_script", "shell", "alias", "quit",
                                 "repeat", "input_file"]
        self.input_file: str | None = None  # the file `< FILE` is reading
        self.interactive = False  # at the prompt (interact()), not running -c, -i or stdin
        self.interpreter = interpreter or LineInterpreter()
        self._commands: dict[str, Callable] = {}
        self.sync_commands()
        self.register_postcmd_hook(self._after_command)

    def _after_command(self, data: cmd2.plugin.PostcommandData) -> cmd2.plugin.PostcommandData:
        self.sync_commands()  # `extend` may have registered new commands
        self.end_line()  # the JSON document goes where the line's output goes, before cmd2
        return data      # restores a redirected or piped stdout

    def sync_commands(self) -> None:
        """Expose commands not exposed yet (they replace cmd2 built-ins such as set)."""
        for name in command_names():
            if name not in self._commands:
                self.add_command(name)

    # -- command plumbing ---------------------------------------------------------------
    def get_names(self) -> list[str]:
        names = [n for n in dir(self) if n[len("do_"):] not in CMD2_BUILTINS_TO_DROP]
        return names

    def add_command(self, name: str) -> None:
        """Expose command *name* as ``do_<name>``; its module is imported when first run."""

        def do(statement: cmd2.Statement) -> None:
            self.run_command(name, crash_argv(statement.arg_list))

        def complete(text: str, line: str, begidx: int, endidx: int):
            words = self.completion_words(text, line[:begidx].split())
            return self.basic_complete(text, line, begidx, endidx, words)

        self._commands[name] = do
        setattr(self, f"complete_{name}", complete)
        setattr(self, f"do_{name}", do)
        setattr(self, f"help_{name}", lambda: self.poutput(get_command(name).parser().format_help()))

    def completion_words(self, text: str, before: list[str] = ()) -> list[str]:
        """What completes *text* after the words *before* (the command and its words so far;
        none: a pid or a symbol). An alias's own words count as typed (`dmesg -`)."""
        from crashsh.completion import DEFAULT, candidates, offer

        prog = self.session.prog if self.session is not None else None
        if not before:
            return offer(prog, DEFAULT, text)
        target = self.interpreter.aliases.get(before[0])
        words = [*target.split(), *before[1:]] if target else list(before)
        return candidates(prog, words[0], words[1:], text)

    def completedefault(self, text: str, line: str, begidx: int, endidx: int):
        """Completion after a word that is no cmd2 command: an alias (`dmesg`, `lsmod`)."""
        return self.basic_complete(text, line, begidx, endidx,
                                   self.completion_words(text, line[:begidx].split()))

    def complete_help(self, text: str, line: str, begidx: int, endidx: int):
        """`help <TAB>`: the commands."""
        return self.basic_complete(text, line, begidx, endidx, self.visible_command_names())

    @property
    def redirecting(self) -> bool:
        return bool(self._redirecting)

    @property
    def piped(self) -> bool:
        return self.redirecting and self.redirector == "|"

    def precmd(self, statement: cmd2.Statement) -> cmd2.Statement:
        self.redirector = statement.redirector  # where the command's output goes (piped)
        return statement

    def default(self, statement: cmd2.Statement) -> None:
        words = self.reinterpret([statement.command, *statement.arg_list])
        if words is None:
            self.error("crash", f"command not found: {statement.command}")
        else:
            self.run_command(words[0], crash_argv(words[1:]))

    def _raise_keyboard_interrupt(self) -> None:
        """cmd2's SIGINT handler raises KeyboardInterrupt through this, after writing a newline
        to the output. Written from a signal handler while the command was writing to a
        redirected file, that newline was a reentrant call into the file's buffer (Python's
        `RuntimeError: reentrant call inside <_io.BufferedWriter ...>`, sometimes written into
        the file). A signal handler here writes nothing: run_command reports the interrupt."""
        raise KeyboardInterrupt

    def pexcept(self, exception: BaseException, **kwargs) -> None:
        """cmd2's last resort for a failure outside a command (run_command reports those of
        commands): a crashsh message, never Python's."""
        self.debug_trace()
        self.error("crash", INTERNAL_ERROR)

    def perror(self, *objects, **kwargs) -> None:
        """cmd2's complaint about a line it could not run (its syntax, a redirection that
        failed): the line failed; in JSON mode the complaint is the line's error."""
        self.failures += 1
        if self.output_mode() == "json":
            self.json_document().fail(" ".join(map(str, objects)))
        else:
            super().perror(*objects, **kwargs)

    def emptyline(self) -> bool:
        return False

    # -- feeding lines ---------------------------------------------------------------------
    def onecmd_plus_hooks(self, line: str, **kwargs) -> bool:
        """Run one line as the interpreter reads it; True when it quit."""
        raw, line = line.strip(), self.interpreter.read(line)
        if line is None:
            return False
        if self.interpreter.is_quit(line):
            return True
        self.line = raw
        try:
            return super().onecmd_plus_hooks(line, **kwargs)
        finally:
            self.end_line()  # a document the postcommand hook did not end (cmd2 failed)

    def interact(self) -> None:
        """The prompt, with the history of earlier sessions (crashsh.history) to recall."""
        from crashsh.history import history_file, read_history, write_history

        path = history_file()
        recalled = self.main_session.history
        for line in read_history(path):
            recalled.append_string(line)
        self.interactive = True
        try:
            self.cmdloop()
        finally:
            write_history(path, recalled.get_strings())

    def run_lines(self, lines) -> bool:
        """Run command lines in order; True when one of them quit."""
        return any(self.onecmd_plus_hooks(line) for line in lines)

    # -- crash's shell built-ins ---------------------------------------------------------
    def do_alias(self, statement: cmd2.Statement) -> None:
        """command aliases: alias [name [command string]]"""
        argv = statement.argv[1:]
        aliases = self.interpreter.aliases
        if len(argv) >= 2:
            self.interpreter.add_alias(argv[0], " ".join(argv[1:]))
            return
        names = [a for a in aliases if not argv or a == argv[0]]
        if argv and not names:
            self.write_text(f"alias does not exist: {argv[0]}\n")
            return
        self.write_text("ORIGIN   ALIAS    COMMAND\n")
        for name in names:
            origin = self.interpreter.origins[name]
            words = " ".join(aliases[name].split()) + " "
            self.write_text(f"{origin:<7}  {name:<7}  {words}\n")

    def do_repeat(self, statement: cmd2.Statement) -> None:
        """crash's cmd_repeat: run the rest of the line every -SECONDS seconds until Ctrl-C,
        closed output or a failure; -c COUNT runs (one without it off the interactive prompt)."""
        try:
            plan = repeat_plan(list(statement.arg_list), self.interactive)
        except UsageError as e:
            self.error_text(e.usage)
            return
        except CrashshError as e:
            self.failure("repeat", e)
            return
        line = self.interpreter.read(" ".join(plan.words))
        if line is None:
            return
        first = line.split()[0]
        if not hasattr(self, f"do_{first}") and self.reinterpret(line.split()) is None:
            self.error("crash", f"command not found: {first}")
            return
        self.output_closed = False
        failures = self.failures
        runs = itertools.count(1) if plan.count is None else range(1, plan.count + 1)
        try:
            for run in runs:
                self.onecmd(line, add_to_history=False)
                self.end_line()  # in JSON mode each run is a document
                if self.output_closed or self.failures > failures or run == plan.count:
                    break
                time.sleep(plan.delay)
        except KeyboardInterrupt:
            pass

    def do_input_file(self, statement: cmd2.Statement) -> None:
        """crash's `< FILE` (exec_input_file): run FILE's lines, each echoed after the prompt
        unless the session is silent."""
        if self.input_file is not None:
            self.error("crash", "embedded input files not allowed!")
            return
        if not statement.arg_list:
            self.error("crash", "no input file entered!")
            return
        path = os.path.expanduser(statement.arg_list[0])
        problem = input_file_problem(path)
        if problem:
            self.error("crash", problem)
            return
        with open(path, errors="replace") as f:
            lines = f.readlines()
        silent = self.session is None or self.session.settings.silent \
            or self.output_mode() == "json"  # the documents name their lines
        self.input_file = path
        try:
            for line in lines:
                if not line.strip() or line.startswith("#"):
                    continue
                if not silent:
                    self.stdout.write(f"{self.prompt}{line.rstrip()}\n")
                if self.onecmd_plus_hooks(line):
                    return
        finally:
            self.input_file = None

    # -- cmd2's built-ins kept: their text is the line's JSON document -----------------------
    def do_shell(self, statement: cmd2.Statement) -> None:
        """Execute a command as if at the OS prompt."""
        self.text_of(super().do_shell, statement)

    def do_history(self, statement: cmd2.Statement) -> None:
        """View, run, edit, save, or clear previously entered commands."""
        self.text_of(super().do_history, statement)

    def text_of(self, run: Callable[[cmd2.Statement], object], statement: cmd2.Statement) -> None:
        """Run a cmd2 built-in; in JSON mode its output (a shell command's too) is captured as
        the data of the line's document."""
        if self.output_mode() != "json":
            run(statement)
            return
        saved, self.stdout = self.stdout, cmd2.utils.StdSim(self.stdout)
        try:
            run(statement)
        finally:
            captured, self.stdout = self.stdout, saved
        self.write_text(captured.getvalue())

    def visible_command_names(self) -> list[str]:
        from crashsh.commands.help import help_names

        return help_names()


def input_file_problem(path: str) -> str | None:
    """Why crash would not read *path* as an input file, or None."""
    if not os.path.exists(path):
        return f"{path}: No such file or directory"
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        return f"{path}: {e.strerror}"
    if head == b"\x7fELF":
        return "input from executable files not supported yet!"
    if head[:2] == b"#!":
        return "input from shell scripts not supported yet!"
    return None
