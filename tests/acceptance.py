"""crash's own acceptance lists (crash-utility/crash-test, kdump/analyse-crash-cmd) and the
patterns its ValidateCrashOutput (kdump/include/crash.sh) flags as errors and warnings.

analyse-crash-simple checks only the exit status; analyse-crash-common checks the exit status and
the output. The common list is the one crash-test builds on x86_64 for current kernels: the base
list, `kmem -S -I` (not ppc64le), `irq`/`irq -b`/`irq -u` (not s390x), `list -o ... init_task`
(RHEL 7 and later) and `mach -m` (x86). `search -k` (i686 only), `mount -f` (before 3.13),
`set 1` (RHEL 4) and the RHEL 5 lines are left out, as crash-test does here.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.differential.fixtures import Fixture
from tests.differential.oracle import oracle_id

SIMPLE = ["bt -a", "ps", "log"]
COMMON = [
    "help -v", "help -m", "help -n", "swap", "mod", "mod -S", "runq", "foreach bt",
    "foreach files", "mount", "vm", "net", "search -u deadbeef", "set", "set -p", "set -v", "bt",
    "bt -t", "bt -r", "bt -T", "bt -l", "bt -a", "bt -f", "bt -e", "bt -E", "bt -F", "bt 0", "ps",
    "ps -k", "ps -u", "ps -s", "dev", "kmem -i", "kmem -s", "task", "p jiffies", "sym jiffies",
    "rd -d jiffies", "set -c 0", "kmem -S -I kmalloc-8,kmalloc-16", "irq", "irq -b", "irq -u",
    "list -o task_struct.tasks -h init_task", "mach -m",
]
LISTS = {"analyse-crash-simple": SIMPLE, "analyse-crash-common": COMMON}

# ValidateCrashOutput's error search: lines with these (case-insensitive) ...
ERROR_WORDS = ["fail", "error", "invalid", "absurdly large unwind_info", "unexpected",
               "crash: page excluded: kernel virtual address", "zero-size memory allocation",
               *(f"dev: -{o} option not supported or applicable on this architecture or kernel"
                 for o in "dDp")]
# ... unless they have one of these (case-sensitive, as its grep -v)
ERROR_SKIPS = ["_FAIL_", "PANIC:", "00000002: error", "error_", "ERROR_", "-error", "_error",
               "Data Access error", "invalid float value", "fail_nth", "_fail", "failed_resume",
               "failed_freeze", "failed_prepare", "event_xfs_inode_free_eofblocks_invalid",
               "failed_suspend", "failsafe", "failover", "invalid_", "invalidate", "PCIBR error",
               "TIOCE error", "task_beah_unexpected", "arm-smmu-v3-gerror", "xlog_state_ioerror",
               "fail_page_alloc", "error: default", "failslab", "creds_are_invalid",
               "00000100: error", "00000400: error", "printk_ringbuffer.fail"]
ERROR_SKIP_REGEX = re.compile(r"Instruction bus error  \[[0-9]*\] exception frame:")
# its warning search: these whole words (case-insensitive) ...
WARNING_WORDS = re.compile(r"(?<!\w)(warning|warnings|cannot)(?!\w)", re.I)
# ... unless the line has one of these
WARNING_SKIPS = [*(f"mod: cannot find or load object file for {m} module"
                   for m in ("crasher", "altsysrq", "crash_warn", "hung_task", "lkdtm")),
                 "bt: cannot determine NT_PRSTATUS ELF note for active task",
                 "bt: WARNING: cannot determine starting stack frame for task",
                 "cannot determine file and line number",
                 "cannot be determined: try -t or -T options", "WARNING: kernel relocated",
                 "WARNING: page fault at", "WARNING: FPU may be inaccurate",
                 "WARNING: cannot find NT_PRSTATUS note for cp", "cannot find the stack info."]


def flagged_errors(text: str) -> list[str]:
    lowered = [w.lower() for w in ERROR_WORDS]
    return [line for line in text.splitlines()
            if not any(skip in line for skip in ERROR_SKIPS) and not ERROR_SKIP_REGEX.search(line)
            and any(word in line.lower() for word in lowered)]


def flagged_warnings(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if not any(skip in line for skip in WARNING_SKIPS) and WARNING_WORDS.search(line)]


def script(lines: list[str]) -> str:
    """The command file crash-test writes: the lines, then exit."""
    return "".join(f"{line}\n" for line in [*lines, "exit"])


@dataclass
class Outcome:
    """One list run by crashsh and by crash on one dump: what crash-test checks, and how many
    of crash's lines crashsh printed the same."""

    name: str
    returncode: int
    not_found: list[str]
    new_errors: list[str]
    new_warnings: list[str]
    exact: int
    total: int
    ours: str

    @property
    def passed(self) -> bool:
        return not (self.returncode or self.not_found or self.new_errors or self.new_warnings)

    def summary(self, series: str) -> str:
        verdict = "pass" if self.passed else (
            f"FAIL (exit {self.returncode}, {len(self.not_found)} not found, "
            f"{len(self.new_errors)} new errors, {len(self.new_warnings)} new warnings)")
        return f"{series} {self.name}: {verdict}; {self.exact} of crash's {self.total} lines exact"


def crash_output(fixture: Fixture, oracle: str, name: str, command_file: Path) -> str:
    """crash -i FILE on the fixture's kdump, as crash-test runs it (cached per oracle and list)."""
    key = hashlib.sha256("\0".join([oracle_id(oracle), name, script(LISTS[name])]).encode())
    cached = fixture.oracle_cache / f"acceptance-{key.hexdigest()[:16]}.txt"
    if not cached.is_file():
        proc = subprocess.run([oracle, "-i", str(command_file), fixture.vmlinux, fixture.dump()],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=1800)
        if proc.returncode:
            raise RuntimeError(f"crash failed on {name}: {proc.stderr[-2000:]}")
        fixture.oracle_cache.mkdir(exist_ok=True)
        cached.write_text(proc.stdout + proc.stderr)
    return cached.read_text()


def run_list(fixture: Fixture, oracle: str, name: str) -> Outcome:
    """The list in one crashsh session and one crash session on the fixture's kdump."""
    with tempfile.TemporaryDirectory(prefix="crashsh-acceptance-") as tmp:
        command_file = Path(tmp) / "crash.cmd"
        command_file.write_text(script(LISTS[name]))
        proc = subprocess.run(
            [sys.executable, "-m", "crashsh", "-d", fixture.moddir, "-i", str(command_file),
             fixture.vmlinux, fixture.dump()],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
            timeout=1800)
        theirs = crash_output(fixture, oracle, name, command_file)
    ours = proc.stdout + proc.stderr
    their_errors, their_warnings = set(flagged_errors(theirs)), set(flagged_warnings(theirs))
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    same = sum(block.size for block in difflib.SequenceMatcher(
        a=theirs_lines, b=ours_lines, autojunk=False).get_matching_blocks())
    return Outcome(name, proc.returncode,
                   [line for line in ours_lines if "command not found" in line],
                   [line for line in flagged_errors(ours) if line not in their_errors],
                   [line for line in flagged_warnings(ours) if line not in their_warnings],
                   same, len(theirs_lines), ours)
