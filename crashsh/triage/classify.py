"""What killed the kernel, from the panic message, the log and the crashing stack (pure logic:
strings in, verdicts out)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KINDS = ("sysrq", "oops", "bug", "warn", "hung_task", "soft_lockup", "hard_lockup", "oom", "mce",
         "other")

# The panic message (panic()'s format string, after "Kernel panic - not syncing: ") decides first
MESSAGE_KINDS = (
    ("sysrq", re.compile(r"sysrq triggered crash", re.I)),
    ("hung_task", re.compile(r"hung_task: blocked tasks")),
    ("soft_lockup", re.compile(r"softlockup: hung tasks")),
    ("hard_lockup", re.compile(r"hard ?lockup", re.I)),
    ("oom", re.compile(r"out of memory|panic_on_oom|deadlocked on memory", re.I)),
    ("mce", re.compile(r"machine check|\bMCE\b", re.I)),
    ("warn", re.compile(r"panic_on_warn")),
)
# frames of the crashing stack that name the kind when the message does not
STACK_KINDS = (
    ("sysrq", re.compile(r"^sysrq_handle_crash$")),
    ("hung_task", re.compile(r"^check_hung_\w+$|^watchdog$")),
    ("soft_lockup", re.compile(r"^watchdog_timer_fn$")),
    ("hard_lockup", re.compile(r"^watchdog_overflow_callback$|^watchdog_hardlockup_check$")),
    ("oom", re.compile(r"^out_of_memory$")),
    ("mce", re.compile(r"^do_machine_check$|^mce_panic$")),
    ("warn", re.compile(r"^__warn$")),
)
BUG_LINE = re.compile(r"^kernel BUG at (\S+)!")
OOPS_LINE = re.compile(r"^(Oops|BUG: (unable to handle|kernel NULL pointer)|general protection "
                       r"fault|stack segment|double fault|BUG: (KASAN|KFENCE|stack guard))")
WARNING_LINE = re.compile(
    r"^(WARNING: |BUG: |Oops|kernel BUG at |general protection fault|Kernel panic|"
    r"INFO: task \S.* blocked for more than|(?:NMI )?watchdog: (?:BUG|Watchdog detected)|rcu: INFO: |"
    r"Out of memory|\S+ invoked oom-killer)")
SOFT_LOCKUP = re.compile(r"BUG: soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.*):(\d+)\]")
HARD_LOCKUP = re.compile(r"Watchdog detected hard LOCKUP on cpu (\d+)")
RCU_STALL = re.compile(r"^rcu: INFO: .*detected (expedited )?stalls")
HUNG_TASK = re.compile(r"^INFO: task (.*):(\d+) blocked for more than (\d+) seconds")
OOM_START = re.compile(r"invoked oom-killer:")
OOM_VICTIM = re.compile(r"(?:Out of memory|Memory cgroup out of memory): Kill(?:ed)? process "
                        r"(\d+) \((.*?)\)")
RIP_LINE = re.compile(r"^RIP: [0-9a-f]{4}:([\w.]+)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[(\w+)\])?")

# Frames that are the kernel's reaction to a problem, not its cause: panic and kexec, oops
# and exception handling, watchdogs, interrupt and system call entry, sleeping and locking
MACHINERY = re.compile(r"^(?:" + "|".join((
    r"v?panic", r"nmi_panic", r"\w*crash_kexec", r"crash_setup_regs", r"machine_kexec", r"\w*crash_shutdown\w*",
    r"oops_end", r"_{0,2}die(?:_\w+)?", r"do_(?:error_)?trap", r"handle_(?:invalid_op|bug)",
    r"exc_\w+", r"asm_\w+", r"\w*page_fault\w*", r"\w*bad_area\w*", r"kernelmode_fixup_or_oops",
    r"no_context", r"do_\w*user_addr_fault", r"report_bug", r"__warn", r"warn_slowpath\w*",
    r"\w*watchdog\w*", r"softlockup_fn", r"\w*hrtimer\w*", r"\w*sysvec_\w+", r"\w*irq_exit\w*",
    r"__do_softirq", r"handle_softirqs", r"check_hung_\w+", r"hung_task\w*", r"out_of_memory",
    r"oom_\w+", r"dump_\w+", r"show_\w+", r"print_\w+", r"\w*_nmi\w*", r"nmi_\w+", r"do_machine_check",
    r"mce_\w+", r"kthread", r"ret_from_fork\w*", r"entry_SYSCALL\w*", r"do_syscall_64",
    r"x64_sys_call", r"__x64_sys_\w+", r"_{0,2}schedule\w*", r"preempt_schedule\w*",
    r"io_schedule\w*", r"_{0,2}mutex_lock\w*", r"rwsem_down_\w+", r"_{0,2}down\w*",
    r"\w*wait_for_completion\w*", r"\w*wait_for_common\w*", r"msleep\w*", r"usleep_range\w*",
    r"schedule_hrtimeout\w*", r"_{0,2}wait_event\w*", r"_{0,2}cond_resched\w*", r"cpu_stop\w*",
)) + r")$")
# An OOM's stack runs through the page and slab allocators to the allocating caller; a user page
# fault's path ends in a pseudo-frame, the same on every kernel whatever it inlines
ALLOCATOR = re.compile(r"^(?:" + "|".join((
    r"_{0,3}alloc_pages\w*", r"_{0,2}folio_alloc\w*", r"vma_alloc_folio\w*", r"alloc_\w*folio\w*",
    r"__get_free_pages\w*", r"get_zeroed_page\w*", r"_{0,3}kmalloc\w*", r"kmem_cache_alloc\w*",
    r"_{0,3}slab_alloc\w*", r"allocate_slab", r"new_slab", r"k[vz]alloc\w*", r"kvmalloc\w*",
    r"_{0,2}vmalloc\w*",
)) + r")$")
# what a lockup's interrupted loop polls: the loop is in the caller (the interrupt lands in either)
POLLED = re.compile(r"^(?:" + "|".join((
    r"completion_done", r"try_wait_for_completion", r"cpu_relax", r"rep_nop",
    r"\w*queued_(?:spin|read|write)_lock_slowpath", r"_raw_(?:spin|read|write)_(?:try)?lock\w*",
    r"do_raw_(?:spin|read|write)_(?:try)?lock", r"\w*delay_\w+", r"_{0,2}(?:const_)?[unm]?delay",
    r"read_seqcount\w*", r"smp_call_function\w*", r"csd_lock_wait\w*", r"mutex_spin_on_owner",
    r"osq_lock", r"rwsem_spin_on_owner", r"ktime_get\w*", r"kthread_should_stop",
)) + r")$")
LOCKUP_KINDS = ("soft_lockup", "hard_lockup")
FAULT_PATH = re.compile(r"^(?:_{0,2}handle_mm_fault|handle_pte_fault|_{0,2}do_\w*fault\w*|"
                        r"do_\w+_page|wp_page_copy|filemap_fault\w*)$")
USER_PAGE_FAULT = "page_fault"
COMPILER_SUFFIX = re.compile(r"\.(?:cold|isra|constprop|part|lto_priv|llvm)(?:\.\d+)*")


@dataclass(frozen=True)
class StackFrame:
    """A frame of a stack as triage reports it: the function and its module (None: vmlinux)."""

    function: str
    module: str | None = None


def base_name(function: str) -> str:
    """The function without the compiler's clone suffixes (``.cold``, ``.isra.0`` ...), which
    change from build to build."""
    return COMPILER_SUFFIX.sub("", function)


def is_machinery(function: str) -> bool:
    return bool(MACHINERY.match(base_name(function)))


def is_polled(function: str) -> bool:
    """Whether a lockup's loop may be found inside *function* rather than in its own code."""
    return bool(POLLED.match(base_name(function)))


def panic_kind(message: str, log: Sequence[str], stack: Sequence[StackFrame]) -> str:
    """One of KINDS: the panic message first, then the crashing stack, then the log's last
    oops or BUG report."""
    for kind, pattern in MESSAGE_KINDS:
        if pattern.search(message):
            return kind
    functions = [base_name(frame.function) for frame in stack]
    for kind, pattern in STACK_KINDS:
        if any(pattern.match(f) for f in functions):
            return kind
    for i in range(len(log) - 1, -1, -1):
        if BUG_LINE.match(log[i]):
            return "bug"
        if OOPS_LINE.match(log[i]):  # 6.12 heads a BUG's report "Oops: invalid opcode"
            return "bug" if i and BUG_LINE.match(log[i - 1]) else "oops"
    if "Fatal exception" in message or "Oops" in message or "oops_end" in functions:
        return "oops"
    return "other"


def first_cause(stack: Iterable[StackFrame]) -> StackFrame | None:
    """The first frame that is not panic, oops, exception, watchdog or sleeping machinery."""
    for frame in stack:
        if not is_machinery(frame.function):
            return frame
    return None


def oom_cause(stack: Iterable[StackFrame]) -> StackFrame | None:
    """An OOM's cause: the first caller outside the machinery and the allocators, or the
    pseudo-frame USER_PAGE_FAULT when user memory was being faulted in."""
    cause = first_cause(f for f in stack if not ALLOCATOR.match(base_name(f.function)))
    if cause is not None and FAULT_PATH.match(base_name(cause.function)):
        return StackFrame(USER_PAGE_FAULT)
    return cause


def signature(kind: str, cause: StackFrame | None) -> str:
    """A short string naming the cause, the same on every build: kind and function [module]."""
    if cause is None:
        return kind
    module = f" [{cause.module}]" if cause.module else ""
    return f"{kind}: {base_name(cause.function)}{module}"


def rip_from_log(log: Sequence[str]) -> StackFrame | None:
    """The faulting function of the log's last oops report (its ``RIP:`` line)."""
    for line in reversed(log):
        match = RIP_LINE.match(line)
        if match:
            return StackFrame(match.group(1), match.group(2))
    return None


def hung_task_pids(log: Iterable[str]) -> list[int]:
    """The pids the hung-task detector reported, in the log's order."""
    return [int(m.group(2)) for m in map(HUNG_TASK.match, log) if m]


def oom_report(log: Sequence[str]) -> tuple[list[str], tuple[int, str] | None]:
    """The log's last OOM report (from "invoked oom-killer" on) and its victim (pid, comm)."""
    starts = [i for i, line in enumerate(log) if OOM_START.search(line)]
    if not starts:
        return [], None
    report = list(log[starts[-1]:])
    for line in report:
        match = OOM_VICTIM.search(line)
        if match:
            return report, (int(match.group(1)), match.group(2))
    return report, None
