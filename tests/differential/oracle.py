"""The crash oracle: find crash >= 9 and run command lines through it, with a per-fixture cache."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from tests.differential.fixtures import Fixture

SHARED_ORACLE = Path(__file__).resolve().parents[3] / "shared" / "oracle" / "crash"
BANNER = "<banner>"


def _version_ok(path: str) -> bool:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    match = re.search(r"crash (\d+)\.", out)
    return bool(match and int(match.group(1)) >= 9)


@cache
def find_oracle() -> str | None:
    """$CRASHSH_ORACLE_CRASH, then a crash >= 9 on PATH, then ../shared/oracle/crash."""
    env = os.environ.get("CRASHSH_ORACLE_CRASH")
    if env:
        return env
    on_path = shutil.which("crash")
    if on_path and _version_ok(on_path):
        return on_path
    if SHARED_ORACLE.is_file() and os.access(SHARED_ORACLE, os.X_OK):
        return str(SHARED_ORACLE)
    return None


@cache
def oracle_id(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


REDIRECTION_LEAK = "crash-oracle-"  # the prefix of the batch's directory, in every file's path


def _cache_file(fixture: Fixture, dump: str, lines: list[str], oracle: str) -> Path:
    """One cache file per (oracle, dump, whole list of lines): a line's output can depend on
    the lines before it (set, mod -d, ...), so a batch is only reused as a whole."""
    text = "\0".join([oracle_id(oracle), dump, *lines])
    return fixture.oracle_cache / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"


def run_oracle(fixture: Fixture, lines: list[str], dump: str = "kdump") -> list[str]:
    """crash's output for each command line, run in order in one crash session (cached)."""
    oracle = find_oracle()
    if oracle is None:
        raise RuntimeError("no crash oracle (set CRASHSH_ORACLE_CRASH)")
    cached = _cache_file(fixture, dump, lines, oracle)
    if cached.is_file():
        outputs = json.loads(cached.read_text())
        if not any(REDIRECTION_LEAK in output for output in outputs):
            return outputs  # (a batch cached before _run_batch checked for the leak is redone)
    batch = iter(_run_batch(oracle, fixture, dump, [line for line in lines if line != BANNER]))
    outputs = [_run_banner(oracle, fixture, dump) if line == BANNER else next(batch)
               for line in lines]
    fixture.oracle_cache.mkdir(exist_ok=True)
    cached.write_text(json.dumps(outputs))
    return outputs


def _run_batch(oracle: str, fixture: Fixture, dump: str, lines: list[str]) -> list[str]:
    """crash's output of each line, each redirected to its own file. crash's gdb pass-through
    strips a redirection after the rightmost occurrence of the line's last argument
    (strip_redirection), so when the file's path holds that argument (`p/a -5 > .../oracle-5…`)
    gdb is handed the redirection as part of its expression and fails. The paths are random:
    a batch whose output names its own directory is run again in another."""
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix=REDIRECTION_LEAK) as tmp:
            outputs = _run_batch_in(oracle, fixture, dump, lines, Path(tmp))
        if not any(tmp in output for output in outputs):
            return outputs
    broken = next(line for line, output in zip(lines, outputs) if tmp in output)
    raise RuntimeError(f"crash keeps reading the redirection of {broken!r} as its argument")


def _run_batch_in(oracle: str, fixture: Fixture, dump: str, lines: list[str],
                  tmp: Path) -> list[str]:
    script = ["set scroll off", f"mod -S {fixture.moddir} > /dev/null"]
    outputs = []
    for i, line in enumerate(lines):
        out = tmp / f"{i}.txt"
        outputs.append(out)
        # every line starts from the panic task's context, whatever ran before it
        script.append("set -p > /dev/null")
        script.append(f"{line} > {out}")
    script.append("q")
    subprocess.run(
        [oracle, "-s", fixture.vmlinux, fixture.dump(dump)],
        input="\n".join(script) + "\n", capture_output=True, text=True, timeout=1800,
        errors="replace",
    )
    return [out.read_text(errors="replace") if out.exists() else "" for out in outputs]


def _run_banner(oracle: str, fixture: Fixture, dump: str) -> str:
    """crash's startup banner: from the KERNEL line through the blank line after STATE."""
    proc = subprocess.run(
        [oracle, fixture.vmlinux, fixture.dump(dump)], input="q\n", capture_output=True,
        text=True, timeout=600, errors="replace",
    )
    lines = proc.stdout.splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.startswith("      KERNEL: "))
    end = next(i for i, l in enumerate(lines) if i > start and l.lstrip().startswith("STATE: "))
    return "".join(lines[start:end + 1]) + "\n"
