"""crash's acceptance lists (tests/acceptance.py): crashsh runs every line of each list in one
session on each fixture dump with exit status 0, and flags no error or warning line (by
crash-test's own patterns) that crash does not flag on the same dump."""

from __future__ import annotations

import difflib
import hashlib
import subprocess
import sys

import pytest

from tests.acceptance import LISTS, flagged_errors, flagged_warnings, script
from tests.differential.oracle import oracle_id

pytestmark = [pytest.mark.vmcore, pytest.mark.oracle]


def crash_output(kernel, oracle: str, name: str, command_file) -> str:
    """crash -i FILE on the fixture's kdump, as crash-test runs it (cached per oracle and list)."""
    key = hashlib.sha256("\0".join([oracle_id(oracle), name, script(LISTS[name])]).encode())
    cached = kernel.oracle_cache / f"acceptance-{key.hexdigest()[:16]}.txt"
    if not cached.is_file():
        proc = subprocess.run([oracle, "-i", str(command_file), kernel.vmlinux, kernel.dump()],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=1800)
        assert proc.returncode == 0, proc.stderr
        kernel.oracle_cache.mkdir(exist_ok=True)
        cached.write_text(proc.stdout + proc.stderr)
    return cached.read_text()


@pytest.mark.parametrize("name", LISTS)
def test_crash_test_list(kernel, oracle, name, tmp_path):
    command_file = tmp_path / "crash.cmd"
    command_file.write_text(script(LISTS[name]))
    proc = subprocess.run(
        [sys.executable, "-m", "crashsh", "-d", kernel.moddir, "-i", str(command_file),
         kernel.vmlinux, kernel.dump()],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=1800)
    ours = proc.stdout + proc.stderr
    theirs = crash_output(kernel, oracle, name, command_file)
    assert "command not found" not in ours
    assert proc.returncode == 0, ours[-2000:]
    new_errors = [line for line in flagged_errors(ours) if line not in flagged_errors(theirs)]
    new_warnings = [line for line in flagged_warnings(ours)
                    if line not in flagged_warnings(theirs)]
    assert not new_errors and not new_warnings
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    same = sum(block.size for block in difflib.SequenceMatcher(
        a=theirs_lines, b=ours_lines, autojunk=False).get_matching_blocks())
    print(f"{kernel.series} {name}: {same} of crash's {len(theirs_lines)} lines exact")
