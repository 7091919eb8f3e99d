"""The interactive shell: cmd2 parses lines, redirects and pipes; commands come from the registry.

The shell knows nothing about kernels. It turns a line into (command, argv), runs the command's
data function, renders the result in the current output mode, and turns every failure into one
error line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import cmd2
import drgn

from crashsh import __version__
from crashsh.registry import command_names, get_command
from crashsh.runner import BUILTIN_ALIASES, CommandRunner, crash_argv, rc_files

HELP_COLUMNS = 5

# cmd2 built-ins that crash does not have (or has with another meaning).
CMD2_BUILTINS_TO_DROP = ("edit", "macro", "run_pyscript", "shortcuts", "ipy", "_relative_run_script")


class CrashShell(CommandRunner, cmd2.Cmd):
    """crash's prompt on cmd2: history, aliases, `!`, pipes, redirection and scripts."""

    # crash's `alias` replaces cmd2's alias/macro subcommands (kept out of registration).
    _alias_create = _alias_delete = _alias_list = None
    _macro_create = _macro_delete = _macro_list = None

    def __init__(self, session, *, debug: bool = False, stdin=None, stdout=None, stderr=None) -> None:
        super().__init__(
            stdin=stdin,
            stdout=stdout,
            allow_cli_args=False,
            allow_clipboard=False,
            include_py=False,
            include_ipy=False,
            shortcuts={"!": "shell"},
            terminators=[],
        )
        self.session = session
        self.stderr = stderr or sys.stderr
        self.terminal = self.stdout  # where output goes when nothing is redirected
        self.debug = debug
        self.failures = 0
        self.prompt = session.settings.prompt if session else "crash> "
        self.default_error = "command not found: {}"
        self.hidden_commands += ["eof", "_eof", "history", "run_script", "shell", "alias", "quit", "q"]
        self.alias_origins: dict[str, str] = {}
        for name, target in BUILTIN_ALIASES.items():
            self.add_alias(name, target, "builtin")
        self._commands: dict[str, Callable] = {}
        self.add_alias("drgn", "py", "builtin")
        self.sync_commands()
        self.register_postcmd_hook(self._after_command)

    def _after_command(self, data: cmd2.plugin.PostcommandData) -> cmd2.plugin.PostcommandData:
        self.sync_commands()  # `extend` may have registered new commands
        return data

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
        """task_struct members after `task -R`; else symbols (or pids, for digits)."""
        if self.session is None:
            return []
        from crashsh.kernel.names import completions, member_completions

        if before[:1] == ["task"] and before[-1:] == ["-R"]:
            return member_completions(self.session.prog, "struct task_struct", text)
        return completions(self.session.prog, text)

    @property
    def redirecting(self) -> bool:
        return bool(self._redirecting)

    def default(self, statement: cmd2.Statement) -> None:
        self.error("crash", f"command not found: {statement.command}")

    def pexcept(self, exception: BaseException, **kwargs) -> None:
        self.error("crash", str(exception))

    def emptyline(self) -> bool:
        return False

    # -- feeding lines ---------------------------------------------------------------------
    def run_lines(self, lines) -> bool:
        """Run command lines in order (``-c``, stdin, files); True when one of them quit."""
        for line in lines:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if self.onecmd_plus_hooks(line):
                return True
        return False

    def run_script_file(self, path: str) -> bool:
        try:
            with open(os.path.expanduser(path)) as f:
                return self.run_lines(f.readlines())
        except OSError as e:
            self.error("crash", f"{path}: {e.strerror}")
            return False

    def load_rc_files(self) -> None:
        """Run $HOME/.crashshrc, then ./.crashshrc (as crash reads .crashrc)."""
        for path in rc_files():
            self.run_script_file(path)

    # -- crash's shell built-ins ---------------------------------------------------------
    def do_q(self, _: cmd2.Statement) -> bool:
        """exit this session"""
        return True

    do_exit = do_q

    def do_quit(self, _: cmd2.Statement) -> bool:
        return True

    def add_alias(self, name: str, target: str, origin: str) -> None:
        self.aliases[name] = target
        self.alias_origins[name] = origin

    def do_alias(self, statement: cmd2.Statement) -> None:
        """command aliases: alias [name [command string]]"""
        argv = statement.argv[1:]
        if len(argv) >= 2:
            self.add_alias(argv[0], " ".join(argv[1:]), "runtime")
            return
        names = [a for a in self.aliases if not argv or a == argv[0]]
        if argv and not names:
            self.stdout.write(f"alias does not exist: {argv[0]}\n")
            return
        self.stdout.write("ORIGIN   ALIAS    COMMAND\n")
        for name in names:
            origin = self.alias_origins.get(name, "runtime")
            words = " ".join(self.aliases[name].split()) + " "
            self.stdout.write(f"{origin:<7}  {name:<7}  {words}\n")

    def do_help(self, statement: cmd2.Statement) -> None:
        """get help: help [command]"""
        argv = statement.argv[1:]
        if not argv:
            self.stdout.write(help_screen(sorted(self.visible_command_names())))
            return
        for name in argv:
            name = self.aliases.get(name, name).split()[0]
            if name in command_names():
                self.stdout.write(get_command(name).parser().format_help())
            elif hasattr(self, f"do_{name}"):
                self.stdout.write((getattr(self, f"do_{name}").__doc__ or name) + "\n")
            else:
                self.error("help", f"no help for {name}")

    def visible_command_names(self) -> list[str]:
        names = set(command_names()) | {"alias", "help", "q", "exit", "history", "shell",
                                        "run_script"}
        return [n for n in names if not n.startswith("_")]


def help_screen(names: list[str]) -> str:
    """crash's `help` layout: names down columns, 5 columns of 15, then the version lines."""
    rows = (len(names) + HELP_COLUMNS - 1) // HELP_COLUMNS
    lines = ["\n"]
    for i in range(rows):
        row = names[i::rows]
        lines.append("".join(f"{name:<15}" for name in row) + "\n")
    lines.append(f"\ncrashsh version: {__version__}   drgn version: {drgn.__version__}\n")
    lines.append('For help on any command above, enter "help <command>".\n\n')
    return "".join(lines)
