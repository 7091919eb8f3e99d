"""repeat (until its output is closed) and crash's `< FILE` (lines echoed after the prompt
unless -s), with crash's messages for files it will not read."""

from __future__ import annotations

from tests.test_cli import crashsh


def test_repeat_ends_when_its_pipe_closes(kernel):
    proc = crashsh(kernel, "-s", stdin="repeat -c 50 eval 1 | head -4\n"
                                       "repeat -0 -c 50 sys -t | head -2\n")
    assert proc.stdout.count("hexadecimal: 1") == 1  # head -4: one eval's four lines
    assert proc.stdout.count("TAINTED_MASK") == 2
    assert proc.returncode == 0


def test_repeat_counts_and_runs_once_off_the_prompt(kernel):
    """Off the interactive prompt a repeat without -c runs once (crash's would never end);
    -c runs that many times."""
    proc = crashsh(kernel, "-s", stdin="repeat sys -t\nrepeat -0 -c 3 eval 5\nrepeat -c2 eval 6\n")
    assert proc.stdout.count("TAINTED_MASK") == 1
    assert proc.stdout.count("hexadecimal: 5") == 3
    assert proc.stdout.count("hexadecimal: 6") == 2
    one_shot = crashsh(kernel, "-c", "repeat -1 eval 7")
    assert one_shot.stdout.count("hexadecimal: 7") == 1


def test_repeat_ends_at_a_failure(kernel):
    proc = crashsh(kernel, "-s", stdin="repeat -c 5 waitq nosuchsym_x\n")
    assert proc.stdout.count("waitq: cannot resolve \"nosuchsym_x\"") == 1
    assert proc.returncode == 1


def test_repeat_usage_and_unknown_command(kernel):
    proc = crashsh(kernel, "-s", stdin="repeat\nrepeat -x sys\nrepeat -c\nrepeat -c 2\n"
                                       "repeat nosuch\nrepeat -1x sys\nrepeat -c 0 sys\n")
    assert proc.stdout.count("Usage:\n  repeat [-seconds] command\n") == 4
    assert "crash: command not found: nosuch" in proc.stdout
    assert 'repeat: 1x: "x" is not a digit 0 - 9' in proc.stdout
    assert "repeat: invalid count: 0" in proc.stdout
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
