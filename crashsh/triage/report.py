"""One dump's triage report, computed from the data crashsh's commands use (sys, bt, ps, log,
kmem, mod), never from their text."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.module import for_each_module
from drgn.helpers.linux.mmzone import for_each_online_pgdat, low_wmark_pages
from drgn.helpers.linux.printk import get_printk_records

from crashsh.kernel import meminfo, slab, stack, system, tasks
from crashsh.kernel.modules import module_taints
from crashsh.records import Address, Word
from crashsh.triage import classify
from crashsh.triage.classify import StackFrame

LOG_TAIL = 20
TOP_CACHES = 10
# the kernel's taint bits (Documentation/admin-guide/tainted-kernels.rst); letters come from the dump
TAINT_REASONS = (
    "proprietary module was loaded", "module was force loaded",
    "kernel running on an out of specification system", "module was force unloaded",
    "processor reported a Machine Check Exception (MCE)", "bad page referenced or some unexpected "
    "page flags", "taint requested by userspace application", "kernel died recently, i.e. there "
    "was an OOPS or BUG", "ACPI table overridden by user", "kernel issued warning",
    "staging driver was loaded", "workaround for bug in platform firmware applied",
    "externally-built (\"out-of-tree\") module was loaded", "unsigned module was loaded",
    "soft lockup occurred", "kernel has been live patched", "auxiliary taint, defined for and "
    "used by distros", "kernel was built with the struct randomization plugin",
    "an in-kernel test has been run",
)


@dataclass
class KernelFacts:
    release: str
    version: str
    arch: str
    cpus: int
    memory: int  # bytes
    uptime: int  # seconds
    date: str  # ISO 8601, UTC
    nodename: str


@dataclass
class TaintReason:
    bit: int
    letter: str
    reason: str


@dataclass
class TaintingModule:
    name: str
    taints: str


@dataclass
class Taint:
    value: Word
    letters: str
    reasons: list[TaintReason]
    modules: list[TaintingModule]


@dataclass
class Panic:
    kind: str
    message: str
    pid: int
    comm: str
    cpu: int
    function: str | None = None  # oops, BUG, WARN: where it faulted
    module: str | None = None
    address: Address | None = None
    file: str | None = None
    line: int | None = None
    stack: list[StackFrame] = field(default_factory=list)


@dataclass
class BlockedTask:
    pid: int
    comm: str
    task: Address
    blocked: int | None  # seconds since it last ran, when the kernel keeps that


@dataclass
class HungTask(BlockedTask):
    stack: list[StackFrame]


@dataclass
class HungGroup:
    """Blocked tasks with the same stack (as bt --group groups them)."""

    count: int
    tasks: list[BlockedTask]
    stack: list[StackFrame]


@dataclass
class Lockup:
    kind: str  # soft | hard
    cpu: int
    seconds: int | None = None
    pid: int | None = None
    comm: str | None = None


@dataclass
class LogLine:
    time: float  # seconds since boot
    text: str


@dataclass
class Oom:
    victim_pid: int | None
    victim_comm: str | None
    report: list[str]


@dataclass
class SlabCache:
    name: str
    size: int  # bytes in its slabs
    objects: int


@dataclass
class Memory:
    total: int  # bytes
    free: int
    available: int
    top_slab_caches: list[SlabCache]


@dataclass
class Report:
    dump: str
    kernel: KernelFacts
    taint: Taint
    panic: Panic
    signature: str
    hung_tasks: list[HungGroup]
    lockups: list[Lockup]
    oom: Oom | None
    rcu_stalls: list[LogLine]
    warnings: list[LogLine]
    memory: Memory
    log_tail: list[LogLine]


def triage(session) -> Report:
    """The whole report for the session's dump."""
    prog = session.prog
    kernel = stack.stack_kernel(prog)
    log = [LogLine(r.timestamp / 1e9, line)
           for r in get_printk_records(prog)
           for line in r.text.decode("latin-1").splitlines()]
    texts = [entry.text for entry in log]
    panic = panic_report(session, kernel, texts)
    hung = hung_tasks(prog, kernel, texts)
    cause = panic_cause(panic, hung)
    oom_lines, victim = classify.oom_report(texts)
    return Report(
        dump=" ".join(session.dump_files),
        kernel=kernel_facts(prog),
        taint=taint(prog),
        panic=panic,
        signature=classify.signature(panic.kind, cause),
        hung_tasks=group_hung(hung),
        lockups=lockups(texts),
        oom=Oom(*(victim or (None, None)), oom_lines) if oom_lines else None,
        rcu_stalls=[entry for entry in log if classify.RCU_STALL.match(entry.text)],
        warnings=[entry for entry in log if classify.WARNING_LINE.match(entry.text)],
        memory=memory(prog),
        log_tail=log[-LOG_TAIL:],
    )


def kernel_facts(prog: drgn.Program) -> KernelFacts:
    present, _online = system.cpu_counts(prog)
    xtime = prog["shadow_timekeeper"].xtime_sec.value_()
    return KernelFacts(
        release=system.uts_field(prog, "release"),
        version=system.uts_field(prog, "version"),
        arch=system.uts_field(prog, "machine"),
        cpus=present,
        memory=meminfo.memory_usage(prog).total * page_size(prog),
        uptime=system.uptime_jiffies(prog) // system.hz(prog),
        date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(xtime)),
        nodename=system.uts_field(prog, "nodename"),
    )


def page_size(prog: drgn.Program) -> int:
    return prog["PAGE_SIZE"].value_()


def taint(prog: drgn.Program) -> Taint:
    """tainted_mask, its letters and reasons, and the modules that carry a taint."""
    mask = system.tainted_mask(prog)
    reasons = []
    for bit, flag in enumerate(prog["taint_flags"]):
        if mask & (1 << bit):
            reason = TAINT_REASONS[bit] if bit < len(TAINT_REASONS) else f"taint bit {bit}"
            reasons.append(TaintReason(bit, chr(flag.c_true.value_()), reason))
    modules = [TaintingModule(mod.name.string_().decode(), letters)
               for mod in for_each_module(prog) if (letters := module_taints(mod))]
    return Taint(mask, "".join(r.letter for r in reasons), reasons, modules)


def frames_of(kernel: stack.StackKernel, task: drgn.Object,
              line_numbers: bool = False) -> tuple[list[stack.Frame | stack.ExceptionFrame],
                                                   list[StackFrame]]:
    """A task's walk (frames and exception frames, in order) and its triage frames; empty when
    the task has no stack or crash's walk gives up."""
    if not stack.has_stack(task):
        return [], []
    try:
        entries = stack.backtrace(kernel, task, stack.WalkOptions(line_numbers=line_numbers))
    except stack.StackError:
        return [], []
    walk: list = []
    frames: list[StackFrame] = []
    for entry in entries:
        if isinstance(entry, stack.Frame):
            walk.append(entry)
            frames.append(StackFrame(entry.function, entry.module))
        elif isinstance(entry, stack.ExceptionFrame) and entry.function:
            walk.append(entry)
            frames.append(StackFrame(entry.function, module_of(kernel, entry.registers.rip)))
    return walk, frames


def module_of(kernel: stack.StackKernel, address: int) -> str | None:
    found = kernel.value_search(address)
    return found[0].module if found else None


def panic_report(session, kernel: stack.StackKernel, log: list[str]) -> Panic:
    prog = session.prog
    task = session.panic_task
    walk, frames = frames_of(kernel, task, line_numbers=True)
    message = system.panic_message(prog)
    panic_lines = [line for line in log if "Kernel panic - not syncing" in line]
    kind = classify.panic_kind(" ".join([message, *panic_lines[-1:]]), log, frames)
    panic = Panic(kind, message, task.pid.value_(), tasks.comm(task), tasks.cpu_of(task),
                  stack=frames)
    if kind in ("oops", "bug", "warn", "soft_lockup", "hard_lockup", "mce"):
        faulting(panic, kernel, walk, log)
    return panic


def faulting(panic: Panic, kernel: stack.StackKernel, walk: list, log: list[str]) -> None:
    """Where it faulted: the first kernel-mode exception frame of the crashing stack, else the
    RIP line of the log's last oops report."""
    for i, entry in enumerate(walk):
        if isinstance(entry, stack.ExceptionFrame):
            panic.function = classify.base_name(entry.function)
            panic.module = module_of(kernel, entry.registers.rip)
            panic.address = entry.registers.rip
            panic.file, panic.line = entry.file, entry.line
            if panic.kind in classify.LOCKUP_KINDS and classify.is_polled(entry.function):
                looping(panic, walk[i + 1:])
            return
    found = classify.rip_from_log(log)
    if found:
        panic.function, panic.module = classify.base_name(found.function), found.module


def looping(panic: Panic, callers: list) -> None:
    """A lockup interrupted inside what its loop polls (completion_done, a spinlock's slow
    path, a delay): the function that loops is the first caller that polls nothing."""
    for frame in callers:
        if isinstance(frame, stack.Frame) and not classify.is_polled(frame.function):
            panic.function, panic.module = classify.base_name(frame.function), frame.module
            panic.address, panic.file, panic.line = frame.pc, frame.file, frame.line
            return


def panic_cause(panic: Panic, hung: list[HungTask]) -> StackFrame | None:
    """The frame the signature names: the faulting function, or the first frame that is not
    machinery (of the longest-blocked reported task for a hung-task panic)."""
    if panic.kind == "hung_task" and hung:
        return classify.first_cause(hung[0].stack)
    if panic.function:
        return StackFrame(panic.function, panic.module)
    if panic.kind == "oom":
        return classify.oom_cause(panic.stack)
    return classify.first_cause(panic.stack)


def hung_tasks(prog: drgn.Program, kernel: stack.StackKernel, log: list[str]) -> list[HungTask]:
    """Tasks in D state, those the hung-task detector reported first, then the longest blocked."""
    reported = classify.hung_task_pids(log)
    jiffies = prog["jiffies"].value_()
    rate = system.hz(prog)
    found = []
    for task in tasks.crash_task_table(prog):
        if tasks.state_code(task) != "UN":
            continue
        _walk, frames = frames_of(kernel, task)
        found.append(HungTask(task.pid.value_(), tasks.comm(task), task.value_(),
                              blocked_seconds(task, jiffies, rate), frames))
    order = {pid: i for i, pid in enumerate(reported)}
    found.sort(key=lambda h: (order.get(h.pid, len(order)), -(h.blocked or 0), h.pid))
    return found


def blocked_seconds(task: drgn.Object, jiffies: int, rate: int) -> int | None:
    """Seconds since the task last switched (the hung-task detector's last_switch_time)."""
    try:
        since = task.last_switch_time.value_()
    except AttributeError:
        return None
    return ((jiffies - since) & ((1 << 64) - 1)) // rate if since else None


def group_hung(hung: list[HungTask]) -> list[HungGroup]:
    groups: dict[tuple[StackFrame, ...], HungGroup] = {}
    for h in hung:
        group = groups.setdefault(tuple(h.stack), HungGroup(0, [], h.stack))
        group.count += 1
        group.tasks.append(BlockedTask(h.pid, h.comm, h.task, h.blocked))
    return sorted(groups.values(), key=lambda g: -g.count)


def lockups(log: list[str]) -> list[Lockup]:
    found = []
    for line in log:
        if m := classify.SOFT_LOCKUP.search(line):
            found.append(Lockup("soft", int(m.group(1)), int(m.group(2)), int(m.group(4)),
                                m.group(3)))
        elif m := classify.HARD_LOCKUP.search(line):
            found.append(Lockup("hard", int(m.group(1))))
    return found


def memory(prog: drgn.Program) -> Memory:
    usage = meminfo.memory_usage(prog)
    size = page_size(prog)
    caches = []
    walker = slab.walker(prog)
    for cache in walker.caches():
        usage_of = walker.usage(cache)
        caches.append(SlabCache(cache.name, usage_of.slabs * cache.slab_size, usage_of.total))
    caches.sort(key=lambda c: (-c.size, c.name))
    return Memory(usage.total * size, usage.free * size, available_pages(prog) * size,
                  caches[:TOP_CACHES])


def available_pages(prog: drgn.Program) -> int:
    """The kernel's si_mem_available(): free pages above the reserves, plus the page cache and
    reclaimable slab the kernel could give back."""
    def node_stat(name: str) -> int:
        return prog["vm_node_stat"][prog[name].value_()].counter.value_()

    wmark_low = sum(low_wmark_pages(zone) for zone in populated_zones(prog))
    free = prog["vm_zone_stat"][prog["NR_FREE_PAGES"].value_()].counter.value_()
    available = free - prog["totalreserve_pages"].value_()
    pagecache = node_stat("NR_ACTIVE_FILE") + node_stat("NR_INACTIVE_FILE")
    available += pagecache - min(pagecache // 2, wmark_low)
    reclaimable = node_stat("NR_SLAB_RECLAIMABLE_B") + node_stat("NR_KERNEL_MISC_RECLAIMABLE")
    available += reclaimable - min(reclaimable // 2, wmark_low)
    return max(available, 0)


def populated_zones(prog: drgn.Program):
    for node in for_each_online_pgdat(prog):
        for zone in node.node_zones:
            if zone.present_pages.value_():
                yield zone
