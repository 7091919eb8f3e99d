"""crash's own acceptance lists (crash-utility/crash-test, kdump/analyse-crash-cmd) and the
patterns its ValidateCrashOutput (kdump/include/crash.sh) flags as errors and warnings.

analyse-crash-simple checks only the exit status; analyse-crash-common checks the exit status and
the output. The common list is the one crash-test builds on x86_64 for current kernels: the base
list, `kmem -S -I` (not ppc64le), `irq`/`irq -b`/`irq -u` (not s390x), `list -o ... init_task`
(RHEL 7 and later) and `mach -m` (x86). `search -k` (i686 only), `mount -f` (before 3.13),
`set 1` (RHEL 4) and the RHEL 5 lines are left out, as crash-test does here.
"""

from __future__ import annotations

import re

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
