"""repeat (until its output is closed) and crash's `< FILE` (lines echoed after the prompt
unless -s), with crash's messages for files it will not read."""

from __future__ import annotations

from tests.test_cli import crashsh


def test_repeat_ends_when_its_pipe_closes(kernel):
    proc = crashsh(kernel, "-s", stdin="repeat eval 1 | head -4\nrepeat -0 sys -t | head -2\n")
    assert proc.stdout.count("hexadecimal: 1") == 1  # head -4: one eval's four lines
    assert proc.stdout.count("TAINTED_MASK") == 2
    assert proc.returncode == 0


def test_repeat_usage_and_unknown_command(kernel):
    proc = crashsh(kernel, "-s", stdin="repeat\nrepeat -x sys\nrepeat nosuch\n")
    assert proc.stdout.count("Usage:\n  repeat [-seconds] command\n") == 2
    assert "crash: command not found: nosuch" in proc.stdout
    assert proc.returncode == 1


def test_input_file(kernel, tmp_path):
    commands = tmp_path / "cmds"
    commands.write_text("sys -t\n# a comment\n\neval 2\n")
    echoed = crashsh(kernel, stdin=f"< {commands}\n").stdout
    assert "crash> sys -t\nTAINTED_MASK:" in echoed
    assert "crash> eval 2\nhexadecimal: 2" in echoed
    silent = crashsh(kernel, "-s", stdin=f"<{commands}\n").stdout
    assert "crash>" not in silent and "hexadecimal: 2" in silent


def test_input_file_refusals(kernel, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\n")
    proc = crashsh(kernel, "-s", stdin=f"<\n< {tmp_path}/none\n< {script}\n< {kernel.vmlinux}\n")
    assert proc.stdout.splitlines() == [
        "crash: no input file entered!",
        f"crash: {tmp_path}/none: No such file or directory",
        "crash: input from shell scripts not supported yet!",
        "crash: input from executable files not supported yet!"]
