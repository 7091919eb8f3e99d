"""log (alias dmesg): the kernel's printk ring buffer as crash's dump_record prints it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.usage import option_not_supported
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
printk_safe buffers, -R with Rust symbols demangled. -a prints instead the audit records still
queued in the kernel (not yet read by auditd), one "type=N TEXT" line each.
"""
LOG_EXAMPLES = """\
  log | tail -2    the last two lines:
    [    8.730954] R13: 0000000000000001 R14: 0000000000000001 R15: 0000000000000002
    [    8.730954]  </TASK>
  log -m           each line with its level, e.g. <6>[    0.000000] Linux version ...
  dmesg -T         (an alias) with wall-clock times
  log -a           the queued audit records, e.g. type=1300 audit(1700000000.123:42): ...
                   (or "log: kernel audit log is empty")
"""


def log_parser() -> CommandParser:
    p = CommandParser("log", LOG_HELP, examples=LOG_EXAMPLES)
    p.add_argument("-T", dest="ctime", action="store_true", help="human-readable timestamps")
    p.add_argument("-t", dest="no_time", action="store_true", help="no timestamps")
    p.add_argument("-d", dest="dict", action="store_true", help="SUBSYSTEM/DEVICE dictionary data")
    p.add_argument("-m", dest="level", action="store_true", help="message level")
    p.add_argument("-c", dest="caller", action="store_true", help="caller (thread or CPU id)")
    p.add_argument("-a", dest="audit", action="store_true",
                   help="the audit records queued in the kernel")
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
def run_log(session, args) -> LogListing | AuditLog | SafeBuffers | None:
    prog = session.prog
    if args.audit:
        return audit_log(prog)
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


@dataclass
class AuditRecord:
    """One queued audit message: its netlink type and text (crash's "type=%u %s")."""

    type: int
    text: str


@dataclass
class AuditLog:
    """`log -a`: the records of the kernel's audit queues, in crash's order."""

    records: list[AuditRecord]


# crash's dump_audit(): the queues of kernels before 4.11 (audit_skb_queue), then the newer
AUDIT_QUEUES = (("audit_skb_queue", ("audit_skb_hold_queue", "audit_skb_queue")),
                ("audit_queue", ("audit_hold_queue", "audit_retry_queue", "audit_queue")))


def audit_log(prog) -> AuditLog:
    """`log -a`: every queued audit record, or crash's message for none."""
    names = next((queues for marker, queues in AUDIT_QUEUES if marker in prog), None)
    if names is None:
        raise option_not_supported("a")
    found = [record for name in names if name in prog for record in audit_queue(prog[name])]
    if not found:
        raise CommandError("kernel audit log is empty")
    return AuditLog(found)


def audit_queue(head: drgn.Object) -> Iterator[AuditRecord]:
    """crash's dump_audit_skb_queue(): each sk_buff of the queue, its netlink header's type
    and the text after the (aligned) header up to the first NUL."""
    if not head.qlen:
        return
    prog = head.prog_
    header = prog.type("struct nlmsghdr")
    aligned = (drgn.sizeof(header) + 3) & ~3  # NLMSG_HDRLEN
    end = head.address_
    skb = head.next
    while True:
        data = skb.data.value_()
        if not data:
            raise CommandError("sk_buff.data: NULL")
        kind = drgn.Object(prog, header, address=data).nlmsg_type.value_()
        text = prog.read(data + aligned, max(skb.len.value_() - aligned, 0))
        yield AuditRecord(kind, text.split(b"\0", 1)[0].decode("latin-1"))
        skb = skb.next
        if skb.value_() == end:
            return


def ctime(seconds: int) -> str:
    """crash's ctime_tz(): strftime("%a %b %e %T %Z %Y") in local time."""
    return time.strftime("%a %b %e %T %Z %Y", time.localtime(seconds))
