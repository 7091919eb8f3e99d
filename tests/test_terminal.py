"""crashsh at a real terminal (a pty read through a terminal emulator): the py console,
Ctrl-C of a redirected command, tab completion and the history kept between sessions."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pexpect")
pytest.importorskip("pyte")

from tests.ptyterm import PROMPT, Terminal  # noqa: E402

CONSOLE_PROMPT = ">>> "


def open_terminal(kernel, tmp_path, **env) -> Terminal:
    env.setdefault("CRASHSH_HISTORY", str(tmp_path / "history"))
    term = Terminal(["-s", "-d", kernel.moddir, kernel.vmlinux, kernel.dump()],
                    env={"HOME": str(tmp_path), **env})
    term.wait_prompt()
    return term


@pytest.fixture
def term(kernel, tmp_path):
    term = open_terminal(kernel, tmp_path)
    yield term
    term.close()


def complete(term: Terminal, typed: str) -> str:
    """Type *typed* and Tab at a clear screen; the screen once the completion is drawn (the
    line grows, or a menu appears below it); then abandon the line (Ctrl-C)."""
    term.clear()
    term.type(typed + "\t")
    term.wait_for(lambda t: len(t.lines[0]) > len(PROMPT + typed.rstrip()) or t.lines[1],
                  30, f"completion of {typed!r}")
    term.pump(0.3)  # the rest of the menu
    screen = term.text
    term.interrupt()
    term.wait_prompt(below=0)
    return screen


def test_py_console_returns_to_crash(kernel, crashsh, term):
    comm = kernel.manifest["panic"]["comm"]
    term.line("py", CONSOLE_PROMPT)
    assert f'(char [16])"{comm}"' in term.line("task.comm", CONSOLE_PROMPT).splitlines()
    # Tab completes attributes (rlcompleter)
    term.clear(CONSOLE_PROMPT)
    term.type("prog.main_mod\t")
    term.wait_for(lambda t: t.cursor_line == ">>> prog.main_module(", 30, "completion")
    term.type("\x15")  # Ctrl-U: drop the line
    # Ctrl-C stops the running code, not the console
    term.clear(CONSOLE_PROMPT)
    term.type('print("spinning"); exec("while True: pass")\r')
    term.wait_for(lambda t: "spinning" in t.lines[1], 60, "the code to run")
    term.interrupt()
    term.wait_prompt(CONSOLE_PROMPT, below=0)
    assert "KeyboardInterrupt" in term.text and "cmd2" not in term.text
    # exit(), quit() and Ctrl-D each return to crash>, which goes on
    assert "I/O operation on closed file" not in term.line("exit()")
    term.line("py", CONSOLE_PROMPT)
    term.line("quit()")
    term.line("py", CONSOLE_PROMPT)
    term.clear(CONSOLE_PROMPT)
    term.type("\x04")
    term.wait_prompt(below=0)
    assert "hexadecimal: 7" in term.line("eval 7")


def test_ctrl_c_of_a_redirected_command(term, tmp_path):
    target = tmp_path / "kp.txt"
    for _ in range(3):
        term.clear()
        term.type(f"kmem -p > {target}\r")
        term.wait_for(lambda t: target.exists() and target.stat().st_size > 0, 120, "output")
        term.interrupt()
        term.wait_prompt(below=0)
        assert term.text.splitlines()[1:] == ["kmem: interrupted", PROMPT.rstrip()]
        text = target.read_text()
        assert "RuntimeError" not in text and "interrupted" not in text
        assert text.startswith("      PAGE ")
        target.unlink()


def test_completion_by_context(kernel, crashsh, term):
    from crashsh.kernel.names import slab_names, task_comms, task_pids

    prog = crashsh.session.prog
    def offered(typed: str) -> set[str]:
        return set(complete(term, typed).split())

    assert offered("ps -") >= {"-k", "-u", "-G", "-S", "-A", "-C", "-y"}
    assert "--group" in offered("bt -") and {"-S", "-s", "-p"} <= offered("kmem -")
    assert "-m" in offered("dmesg -")  # an alias completes as its command
    assert offered("help ") >= {"bt", "kmem", "ps", "sys", "foreach"}
    assert complete(term, "set out").splitlines()[0] == "crash> set output"
    assert offered("set output ") >= {"plain", "rich", "json", "auto"}
    assert complete(term, "foreach fi").splitlines()[0] == "crash> foreach files"
    assert complete(term, "foreach kern").splitlines()[0] == "crash> foreach kernel"
    assert "1" in offered("files ")
    cache = next(name for name in slab_names(prog) if name.startswith("crashsh"))
    assert cache in complete(term, "kmem -S crashsh")
    modules = offered("mod -s vir")
    assert "virtio_blk" in modules and "virq_to_irq" not in modules
    sleeper = next(c for c in task_comms(prog) if c.startswith("crashsh_s"))
    assert sleeper in complete(term, "ps crashsh_s")
    pids = {pid for pid in task_pids(prog) if pid.startswith("1")}
    assert str(kernel.manifest["marker"]["pid"]) in pids and pids <= offered("ps 1")


def test_completion_words(crashsh):
    """What the shell offers, without a terminal: task arguments are pids, task addresses and
    comms, never symbols; symbols are C identifiers only."""
    from crashsh.kernel.names import task_addresses, task_pids

    prog = crashsh.session.prog
    words = crashsh.shell.completion_words
    assert set(words("", ["files"])) == set(task_pids(prog)) | set(task_addresses(prog))
    assert words("", ["foreach"])[:3] == ["bt", "vm", "task"]
    assert words("_", ["files"]) == [] and words("ffff", ["bt"]) == sorted(task_addresses(prog))
    symbols = words("_")
    assert symbols and all(name.isidentifier() for name in symbols)
    assert not any(name.startswith("__BTF_ID__") for name in symbols)
    assert words(".L") == [] and words("sched", ["set"]) == []
    assert words("", ["set", "radix"]) == ["10", "16"]
    assert words("", ["mod", "-d"]) == sorted(words("", ["mod", "-s"]))


def test_type_names_complete_from_the_btf(crashsh):
    """struct, union and whatis offer the kernel's type names (read from vmlinux's .BTF), each
    one a type drgn finds in the debuginfo."""
    import drgn

    prog = crashsh.session.prog
    words = crashsh.shell.completion_words
    for command, kind in (("struct", "struct"), ("union", "union")):
        offered = [w for w in words("s", [command]) if w not in words("s", ["sym"])]
        assert offered, command
        for name in offered:
            assert prog.type(f"{kind} {name}").kind.name == kind.upper()
    assert "task_struct" in words("task_s", ["struct"])
    assert "mm_struct" in words("mm_s", ["whatis", "struct"])
    assert words("pid_t", ["whatis"])[0] == "pid_t"
    assert prog.type("pid_t").kind == drgn.TypeKind.TYPEDEF


def test_q_after_a_failure_exits_0_as_crash(term):
    """At the prompt, `q` ends the session with status 0 whatever failed before, as crash's
    does (issue 12)."""
    assert "bt: invalid task or pid value: 9999" in term.line("bt 9999")
    assert term.close() == 0


def test_history_is_kept_between_sessions(kernel, tmp_path):
    history = tmp_path / "history"
    first = open_terminal(kernel, tmp_path)
    first.line("eval 7")
    first.clear()
    first.type("\x04")  # Ctrl-D ends the session as q does
    assert first.wait_exit() == 0
    assert history.read_text() == "eval 7\n"
    second = open_terminal(kernel, tmp_path)
    second.clear()
    second.type("\x1b[A")  # up arrow: the last session's command
    second.wait_for(lambda t: t.cursor_line == PROMPT + "eval 7", 30, "recalled line")
    second.type("\x15")
    second.line("eval 8")
    assert second.close() == 0
    assert history.read_text() == "eval 7\neval 8\nq\n"


def test_history_can_be_turned_off(kernel, tmp_path):
    term = open_terminal(kernel, tmp_path, CRASHSH_HISTORY="")
    term.line("eval 7")
    term.close()
    assert not [name for name in os.listdir(tmp_path) if "history" in name]

