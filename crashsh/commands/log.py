"""log (alias dmesg): the kernel's printk ring buffer as crash's dump_record prints it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from drgn.helpers.linux.printk import get_printk_records

from crashsh.errors import CommandError
from crashsh.kernel.system import hz, uptime_jiffies
from crashsh.parsing import CommandParser
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


@dataclass
class LogListing:
    options: LogOptions
    records: Iterator[LogRecord]


def log_parser() -> CommandParser:
    p = CommandParser("log", "dump system message buffer")
    p.add_argument("-T", dest="ctime", action="store_true", help="human-readable timestamps")
    p.add_argument("-t", dest="no_time", action="store_true", help="no timestamps")
    p.add_argument("-d", dest="dict", action="store_true", help="SUBSYSTEM/DEVICE dictionary data")
    p.add_argument("-m", dest="level", action="store_true", help="message level")
    p.add_argument("-c", dest="caller", action="store_true", help="caller (thread or CPU id)")
    p.add_argument("-a", dest="audit", action="store_true", help="audit log (not supported yet)")
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
    for r in get_printk_records(prog):
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
    )
    return LogListing(options, records(prog))


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
