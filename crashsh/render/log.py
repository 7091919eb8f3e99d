"""Plain text of log (crash's printk.c dump_record)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterator
from itertools import groupby

from crashsh.commands.log import AuditLog, LogListing, LogOptions, LogRecord, SafeBuffer, SafeBuffers, ctime
from crashsh.render.plain import plain

SPACE_CHARS = "\t\v\f\r "
BUFSIZE = 1500  # crash's buf in dump_record, where -R keeps a record's first line
SAFE_INDENT = 2  # crash's PRINTK_SAFE_SEQ_BUF_INDENT
SOH = 1  # printk's level marker in the safe buffers


NOT_PRINTABLE = re.compile(r"[^ -~\t\v\f\r\n]")  # what printable() refuses


def printable(ch: str) -> bool:
    """C's isprint() || isspace() in the C locale."""
    return " " <= ch < "\x7f" or ch in SPACE_CHARS or ch == "\n"


def prefix_parts(options: LogOptions, record: LogRecord) -> list[str]:
    """The timestamp, caller and level prefixes of a record, each as crash formats it."""
    parts = []
    seconds, nanos = divmod(record.timestamp, 1_000_000_000)
    if options.prefix == "time":
        parts.append(f"[{seconds:5d}.{nanos // 1000:06d}] ")
    elif options.prefix == "ctime":
        parts.append(f"[{ctime(options.boot_date + seconds)}] ")
    if options.caller_width:
        parts.append(f"[{record.caller:>{options.caller_width}}] ")
    if options.show_level:
        parts.append(f"<{record.level:x}>")
    return parts


def body(text: str, indent: str) -> str:
    """Newlines continue under the prefix; crash prints other non-printables as '.'."""
    return NOT_PRINTABLE.sub(".", text).replace("\n", "\n" + indent)


def rust_body(held: str, text: str, indent: str) -> str:
    """crash's dump_record with -R: the first line goes into the char buffer that still holds
    the last prefix it formatted (*held*) and is printed at the first inner newline or at the end, after any
    '.' for its non-printables, with a Rust symbol in it demangled; later lines print as
    they come."""
    text = text[:BUFSIZE]
    buf = bytearray(BUFSIZE + 1)  # a C string: up to the first NUL
    buf[:len(held)] = held.encode("latin-1")
    out, lines = [], 0
    for i, ch in enumerate(text):
        if ch == "\n":
            if i != len(text) - 1:
                lines += 1
                held = c_string(buf)
                out.append(held)
                buf[:len(held)] = bytes(len(held))
            out.append("\n" + indent)
        elif not printable(ch):
            out.append(".")
        elif lines:
            out.append(ch)
        else:
            buf[i:i + 2] = ch.encode("latin-1") + b"\0"
    out.append(demangle_line(c_string(buf)))
    return "".join(out)


def c_string(buf: bytearray) -> str:
    return buf[:buf.index(0)].decode("latin-1")


def demangle_line(line: str) -> str:
    """crash's -R: from the first `_R` (else `_ZN`) to the last '+', a Rust symbol demangled."""
    start = line.find("_R")
    if start < 0:
        start = line.find("_ZN")
    end = line.rfind("+")
    if start < 0 or end < start:
        return line
    name = rust_demangle(line[start:end])
    return line if name is None else (line[:start] + name + line[end:])[:BUFSIZE - 1]


@functools.lru_cache(maxsize=256)
def rust_demangle(mangled: str) -> str | None:
    """libiberty's rust_demangle(DMGL_RUST), which crash links, through binutils' c++filt
    (-i: without DMGL_VERBOSE, as crash calls it); None when it is no Rust symbol or there
    is no c++filt."""
    cxxfilt = shutil.which("c++filt")
    if not mangled or cxxfilt is None:
        return None
    try:
        done = subprocess.run([cxxfilt, "-i", "-s", "rust", "--", mangled], capture_output=True,
                              text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    name = done.stdout.rstrip("\n")
    return name if name and name != mangled else None


def record_text(options: LogOptions, record: LogRecord) -> str:
    parts = prefix_parts(options, record)
    head = "".join(parts)
    indent = " " * len(head)
    if options.rust:
        text = head + rust_body(parts[-1] if parts else "", record.text, indent)
    else:
        text = head + body(record.text, indent)
    if options.show_dict:
        if record.subsystem:
            text += f"\n{indent}SUBSYSTEM={record.subsystem}"
        if record.device:
            text += f"\n{indent}DEVICE={record.device}"
    return text + "\n"


def safe_buffer_text(buffer: SafeBuffer, options: LogOptions, header: bool) -> str:
    """crash's __dump_printk_safe_seq_buf for one CPU's buffer."""
    out = []
    if header:
        out.append(f"CPU: {buffer.cpu}  ADDR: {buffer.address:x} LEN: {buffer.length}  "
                   f"MESSAGE_LOST: {buffer.message_lost}\n")
    if buffer.length <= 0:
        return "".join(out) + (f"{' ' * SAFE_INDENT}(empty)\n\n" if header else "")
    no_time = options.prefix == "none"
    indent = SAFE_INDENT if header else 0 if no_time else len(buffer.name) + 3
    indent += 3 if options.show_level else 0
    data = buffer.data[:min(buffer.length, len(buffer.data))].decode("latin-1")
    start_of_line, i = True, 0
    while i < len(data):
        ch, at_start, start_of_line = data[i], start_of_line, False
        if ord(ch) == SOH:
            i += 1
            out.append("" if at_start else "\n")
            out.append(" " * SAFE_INDENT if header else "" if no_time else f"[{buffer.name}] ")
            if options.show_level and i < len(data) and data[i] in "01234567c":
                out.append(f"<{data[i]}>")
        else:
            out.append(" " * indent if at_start else "")
            out.append(ch if printable(ch) else ".")
            start_of_line = ch == "\n"
        i += 1
    return "".join(out) + ("" if start_of_line else "\n") + ("\n" if header else "")


@plain.register
def _(safe: SafeBuffers) -> Iterator[str]:
    for name, buffers in groupby(safe.buffers, key=lambda b: b.name):
        if safe.header:
            yield f"PRINTK_SAFE_SEQ_BUF: {name}\n"
        for buffer in buffers:
            yield safe_buffer_text(buffer, safe.options, safe.header)


@plain.register
def _(listing: LogListing) -> Iterator[str]:
    for record in listing.records:
        yield record_text(listing.options, record)
    if listing.safe is not None:
        yield from plain(listing.safe)


@plain.register
def _(audit: AuditLog) -> Iterator[str]:
    for record in audit.records:
        yield f"type={record.type} {record.text}\n"
