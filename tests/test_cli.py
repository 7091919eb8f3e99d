"""The installed `crashsh` command end to end on the fixture dumps: exit codes, stdin, errors."""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess

import pytest


def crashsh(kernel, *args: str, stdin: str | None = None, files=None,
            env=None, timeout: float = 600) -> subprocess.CompletedProcess:
    files = files if files is not None else [kernel.vmlinux, kernel.dump()]
    exe = shutil.which("crashsh")
    assert exe, "crashsh is not installed (pip install -e .)"
    return subprocess.run(
        [exe, "-d", kernel.moddir, *args, *files],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=env,
    )


def test_one_shot_commands_and_exit_status(kernel):
    proc = crashsh(kernel, "-c", "sys", "-c", "bogus")
    assert proc.returncode == 1
    # the test module taints the kernel (out-of-tree, unsigned)
    assert proc.stdout.splitlines()[0] == f"      KERNEL: {kernel.vmlinux}  [TAINTED]"
    assert f"     RELEASE: {kernel.manifest['kernel_version']}" in proc.stdout
    # errors go where crash puts them: in the output stream, in order
    assert proc.stdout.splitlines()[-1] == "crash: command not found: bogus"
    ok = crashsh(kernel, "-c", "sys -t")
    assert ok.returncode == 0 and ok.stdout.startswith("TAINTED_MASK: ")


def test_timings_name_the_start_up_phases_and_each_command(kernel):
    """--timings: a line per start-up phase, then per command, on stderr only."""
    proc = crashsh(kernel, "--timings", "-c", "sys -t", "-c", "ps 1")
    assert proc.returncode == 0
    timed = [line.removeprefix("timing: ").rsplit(None, 2) for line in proc.stderr.splitlines()]
    assert [name for name, _, _ in timed] == [
        "open dump", "vmlinux debuginfo", "module debuginfo", "symbol table", "task table",
        "start-up", "sys -t", "ps 1"]
    assert all(float(seconds) >= 0 and unit == "s" for _, seconds, unit in timed)
    assert proc.stdout == crashsh(kernel, "-c", "sys -t", "-c", "ps 1").stdout


def test_a_compressed_vmlinux_is_decompressed_once_into_the_cache(kernel, tmp_path):
    import gzip
    import os

    packed = tmp_path / "vmlinux.gz"
    with open(kernel.vmlinux, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    plain = crashsh(kernel, "-c", "sys", "-c", "bt").stdout
    for _ in range(2):  # decompressing, then from the cache
        proc = crashsh(kernel, "-c", "sys", "-c", "bt", files=[str(packed), kernel.dump()],
                       env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == plain.replace(kernel.vmlinux, str(packed))  # crash's KERNEL line
    assert len(list((tmp_path / "cache" / "crashsh" / "vmlinux").iterdir())) == 1
    # a cut file, and a compressed dump: one line each
    (tmp_path / "cut.gz").write_bytes(packed.read_bytes()[: 1 << 20])
    with open(kernel.dump(), "rb") as src, gzip.open(tmp_path / "vmcore.gz", "wb", 1) as out:
        out.write(src.read(1 << 20))
    for bad, reason in (("cut.gz", "cannot decompress"), ("vmcore.gz", "not a kernel image")):
        proc = crashsh(kernel, "-c", "sys", files=[str(tmp_path / bad), kernel.dump()], env=env)
        assert proc.returncode == 1
        assert proc.stderr.count("\n") == 1 and reason in proc.stderr, proc.stderr


def test_commands_on_stdin_like_crash(kernel):
    proc = crashsh(kernel, "-s", stdin="eval 1+1\nsys | head -1\nascii 41\nq\neval 3\n")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "hexadecimal: 2  "
    assert f"      KERNEL: {kernel.vmlinux}  [TAINTED]" in lines
    assert "0000000000000041: A<NUL><NUL><NUL><NUL><NUL><NUL><NUL>" in lines
    assert "hexadecimal: 3  " not in lines  # q ended the session


def test_banner_then_prompt_free_output(kernel):
    proc = crashsh(kernel, stdin="q\n")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"      KERNEL: {kernel.vmlinux}")
    assert "       STATE: TASK_RUNNING (PANIC)" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_redirect_pipe_and_json(kernel, tmp_path):
    out = tmp_path / "sys.txt"
    proc = crashsh(kernel, "-s", stdin=f"sys > {out}\nset output json\nsys\n")
    assert proc.returncode == 0
    assert out.read_text().startswith("      KERNEL: ")
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert docs[0] == {"command": "set output json", "data": {"name": "output", "value": "json"}}
    assert docs[1]["command"] == "sys"
    data = docs[1]["data"]
    assert data["release"] == kernel.manifest["kernel_version"]
    assert data["tasks"] > 10


def test_extension_file(kernel, tmp_path):
    ext = tmp_path / "ext_release.py"
    ext.write_text(
        "from crashsh.registry import command\n"
        "from crashsh.parsing import CommandParser\n"
        "@command('release', 'kernel release', lambda: CommandParser('release'))\n"
        "def run(session, args):\n"
        "    return session.prog['init_uts_ns'].name.release.string_().decode() + '\\n'\n"
    )
    proc = crashsh(kernel, "-c", f"extend {ext}", "-c", "release")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[-1] == kernel.manifest["kernel_version"]


def test_wrong_vmlinux_is_one_clear_error(kernel):
    from tests.differential.fixtures import SERIES, find_fixture

    other = next((find_fixture(s) for s in SERIES if s != kernel.series and find_fixture(s)), None)
    if other is None:
        pytest.skip("needs both fixtures")
    proc = crashsh(kernel, "-c", "sys", files=[other.vmlinux, kernel.dump()])
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "do not match" in lines[0], proc.stderr


def test_truncated_vmcore_is_one_clear_error(kernel, tmp_path):
    for kind in ("kdump", "elf"):
        src = kernel.dump(kind)
        cut = tmp_path / f"cut.{kind}"
        with open(src, "rb") as f:
            cut.write_bytes(f.read(8 << 20))
        proc = crashsh(kernel, "-c", "sys", files=[kernel.vmlinux, str(cut)])
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "truncated" in lines[0], proc.stderr


def test_tab_completion_of_symbols_and_pids(kernel, crashsh):
    from crashsh.kernel.names import completions

    prog = crashsh.session.prog
    assert "jiffies_64" in completions(prog, "jiffies")
    assert all(name.startswith("jiffies") for name in completions(prog, "jiffies"))
    assert str(kernel.manifest["marker"]["pid"]) in completions(prog, "1")
    words = crashsh.shell.completion_words("init_uts")
    assert "init_uts_ns" in words


def endless(tmp_path) -> str:
    """An extension file adding `forever`, a command whose output never ends."""
    ext = tmp_path / "ext_forever.py"
    ext.write_text(
        "import itertools\n"
        "from crashsh.registry import command\n"
        "from crashsh.parsing import CommandParser\n"
        "@command('forever', 'endless output', lambda: CommandParser('forever'))\n"
        "def run(session, args):\n"
        "    return (f'line {i}\\n' for i in itertools.count())\n"
    )
    return str(ext)


# Commands whose output never ends or runs to millions of lines (a whole-kernel search of
# zero: every zero word of memory), each with its first line
LONG = {"forever": r"line \d+\n", "search 0": r"[0-9a-f]+: 0 \n"}
EVAL_7 = "hexadecimal: 7  \n    decimal: 7  \n      octal: 7\n     binary: " + format(7, "064b")


@pytest.mark.parametrize("command", LONG)
def test_ctrl_c_stops_a_long_command_and_the_shell_goes_on(kernel, tmp_path, command):
    import signal
    import threading
    import time

    ext = endless(tmp_path)
    # started with SIGINT ignored, as a script's background job (`cmd &`) or nohup starts it
    proc = subprocess.Popen(
        [shutil.which("crashsh"), "-s", "-d", kernel.moddir, kernel.vmlinux, kernel.dump()],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    proc.stdin.write(f"extend {ext}\n{command}\neval 7\n")
    proc.stdin.close()
    assert proc.stdout.readline().startswith(ext)
    assert re.fullmatch(LONG[command], proc.stdout.readline())
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    watchdog = threading.Timer(120, proc.kill)  # a lost Ctrl-C must fail the test, not hang it
    watchdog.start()
    rest = proc.stdout.read()
    watchdog.cancel()
    assert proc.wait() == 1
    # it stopped at once: what it wrote after Ctrl-C is what the pipe and buffers held
    assert rest.count("\n") < 100_000
    assert f"{command.split()[0]}: interrupted\n" in rest
    assert rest.endswith(EVAL_7 + "\n")
    assert "Traceback" not in proc.stderr.read()


def test_ctrl_c_while_waiting_for_the_next_piped_line_ends_quietly(kernel):
    import signal
    import time

    proc = subprocess.Popen(
        [shutil.which("crashsh"), "-s", "-d", kernel.moddir, kernel.vmlinux, kernel.dump()],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    proc.stdin.write("eval 7\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == "hexadecimal: 7  \n"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)  # stdin stays open: crashsh is waiting for its next line
    try:
        assert proc.wait(timeout=60) == 128 + signal.SIGINT
    finally:
        proc.kill()
    assert proc.stderr.read().strip() == ""


@pytest.mark.parametrize("command", LONG)
def test_a_pipe_closed_early_stops_a_long_command(kernel, tmp_path, command):
    """`| head` ends the command at once: it costs no more CPU than a second or two beyond
    the session's start (a whole-kernel search takes 6 s on the 6.1 dump, 14 s on 6.12)."""
    ext = endless(tmp_path)
    base, cpu = cpu_seconds(), {}
    for key, line in (("start", ""), ("head", f"{command} | head -2\n")):
        proc = crashsh(kernel, "-s", stdin=f"extend {ext}\n{line}eval 7\n", timeout=300)
        cpu[key], base = cpu_seconds() - base, cpu_seconds()
        assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.split("\n", 3)
    assert lines[0].startswith(ext)
    assert all(re.fullmatch(LONG[command], line + "\n") for line in lines[1:3])
    assert lines[3] == EVAL_7 + "\n"
    assert cpu["head"] < cpu["start"] + 2.5, cpu


def cpu_seconds() -> float:
    """The CPU time of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_plain_lines_run_without_cmd2_and_hand_over_to_it(kernel):
    import sys

    code = (
        "import sys; from crashsh.cli import main; "
        f"rc = main(['-s', '-d', {kernel.moddir!r}, '-c', 'eval 1', '-c', 'ps 1', "
        f"{kernel.vmlinux!r}, {kernel.dump()!r}]); "
        "print('cmd2' in sys.modules, rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.splitlines()[-1] == "False 0"
    # a failing plain line, then a pipe: the shell takes over with the failure counted
    proc = crashsh(kernel, "-s", stdin="eval zz\neval 1 | head -1\nset -p | head -1\neval 3\n")
    lines = proc.stdout.splitlines()
    assert lines[0] == "eval: invalid expression: (zz)"
    assert lines[1] == "hexadecimal: 1  "
    assert lines[2] == f"    PID: {kernel.manifest['panic']['pid']}"
    assert lines[3] == "hexadecimal: 3  "
    assert proc.returncode == 1


def test_tab_completion_of_task_members(crashsh):
    words = crashsh.shell.completion_words("se.av", ["task", "-R"])
    assert words == ["se.avg"]
    assert "comm" in crashsh.shell.completion_words("co", ["task", "-R"])
    assert "pid,comm" in crashsh.shell.completion_words("pid,co", ["task", "-R"])


def test_py_sees_prog_task_and_last(kernel, crashsh):
    assert crashsh.run("py task.pid.value_()") == f"{kernel.manifest['panic']['pid']}\n"
    assert crashsh.run("py prog['init_uts_ns'].name.release.string_().decode()") == (
        kernel.manifest["kernel_version"] + "\n")
    crashsh.run("eval 5")
    assert crashsh.run("py last.value") == "5\n"
    assert crashsh.run("py x = 1") == ""


def test_wrong_pairs_of_files_are_one_line(kernel):
    for files, words in (([kernel.vmlinux, kernel.vmlinux], "too many namelist arguments"),
                         ([kernel.dump(), kernel.dump("elf")], "too many dumpfile arguments")):
        proc = crashsh(kernel, "-c", "sys", files=files)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines) == 1, proc.stderr
        assert lines[0].startswith(f"crashsh: {words}: ")


# -- JSON for scripts and the exit status (issue 12) ------------------------------------------------
def json_lines(text: str) -> list[dict]:
    """Each line one complete JSON document, as a script reads them."""
    return [json.loads(line) for line in text.splitlines()]


def test_json_lines_one_document_per_command(kernel):
    pid = kernel.manifest["marker"]["pid"]
    proc = crashsh(kernel, "--json", "-c", "ps", "-c", f"bt {pid}", "-c", "sys")
    assert proc.returncode == 0, proc.stderr
    ps, bt, sys_doc = json_lines(proc.stdout)
    assert [ps["command"], bt["command"], sys_doc["command"]] == ["ps", f"bt {pid}", "sys"]
    assert sys_doc["data"]["release"] == kernel.manifest["kernel_version"]
    (marker,) = [row for row in ps["data"]["rows"] if row["pid"] == pid]
    assert re.fullmatch(r"0x[0-9a-f]{16}", marker["task"]) and marker["comm"] == "crashsh_marker"
    (trace,) = bt["data"]["traces"]
    assert trace["header"]["task"] == marker["task"]
    assert all(re.fullmatch(r"0x[0-9a-f]+", frame["pc"]) for frame in trace["entries"]
               if "pc" in frame)
    assert "style" not in bt["data"]  # no layout fields
    if shutil.which("jq"):
        jq = subprocess.run(["jq", "-c", ".command"], input=proc.stdout, capture_output=True,
                            text=True, check=True)
        assert jq.stdout.splitlines() == ['"ps"', f'"bt {pid}"', '"sys"']


def test_json_failure_is_an_error_object_and_exits_1(kernel):
    proc = crashsh(kernel, "--json", "-c", "bt 9999")
    assert proc.returncode == 1
    assert json_lines(proc.stdout) == [{"command": "bt 9999",
                                        "error": "bt: invalid task or pid value: 9999"}]
    proc = crashsh(kernel, "--json", "-c", "sys", "-c", "frob", "-c", "rd 10", "-c", "ps -Z")
    assert proc.returncode == 1
    sys_doc, frob, rd, ps = json_lines(proc.stdout)
    assert "error" not in sys_doc and "data" not in frob and "data" not in rd
    assert frob["error"] == "crash: command not found: frob"
    assert rd["error"] == 'rd: invalid user virtual address: 10  type: "64-bit UVADDR"'
    assert ps["error"].startswith("ps: invalid option -- 'Z'\nUsage:\n  ps ")
    assert proc.stderr == ""
    # a line the shell itself cannot run is a failed document too
    proc = crashsh(kernel, "--json", "-c", "eval 1 > /nonexistent/dir/file", "-c", "eval 2")
    assert proc.returncode == 1
    failed, ok = json_lines(proc.stdout)
    assert failed["command"] == "eval 1 > /nonexistent/dir/file" and failed["error"]
    assert ok == {"command": "eval 2", "data": {"value": "0x2"}}


def test_plain_failure_keeps_crash_line_and_exits_1(kernel):
    proc = crashsh(kernel, "-c", "bt 9999")
    assert proc.returncode == 1
    assert proc.stdout == "bt: invalid task or pid value: 9999\n"  # where crash prints it
    assert crashsh(kernel, "-c", f"bt {kernel.manifest['marker']['pid']}").returncode == 0


def test_stdin_exit_status_q_like_crash_end_of_input_counts_failures(kernel):
    """crash's q exits 0 whatever failed; at the end of its stdin crash always exits 1, where
    crashsh exits 1 only when a command failed."""
    assert crashsh(kernel, "-s", stdin="bt 9999\nq\n").returncode == 0
    assert crashsh(kernel, "-s", stdin="bt 9999\n").returncode == 1
    assert crashsh(kernel, "-s", stdin="sys -t\n").returncode == 0
    proc = crashsh(kernel, "-s", "--json", stdin="eval 1\n# a comment\nbt 9999\neval 2 | cat\n")
    assert proc.returncode == 1
    assert [(d["command"], d.get("data"), d.get("error")) for d in json_lines(proc.stdout)] == [
        ("eval 1", {"value": "0x1"}, None),
        ("bt 9999", None, "bt: invalid task or pid value: 9999"),
        ("eval 2 | cat", {"value": "0x2"}, None)]


def test_json_shell_escape_history_repeat_and_input_files_are_documents(kernel, tmp_path):
    """`!command` and `history` give their text as data, `repeat` a document per run, `-i
    FILE` and `< FILE` a document per line, not echoed after the prompt: JSON Lines stay
    whole."""
    proc = crashsh(kernel, "-s", "--json", stdin="!echo hi\nhistory\n")
    assert json_lines(proc.stdout) == [{"command": "!echo hi", "data": "hi\n"},
                                       {"command": "history", "data": "    1  !echo hi\n"}]
    script = tmp_path / "lines"
    script.write_text("eval 5\n# a comment\neval 6\n")
    proc = crashsh(kernel, "--json", "-i", str(script),
                   stdin=f"repeat -c 2 eval 7\n< {script}\n")
    assert [(d["command"], d["data"]["value"]) for d in json_lines(proc.stdout)] == [
        ("eval 5", "0x5"), ("eval 6", "0x6"), ("repeat -c 2 eval 7", "0x7"),
        ("repeat -c 2 eval 7", "0x7"), ("eval 5", "0x5"), ("eval 6", "0x6")]
