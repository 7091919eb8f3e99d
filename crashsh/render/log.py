"""Plain text of log (crash's printk.c dump_record)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.log import LogListing, LogOptions, LogRecord, ctime
from crashsh.render.plain import plain

SPACE_CHARS = "\t\v\f\r "


def prefix(options: LogOptions, record: LogRecord) -> str:
    text = ""
    seconds, nanos = divmod(record.timestamp, 1_000_000_000)
    if options.prefix == "time":
        text += f"[{seconds:5d}.{nanos // 1000:06d}] "
    elif options.prefix == "ctime":
        text += f"[{ctime(options.boot_date + seconds)}] "
    if options.caller_width:
        text += f"[{record.caller:>{options.caller_width}}] "
    if options.show_level:
        text += f"<{record.level:x}>"
    return text


def body(text: str, indent: str) -> str:
    """Newlines continue under the prefix; crash prints other non-printables as '.'."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\n" + indent)
        elif " " <= ch < "\x7f" or ch in SPACE_CHARS:
            out.append(ch)
        else:
            out.append(".")
    return "".join(out)


def record_text(options: LogOptions, record: LogRecord) -> str:
    head = prefix(options, record)
    indent = " " * len(head)
    text = head + body(record.text, indent)
    if options.show_dict:
        if record.subsystem:
            text += f"\n{indent}SUBSYSTEM={record.subsystem}"
        if record.device:
            text += f"\n{indent}DEVICE={record.device}"
    return text + "\n"


@plain.register
def _(listing: LogListing) -> Iterator[str]:
    for record in listing.records:
        yield record_text(listing.options, record)
