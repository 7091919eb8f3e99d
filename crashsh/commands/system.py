"""sys (and the startup banner): system facts, taints, kernel config."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from crashsh.errors import CommandError
from crashsh.kernel import system, tasks
from crashsh.kernel.paths import read_string
from crashsh.parsing import CommandParser, Ordered
from crashsh.records import LAYOUT, Address, Word
from crashsh.registry import command


@dataclass
class SysInfo:
    kernel: str
    tainted: bool
    dumpfile: str
    partial_dump: bool
    cpus: int
    cpus_offline: int
    date: str
    uptime: str
    load_average: str
    tasks: int
    nodename: str
    release: str
    version: str
    machine: str
    mhz: int
    memory: str
    panic: str | None
    split_files: list[str] = field(default_factory=list)  # a split kdump's parts, as named


@dataclass
class ContextInfo:
    """The task block of the banner and of `set`."""

    pid: int
    command: str
    task: Address
    thread_info: Address
    tasks_with_pid: int
    cpu: int
    state: str
    activity: str  # "(PANIC)", "(ACTIVE)", "(SYSRQ)" or ""


@dataclass
class Banner:
    sys: SysInfo
    context: ContextInfo


@dataclass
class Taints:
    mask: Word
    letters: str


@dataclass
class KernelConfig:
    lines: list[str]


@dataclass
class DmiInfo:
    """`sys -i`: the DMI strings the kernel keeps (dmi_ident[]), by the dmi_field names of
    their indexes; ``width`` is crash's column width (the longest name below the array's
    end, present or not)."""

    fields: dict[str, str]
    width: int = field(default=0, metadata=LAYOUT)


def sys_info(session) -> SysInfo:
    prog = session.prog
    present, online = system.cpu_counts(prog)
    xtime = prog["shadow_timekeeper"].xtime_sec.value_()
    panic = None if session.is_live else system.panic_message(prog)
    return SysInfo(
        kernel=session.vmlinux_given or session.vmlinux,
        tainted=system.tainted_mask(prog) != 0,
        dumpfile=session.dumpfile,
        partial_dump=session.dump_level > 0,
        split_files=list(session.split_files),
        cpus=present,
        cpus_offline=max(present - online, 0),
        date=time.strftime("%a %b %e %T %Z %Y", time.localtime(xtime)),
        uptime=system.format_uptime(system.uptime_jiffies(prog), system.hz(prog)),
        load_average=system.load_average(prog),
        tasks=system.task_count(prog),
        nodename=system.uts_field(prog, "nodename"),
        release=system.uts_field(prog, "release"),
        version=system.uts_field(prog, "version"),
        machine=system.uts_field(prog, "machine"),
        mhz=system.cpu_mhz(prog),
        memory=system.memory_size(prog),
        panic=panic,
    )


def context_info(session, task=None) -> ContextInfo:
    """Describe *task* (default: the current context) as crash's show_context does."""
    prog = session.prog
    task = session.context if task is None else task
    address = task.value_()
    pid = task.pid.value_()
    active = tasks.active_tasks(prog)
    activity = ""
    if address in active:
        if address == session.panic_task.value_() and not session.is_live:
            sysrq = system.is_sysrq_crash(system.panic_message(prog))
            activity = "(SYSRQ)" if sysrq else "(PANIC)"
        else:
            activity = "(ACTIVE)"
    return ContextInfo(
        pid=pid,
        command=task.comm.string_().decode(errors="replace"),
        task=address,
        thread_info=address,
        tasks_with_pid=tasks.tasks_with_pid(prog, pid),
        cpu=tasks.cpu_of(task),
        state=tasks.state_verbose(task),
        activity=activity,
    )


def banner(session) -> Banner:
    return Banner(sys_info(session), context_info(session, session.panic_task))


def taints(session) -> Taints:
    """`sys -t`: tainted_mask and its letters from ``taint_flags[]``."""
    prog = session.prog
    mask = system.tainted_mask(prog)
    letters = []
    for bit, flag in enumerate(prog["taint_flags"]):
        if mask & (1 << bit):
            letters.append(chr(flag.c_true.value_()))
        else:
            false = chr(flag.c_false.value_())
            if false not in " -G":
                letters.append(false)
    return Taints(mask, "".join(letters))


def kernel_config(session) -> KernelConfig:
    """`sys config`: the IKCONFIG text, every line as the kernel stored it."""
    text = system.ikconfig_text(session.prog)
    if text is None:
        raise CommandError("kernel_config_data does not exist in this kernel")
    return KernelConfig(text.splitlines())


def dmi_info(session) -> DmiInfo:
    """crash's dump_dmi_info(): each non-NULL dmi_ident[] string, named by the enumerators
    of enum dmi_field up to the first one past the array (by index without the enum)."""
    prog = session.prog
    try:
        ident = prog["dmi_ident"]
    except KeyError:
        raise CommandError("dmi_ident does not exist in this kernel") from None
    length = ident.type_.length
    try:
        enumerators = prog.type("enum dmi_field").enumerators
    except LookupError:
        names, width = [(f"dmi_ident[{i}]", i) for i in range(length)], 0
    else:
        names = list(itertools.takewhile(lambda pair: pair[1] < length,
                                         ((e.name, e.value) for e in enumerators)))
        width = max((len(name) for name, _ in names), default=0)
    fields = {name: read_string(prog, address) or "" for name, index in names
              if (address := ident[index].value_())}
    return DmiInfo(fields, width)


SYS_HELP = """\
The dump at a glance: kernel and dump file, CPUs, date, uptime, load average, task count,
node name, release, version, machine, memory and the panic message. -t the taint flags,
-i the DMI strings (BIOS, system, board and chassis), -c the system call table (a name or
number chooses entries), config the kernel's built-in configuration (CONFIG_IKCONFIG).
-t and -i act in the order given.
"""
SYS_EXAMPLES = """\
  sys              KERNEL, DUMPFILE, CPUS, DATE, UPTIME ... PANIC, one per line
  sys -t           TAINTED_MASK: 3000  OE
  sys -i           DMI_BIOS_VENDOR: SeaBIOS ... one line per DMI string
  sys -c write     the system call table's entries for write
"""


def sys_parser() -> CommandParser:
    parser = CommandParser("sys", SYS_HELP, examples=SYS_EXAMPLES)
    parser.add_argument("-t", dest="first", action=Ordered, nargs=0, help="kernel taint flags")
    parser.add_argument("-i", dest="first", action=Ordered, nargs=0,
                        help="DMI information (BIOS, system and chassis)")
    parser.add_argument("-c", dest="syscalls", action="store_true", help="system call table")
    parser.add_argument("args", nargs="*", metavar="config", help="'config': the kernel config")
    parser.set_defaults(first=[])
    return parser


@command("sys", "system data", sys_parser,
         synopsis="[-c [name|number]] [-t] [-i] config")
def run_sys(session, args):
    if args.first:  # -t and -i act as crash's getopt meets them
        return taints(session) if args.first[0][0] == "-t" else dmi_info(session)
    if args.syscalls:
        from crashsh.commands.syscalls import run_syscalls

        return run_syscalls(session, args.args)
    if not args.args:
        return sys_info(session)
    if args.args != ["config"] * len(args.args):
        raise CommandError(f"invalid argument: {args.args[0]}")
    return kernel_config(session)
