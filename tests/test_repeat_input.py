"""repeat (-c COUNT runs; at the prompt until Ctrl-C, closed output or a failure; elsewhere
once without -c) and crash's `< FILE` (lines echoed after the prompt unless -s), with crash's
messages for files it will not read."""

from __future__ import annotations

import pytest

from crashsh.repeat import RepeatPlan
from tests.test_cli import crashsh as crashsh_process


def test_repeat_ends_when_its_pipe_closes(kernel):
    proc = crashsh_process(kernel, "-s", stdin="repeat -c 50 eval 1 | head -4\n"
                                       "repeat -0 -c 50 sys -t | head -2\n")
    assert proc.stdout.count("hexadecimal: 1") == 1  # head -4: one eval's four lines
    assert proc.stdout.count("TAINTED_MASK") == 2
    assert proc.returncode == 0


def test_repeat_counts_and_runs_once_off_the_prompt(kernel):
    """Off the interactive prompt a repeat without -c runs once (crash's would never end);
    -c runs that many times."""
    proc = crashsh_process(kernel, "-s", stdin="repeat sys -t\nrepeat -0 -c 3 eval 5\nrepeat -c2 eval 6\n")
    assert proc.stdout.count("TAINTED_MASK") == 1
    assert proc.stdout.count("hexadecimal: 5") == 3
    assert proc.stdout.count("hexadecimal: 6") == 2
    one_shot = crashsh_process(kernel, "-c", "repeat -1 eval 7")
    assert one_shot.stdout.count("hexadecimal: 7") == 1


def test_repeat_ends_at_a_failure(kernel):
    proc = crashsh_process(kernel, "-s", stdin="repeat -c 5 waitq nosuchsym_x\n")
    assert proc.stdout.count("waitq: cannot resolve \"nosuchsym_x\"") == 1
    assert proc.returncode == 1


def test_repeat_usage_and_unknown_command(kernel):
    proc = crashsh_process(kernel, "-s", stdin="repeat\nrepeat -x sys\nrepeat -c\nrepeat -c 2\n"
                                       "repeat nosuch\nrepeat -1x sys\nrepeat -c 0 sys\n")
    assert proc.stdout.count("Usage:\n  repeat [-seconds] command\n") == 4
    assert "crash: command not found: nosuch" in proc.stdout
    assert 'repeat: 1x: "x" is not a digit 0 - 9' in proc.stdout
    assert "repeat: invalid count: 0" in proc.stdout
    assert proc.returncode == 1


def test_input_file(kernel, tmp_path):
    commands = tmp_path / "cmds"
    commands.write_text("sys -t\n# a comment\n\neval 2\n")
    echoed = crashsh_process(kernel, stdin=f"< {commands}\n").stdout
    assert "crash> sys -t\nTAINTED_MASK:" in echoed
    assert "crash> eval 2\nhexadecimal: 2" in echoed
    silent = crashsh_process(kernel, "-s", stdin=f"<{commands}\n").stdout
    assert "crash>" not in silent and "hexadecimal: 2" in silent


def test_input_file_refusals(kernel, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\n")
    proc = crashsh_process(kernel, "-s", stdin=f"<\n< {tmp_path}/none\n< {script}\n< {kernel.vmlinux}\n")
    assert proc.stdout.splitlines() == [
        "crash: no input file entered!",
        f"crash: {tmp_path}/none: No such file or directory",
        "crash: input from shell scripts not supported yet!",
        "crash: input from executable files not supported yet!"]


def test_repeat_plan_reads_crashs_option_and_the_count():
    from crashsh.conventions.numbers import NumberError
    from crashsh.errors import UsageError
    from crashsh.repeat import repeat_plan

    assert repeat_plan(["-5", "log"], interactive=True) == RepeatPlan(5, None, ["log"])
    assert repeat_plan(["-5", "log"], interactive=False) == RepeatPlan(5, 1, ["log"])
    assert repeat_plan(["-c", "3", "-2", "ps", "-k"], interactive=True) == \
        RepeatPlan(2, 3, ["ps", "-k"])
    assert repeat_plan(["-c4", "sys"], interactive=False) == RepeatPlan(0, 4, ["sys"])
    for words in ([], ["-1"], ["-x", "sys"], ["-", "sys"], ["-c"], ["-c", "2"]):
        with pytest.raises(UsageError):
            repeat_plan(words, interactive=True)
    for words in (["-1x", "sys"], ["-c", "0", "sys"], ["-c", "z", "sys"]):
        with pytest.raises(NumberError):
            repeat_plan(words, interactive=True)


def test_repeat_at_the_prompt_counts_and_stops_at_a_failure(crashsh):
    """At the interactive prompt -c counts the runs; without it a repeat stops only at Ctrl-C,
    closed output or a failure (here the command fails at once)."""
    crashsh.shell.interactive = True
    try:
        assert crashsh.run("repeat -c 4 eval 3").count("hexadecimal: 3") == 4
        assert crashsh.run("repeat waitq nosuchsym_x").count("cannot resolve") == 1
    finally:
        crashsh.shell.interactive = False
