"""The shell without a dump: errors, exit status, aliases, help, pipes, redirection, extensions."""

from __future__ import annotations

import io
import re

import pytest

from crashsh.parsing import CommandParser
from crashsh import registry
from crashsh.registry import load_builtin_commands
from crashsh.render.help import help_screen
from crashsh.shell import CrashShell


@pytest.fixture
def shell():
    load_builtin_commands()
    out, err = io.StringIO(), io.StringIO()
    sh = CrashShell(None, stdout=out, stderr=err)
    sh.out, sh.err = out, err
    return sh


@pytest.fixture(autouse=True)
def commands_restored():
    """Extensions loaded by a test leave the command table as it was (other tests see only
    crashsh's own commands)."""
    load_builtin_commands()
    saved = dict(registry.COMMANDS)
    yield
    registry.COMMANDS.clear()
    registry.COMMANDS.update(saved)


def test_unknown_command_is_one_error_line_and_counts(shell):
    shell.run_lines(["bogus", "eval 1"])
    assert shell.out.getvalue().startswith("crash: command not found: bogus\nhexadecimal: 1")
    assert shell.failures == 1


def test_error_of_a_redirected_command_goes_to_file_and_terminal(shell, tmp_path):
    target = tmp_path / "err.txt"
    shell.run_lines([f"eval zz > {target}"])
    assert target.read_text() == "eval: invalid expression: (zz)\n"
    assert shell.out.getvalue() == "eval: invalid expression: (zz)\n"


def test_bad_option_prints_usage(shell):
    shell.run_lines(["log -Z"])
    assert shell.err.getvalue() == "log: invalid option -- 'Z'\n"  # getopt's words
    assert shell.out.getvalue() == (
        "Usage:\n  log [-TtdmascR]\nEnter \"help log\" for details.\n"
    )
    assert shell.failures == 1


def test_missing_argument_prints_usage_only(shell):
    shell.run_lines(["rd"])
    assert shell.err.getvalue() == ""
    assert shell.out.getvalue().startswith("Usage:\n  rd [-adDsSupxmfNR]")
    assert shell.failures == 1


def test_invalid_expression_is_crash_message(shell):
    shell.run_lines(["eval 1024*1024*5", "eval -Z 1"])  # eval has no options but -b and -l
    assert shell.out.getvalue() == ("eval: invalid expression: (1024*1024*5)\n"
                                    "eval: invalid expression: (-Z 1)\n")


def test_builtin_aliases_listed_like_crash(shell):
    shell.run_lines(["alias"])
    lines = shell.out.getvalue().splitlines()
    assert lines[0] == "ORIGIN   ALIAS    COMMAND"
    assert "builtin  dmesg    log " in lines
    shell.run_lines(["alias mb eval 1m", "mb"])
    assert "hexadecimal: 100000  (1MB)" in shell.out.getvalue()


def test_help_screen_columns():
    screen = help_screen(["a", "b", "c", "d", "e", "f", "g"], "0", "0").splitlines()
    assert screen[1] == "a              c              e              g              "
    assert screen[2] == "b              d              f              "


def test_pipe_and_redirect(shell, tmp_path):
    target = tmp_path / "out.txt"
    shell.run_lines([f"eval 5 > {target}", f"eval 6 >> {target}"])
    assert target.read_text().count("hexadecimal:") == 2
    assert shell.out.getvalue() == ""


def test_closed_pipe_is_not_an_error(tmp_path):
    load_builtin_commands()
    ext = tmp_path / "many_ext.py"
    ext.write_text(
        "from crashsh.registry import command\n"
        "from crashsh.parsing import CommandParser\n"
        "@command('many_unit', 'lines', lambda: CommandParser('many_unit'), needs_dump=False)\n"
        "def run(session, args):\n"
        "    return (f'line {i}\\n' for i in range(200000))\n"
    )
    with open(tmp_path / "stdout", "w+") as out:
        err = io.StringIO()
        shell = CrashShell(None, stdout=out, stderr=err)
        shell.run_lines([f"extend {ext}", "many_unit | head -1 > /dev/null", "eval 1"])
    assert err.getvalue() == ""
    assert shell.failures == 0


def test_extension_file_adds_a_command(shell, tmp_path):
    ext = tmp_path / "hello_ext.py"
    ext.write_text(
        "from crashsh.registry import command\n"
        "from crashsh.parsing import CommandParser\n"
        "@command('hello_unit', 'greet', lambda: CommandParser('hello_unit'), needs_dump=False)\n"
        "def run(session, args):\n"
        "    return 'hello\\n'\n"
    )
    shell.run_lines([f"extend {ext}", "hello_unit"])
    assert shell.out.getvalue().endswith("hello\n")
    assert shell.failures == 0


def test_quit_stops_the_lines(shell):
    assert shell.run_lines(["eval 1", "q", "eval 2"]) is True
    assert "hexadecimal: 2" not in shell.out.getvalue()


def test_rich_output_keeps_crash_lines_unwrapped():
    from crashsh.commands.system import SysInfo
    from crashsh.render import render

    info = SysInfo("v" * 150, True, "vmcore", True, 2, 0, "date", "00:00:01", "0.00, 0.00, 0.00",
                   5, "n", "r", "v", "x86_64", 2000, "1 GB", "Kernel panic")
    out = io.StringIO()
    render(info, "rich", out)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue()).splitlines()  # colour codes
    assert "\x1b[" in out.getvalue()
    assert lines[0].rstrip() == "      KERNEL: " + "v" * 150 + "  [TAINTED]"
    assert "       PANIC: \"Kernel panic\"" in [line.rstrip() for line in lines]
    info.split_files = ["vmcore.1", "vmcore.2"]
    out = io.StringIO()
    render(info, "rich", out)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue()).splitlines()
    assert [line.rstrip() for line in lines[1:3]] == [
        "   DUMPFILES: vmcore.1 [PARTIAL DUMP]", "              vmcore.2 [PARTIAL DUMP]"]


def test_lazy_command_index_matches_the_modules():
    from crashsh.registry import COMMANDS, builtin_commands

    load_builtin_commands()
    builtin = {name: cmd for name, cmd in COMMANDS.items() if cmd.run.__module__.startswith(
        "crashsh.commands.")}
    assert set(builtin) == set(builtin_commands())
    for name, cmd in builtin.items():
        assert cmd.run.__module__ == f"crashsh.commands.{builtin_commands()[name]}", name
        assert cmd.synopsis or name == "py", name  # crash has no py: no synopsis to copy


def test_lazy_renderer_index_matches_the_registrations():
    import importlib
    import pkgutil

    import crashsh.render as package
    from crashsh.render.plain import plain, renderer_index
    from crashsh.render.richout import rich_render

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"crashsh.render.{info.name}")
    for kind, dispatcher in (("plain", plain), ("rich", rich_render)):
        registered = {(cls.__name__, function.__module__)
                      for cls, function in dispatcher.registry.items() if cls is not object}
        indexed = {(name, f"crashsh.render.{module}")
                   for name, modules in renderer_index(kind).items() for module in modules}
        assert registered == indexed, kind


def test_renderers_load_on_demand():
    import subprocess
    import sys

    code = ("import io, sys; from crashsh.render import render; "
            "from crashsh.commands.tools import Number; "
            "assert 'crashsh.render.tools' not in sys.modules; "
            "out = io.StringIO(); render(Number(5), 'plain', out); "
            "assert out.getvalue().startswith('hexadecimal: 5'); print('ok')")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True).stdout == "ok\n"


def test_a_streamed_result_is_kept_only_up_to_the_limit():
    """`py`'s `last` keeps the first KEEP_LIMIT items; the stream itself goes on."""
    import itertools

    from crashsh.runner import KEEP_LIMIT, keep_items

    kept: list = []
    passed = sum(1 for _ in keep_items(itertools.islice(itertools.count(), KEEP_LIMIT + 5), kept))
    assert passed == KEEP_LIMIT + 5 and kept == list(range(KEEP_LIMIT))


def test_history_file_is_bounded(tmp_path, monkeypatch):
    from crashsh import history

    path = tmp_path / "h"
    monkeypatch.setenv(history.ENVIRONMENT, str(path))
    assert history.history_file() == str(path)
    lines = [f"eval {i}" for i in range(history.HISTORY_SIZE + 500)]
    history.write_history(history.history_file(), ["", *lines, "  "])
    assert path.read_text().splitlines() == lines[-history.HISTORY_SIZE:]
    assert history.read_history(str(path)) == lines[-history.HISTORY_SIZE:]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv(history.ENVIRONMENT, "")
    assert history.history_file() is None and history.read_history(None) == []
    monkeypatch.delenv(history.ENVIRONMENT)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert history.history_file() == str(tmp_path / ".crashsh_history")


class InterruptedFile(io.FileIO):
    """A file whose first write is interrupted: SIGINT arrives while its buffer is mid-write
    (the shell's handler runs inside BufferedWriter's flush, as a real signal does)."""

    def __init__(self, path, shell) -> None:
        super().__init__(path, "w")
        self.shell = shell
        self.signalled = False

    def write(self, data) -> int:
        if not self.signalled:
            self.signalled = True
            import signal

            self.shell.sigint_handler(signal.SIGINT, None)
        return super().write(data)


def test_ctrl_c_handler_writes_nothing_into_the_busy_output(shell, tmp_path):
    """cmd2's handler printed a newline into the output: into a redirected file being written,
    that was `RuntimeError: reentrant call inside <_io.BufferedWriter ...>`."""
    raw = InterruptedFile(tmp_path / "out.txt", shell)
    shell.stdout = io.TextIOWrapper(io.BufferedWriter(raw, buffer_size=64))
    with pytest.raises(KeyboardInterrupt):
        shell.stdout.write("x" * 1000)
        shell.stdout.flush()
    raw.signalled = True
    shell.stdout.close()
    assert set((tmp_path / "out.txt").read_text()) <= {"x"}


def test_interrupted_command_tells_the_terminal_only(shell, tmp_path):
    from crashsh.registry import command

    @command("spin_forever", "interrupted at once", lambda: CommandParser("spin_forever"),
             needs_dump=False)
    def run(session, args):
        yield "first line\n"
        raise KeyboardInterrupt

    shell.sync_commands()
    target = tmp_path / "out.txt"
    shell.run_lines([f"spin_forever > {target}"])
    assert target.read_text() == "first line\n"
    assert shell.out.getvalue() == "spin_forever: interrupted\n"
    assert shell.failures == 1


def test_errors_into_a_pipe_stay_in_the_pipe(tmp_path):
    """crash's error() writes into a pipe only (`log -Z | head` showed the usage twice)."""
    load_builtin_commands()
    piped = tmp_path / "piped"
    with open(tmp_path / "stdout", "w+") as out:
        shell = CrashShell(None, stdout=out, stderr=io.StringIO())
        shell.run_lines([f"log -Z | cat > {piped}"])
    assert (tmp_path / "stdout").read_text() == ""
    assert piped.read_text() == 'Usage:\n  log [-TtdmascR]\nEnter "help log" for details.\n'
    assert shell.failures == 1
