"""Fuzz: malformed command lines on stdin never show Python's errors, never end the shell and
never touch the dump (issue 8). The lines come from tests/fuzzlines.py, seeded per kernel."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from tests.fuzzlines import command_words, fuzz_lines

LINES = 10_000
SEEDS = {"6.1": 61, "6.12": 612}
MARKER = 0x46555A5A00000000  # `ascii MARKER+i` after line i: its output names the line
SENTINEL = ("eval 0xfee1dead", "    decimal: 4276215469  \n")
RAW_PYTHON = re.compile(
    r"Traceback|\b\w+(Error|Exception|Warning)\b:|invalid literal for int\(\)|"
    r"object has no attribute|'NoneType'|not subscriptable|unsupported operand|"
    r"(takes|missing) \d+ (required )?positional argument|unexpected keyword argument|"
    r"index out of range|object is not iterable|int too big|can't convert|\[Errno|"
    r"internal error")
SHELL_ONLY = re.compile(r"""[|<>"']|^\s*(help|man|\?)\b""")


def fingerprint(path: Path) -> tuple[int, int, str]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def cpu_seconds() -> float:
    """The CPU time of this process's finished children (the wall clock varies with load)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def script(lines: list[str]) -> str:
    """The lines the line runner takes first, then those that need the cmd2 shell (so that
    both run a share), each followed by its marker; then the sentinel."""
    ordered = sorted(range(len(lines)), key=lambda i: bool(SHELL_ONLY.search(lines[i])))
    body = [part for i in ordered for part in (lines[i], f"ascii {MARKER + i:x}")]
    return "\n".join([*body, "set output plain", SENTINEL[0]]) + "\n"


def offenders(output: str, lines: list[str]) -> list[str]:
    """Each output line with Python's text in it, after the line that printed it."""
    found, current = [], "(before the first line)"
    for text in output.splitlines():
        marker = re.match(r"([0-9a-f]{16}): ", text)
        if marker and int(marker.group(1), 16) - MARKER in range(len(lines)):
            current = f"after {lines[int(marker.group(1), 16) - MARKER]!r}"
        elif RAW_PYTHON.search(text):
            found.append(f"{current}: {text}")
    return found


def test_malformed_lines(kernel, tmp_path):
    dump = Path(kernel.dump())
    before = fingerprint(dump)
    lines = fuzz_lines(SEEDS[kernel.series], LINES, command_words())
    assert len(lines) >= 10_000 and not any(line.lstrip().startswith("!") for line in lines)
    start, cpu = time.monotonic(), cpu_seconds()
    proc = subprocess.run(
        [sys.executable, "-m", "crashsh", "-s", "-d", kernel.moddir, kernel.vmlinux, str(dump)],
        input=script(lines), capture_output=True, text=True, errors="replace", cwd=tmp_path,
        env={**os.environ, "COLUMNS": "80"}, timeout=600,
    )
    elapsed, cpu = time.monotonic() - start, cpu_seconds() - cpu
    print(f"{kernel.series}: {len(lines)} lines in {elapsed:.1f}s ({cpu:.1f}s of CPU)")
    problems = offenders(proc.stdout, lines)
    problems += [f"on stderr: {text}" for text in proc.stderr.splitlines() if RAW_PYTHON.search(text)]
    assert not problems, f"{len(problems)} lines with Python's text:\n" + "\n".join(problems[:40])
    assert SENTINEL[1] in proc.stdout[-300:], "the shell did not survive to the sentinel"
    assert fingerprint(dump) == before
