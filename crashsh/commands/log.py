"""log (alias dmesg): the kernel's printk ring buffer as crash's dump_record prints it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.errors import CommandError
from crashsh.kernel.printk import printk_records
from crashsh.kernel.system import hz, uptime_jiffies
from crashsh.parsing import CommandParser
from crashsh.records import LAYOUT, Address
from crashsh.registry import command

PID_CHARS_DEFAULT = 8


@dataclass
class LogRecord:
    """One printk record: timestamp (ns since boot), level, caller ("T<pid>"/"C<cpu>"), text."""

    timestamp: int
    level: int
    caller: str
    text: str
    subsystem: str
    device: str


@dataclass
class LogOptions:
    """What `log` prefixes each record with."""

    prefix: str  # "time" ([seconds]), "ctime" (-T), or "none" (-t)
    boot_date: int  # seconds since the epoch, for -T
    caller_width: int  # 0 without -c
    show_level: bool
    show_dict: bool
    rust: bool = False  # -R: demangle a Rust symbol in each record's first line


@dataclass
class SafeBuffer:
    """One CPU's printk_safe_seq_buf (kernels 4.11 to 5.14 kept NMI and printk-safe messages
    there until they reached the log): crash prints them after the log, or alone with -s."""

    name: str  # nmi_print_seq or safe_print_seq
    cpu: int
    address: Address
    length: int
    message_lost: int
    data: bytes


@dataclass
class SafeBuffers:
    """`log -s` (header: each buffer's name, CPU lines and "(empty)"), or what follows `log`."""

    options: LogOptions = field(metadata=LAYOUT)
    header: bool = field(metadata=LAYOUT)
    buffers: list[SafeBuffer]


@dataclass
class LogListing:
    options: LogOptions = field(metadata=LAYOUT)
    records: Iterator[LogRecord]
    safe: SafeBuffers | None = None


LOG_HELP = """\
The kernel's message buffer (the printk ring buffer) with each record's timestamp as
[seconds.microseconds]; -T as a human-readable date, -t without, -m with the message level,
-c with the caller's thread or CPU id, -d with the SUBSYSTEM/DEVICE dictionary, -s only the
printk_safe buffers, -R with Rust symbols demangled.
"""
LOG_EXAMPLES = """\
  log | tail -2    the last two lines:
    [    8.730954] R13: 0000000000000001 R14: 0000000000000001 R15: 0000000000000002
    [    8.730954]  </TASK>
  log -m           each line with its level, e.g. <6>[    0.000000] Linux version ...
  dmesg -T         (an alias) with wall-clock times
"""


def log_parser() -> CommandParser:
    p = CommandParser("log", LOG_HELP, examples=LOG_EXAMPLES)
    p.add_argument("-T", dest="ctime", action="store_true", help="human-readable timestamps")
    p.add_argument("-t", dest="no_time", action="store_true", help="no timestamps")
    p.add_argument("-d", dest="dict", action="store_true", help="SUBSYSTEM/DEVICE dictionary data")
    p.add_argument("-m", dest="level", action="store_true", help="message level")
    p.add_argument("-c", dest="caller", action="store_true", help="caller (thread or CPU id)")
    p.add_argument("-a", dest="audit", action="store_true",
                   help="audit log (whether it is empty; its records are not printed yet)")
    p.add_argument("-s", dest="safe", action="store_true",
                   help="only the printk_safe_seq_buf buffers (kernels 4.11 to 5.14)")
    p.add_argument("-R", dest="rust", action="store_true", help="demangle Rust symbols")
    return p


def caller_width(prog) -> int:
    """crash's pid_max_chars: the width of the -c caller column."""
    try:
        pid_max = prog["pid_max"].value_()
    except KeyError:
        return PID_CHARS_DEFAULT
    if pid_max <= 99999:
        return 6
    if pid_max <= 999999:
        return 7
    return PID_CHARS_DEFAULT


def boot_date(prog) -> int:
    """crash's boot_date: the dump's wall clock minus the uptime in whole seconds."""
    return prog["shadow_timekeeper"].xtime_sec.value_() - uptime_jiffies(prog) // hz(prog)


def records(prog) -> Iterator[LogRecord]:
    for r in printk_records(prog):
        caller = f"T{r.caller_tid}" if r.caller_tid is not None else f"C{r.caller_cpu}"
        yield LogRecord(
            timestamp=r.timestamp,
            level=r.level,
            caller=caller,
            text=r.text.decode("latin-1"),
            subsystem=r.context.get(b"SUBSYSTEM", b"").decode("latin-1"),
            device=r.context.get(b"DEVICE", b"").decode("latin-1"),
        )


@command("log", "dump system message buffer", log_parser,
         synopsis="[-TtdmascR]")
def run_log(session, args) -> LogListing:
    prog = session.prog
    if args.audit:
        audit_log(prog)
    prefix = "none" if args.no_time else "ctime" if args.ctime else "time"
    options = LogOptions(
        prefix=prefix,
        boot_date=boot_date(prog) if prefix == "ctime" else 0,
        caller_width=caller_width(prog) if args.caller else 0,
        show_level=args.level,
        show_dict=args.dict,
        rust=args.rust,
    )
    found = safe_buffers(prog)
    safe = None if found is None else SafeBuffers(options, args.safe, found)
    if args.safe:
        return safe  # crash prints nothing on kernels without the buffers
    return LogListing(options, records(prog), safe)


SAFE_BUFFER_NAMES = ("nmi_print_seq", "safe_print_seq")


def safe_buffers(prog) -> list[SafeBuffer] | None:
    """Every CPU's printk_safe_seq_buf, as crash's dump_printk_safe_seq_buf reads them; None
    when the kernel has none (struct printk_safe_seq_buf went in 5.15)."""
    try:
        prog.type("struct printk_safe_seq_buf")
    except LookupError:
        return None
    from drgn.helpers.linux.percpu import per_cpu

    from crashsh.kernel.meminfo import crash_cpus

    found = []
    for name in SAFE_BUFFER_NAMES:
        try:
            variable = prog[name]
        except KeyError:
            continue
        for cpu in crash_cpus(prog):
            buf = per_cpu(variable, cpu)
            found.append(SafeBuffer(name, cpu, buf.address_, buf.len.counter.value_(),
                                    buf.message_lost.counter.value_(),
                                    prog.read(buf.buffer.address_, drgn.sizeof(buf.buffer))))
    return found


AUDIT_QUEUES = ("audit_hold_queue", "audit_retry_queue", "audit_queue")


def audit_log(prog) -> None:
    """`log -a`: crash reports an empty audit backlog; printing queued records is not done yet."""
    try:
        queued = sum(prog[name].qlen.value_() for name in AUDIT_QUEUES)
    except KeyError:
        raise CommandError("-a option not supported on this kernel") from None
    if not queued:
        raise CommandError("kernel audit log is empty")
    raise CommandError(f"{queued} queued audit records: printing them is not supported yet")


def ctime(seconds: int) -> str:
    """crash's ctime_tz(): strftime("%a %b %e %T %Z %Y") in local time."""
    return time.strftime("%a %b %e %T %Z %Y", time.localtime(seconds))
