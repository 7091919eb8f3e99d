"""The crash oracle: find crash >= 9 and run command lines through it, with a per-fixture cache."""

from __future__ import annotations

import hashlib
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
def _oracle_id(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _cache_file(fixture: Fixture, dump: str, line: str, oracle: str) -> Path:
    key = hashlib.sha256(f"{_oracle_id(oracle)}\0{dump}\0{line}".encode()).hexdigest()[:24]
    return fixture.oracle_cache / f"{key}.txt"


def run_oracle(fixture: Fixture, lines: list[str], dump: str = "kdump") -> dict[str, str]:
    """crash's output for each command line (cached per fixture, dump and oracle binary)."""
    oracle = find_oracle()
    if oracle is None:
        raise RuntimeError("no crash oracle (set CRASHSH_ORACLE_CRASH)")
    results, missing = {}, []
    for line in lines:
        cached = _cache_file(fixture, dump, line, oracle)
        if cached.is_file():
            results[line] = cached.read_text(errors="replace")
        else:
            missing.append(line)
    commands = [line for line in missing if line != BANNER]
    if commands:
        results.update(_run_batch(oracle, fixture, dump, commands))
    if BANNER in missing:
        results[BANNER] = _run_banner(oracle, fixture, dump)
    fixture.oracle_cache.mkdir(exist_ok=True)
    for line in missing:
        _cache_file(fixture, dump, line, oracle).write_text(results[line])
    return results


def _run_batch(oracle: str, fixture: Fixture, dump: str, lines: list[str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="crash-oracle-") as tmp:
        script = ["set scroll off", f"mod -S {fixture.moddir} > /dev/null"]
        outputs = []
        for i, line in enumerate(lines):
            out = Path(tmp) / f"{i}.txt"
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
        return {line: out.read_text(errors="replace") if out.exists() else ""
                for line, out in zip(lines, outputs)}


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
