"""log -R and the printk_safe_seq_buf buffers (log -s) as crash's printk.c and kernel.c print
them, on synthetic records: the fixture kernels have neither Rust nor those buffers."""

from __future__ import annotations

import shutil

import pytest

from crashsh.commands.log import LogOptions, LogRecord, SafeBuffer
from crashsh.render.log import demangle_line, record_text, rust_body, safe_buffer_text


def options(**changes) -> LogOptions:
    base = dict(prefix="time", boot_date=0, caller_width=0, show_level=False, show_dict=False)
    return LogOptions(**{**base, **changes})


def record(text: str) -> LogRecord:
    return LogRecord(timestamp=1_500_000, level=6, caller="T1", text=text, subsystem="",
                     device="")


@pytest.mark.parametrize("text", ["plain words", "two\nlines", "a\nb\nc"])
def test_rust_option_prints_c_records_as_log_does(text):
    assert record_text(options(rust=True), record(text)) == record_text(options(), record(text))


def test_rust_option_holds_the_first_line_after_its_dots():
    # crash prints a non-printable's '.' at once and the held first line after it
    assert rust_body("<6>", "ab\x07c", "   ") == ".ab"
    # the character under the skipped index is the prefix's own (crash's buf is not cleared)
    assert rust_body("<6>", "\x07bc", "   ") == ".<bc"
    # a newline as the last character does not flush the held line: it comes after it
    assert rust_body("<6>", "ends\n", "   ") == "\n   ends"
    # an empty record prints the held prefix a second time
    assert rust_body("<6>", "", "   ") == "<6>"


def test_demangle_needs_a_symbol_and_a_plus():
    assert demangle_line("no symbol here") == "no symbol here"
    assert demangle_line("ACPI _REG without offset") == "ACPI _REG without offset"
    assert demangle_line("plus+before _RNvC7mycrate3foo") == "plus+before _RNvC7mycrate3foo"


@pytest.mark.skipif(shutil.which("c++filt") is None, reason="no c++filt (binutils)")
def test_demangle_rust_symbols_as_libiberty_does():
    assert demangle_line(" ? _RNvCs1234_7mycrate3foo+0x10/0x20") == " ? mycrate::foo+0x10/0x20"
    assert demangle_line(" _ZN4core3ptr13drop_in_place17h0123456789abcdefE+0x5") == (
        " core::ptr::drop_in_place+0x5")


def safe(data: bytes, length: int | None = None) -> SafeBuffer:
    length = len(data) if length is None else length
    return SafeBuffer("nmi_print_seq", 1, 0xFFFF88803FD00000, length, 0, data + bytes(8))


def test_safe_buffer_with_header():
    text = safe_buffer_text(safe(b"\x016hello\n\x014bye\n"), options(show_level=True), True)
    assert text == ("CPU: 1  ADDR: ffff88803fd00000 LEN: 14  MESSAGE_LOST: 0\n"
                    "  <6>hello\n  <4>bye\n\n")


def test_safe_buffer_after_the_log():
    text = safe_buffer_text(safe(b"\x016one\ntwo\x01\x07"), options(), False)
    assert text == "[nmi_print_seq] one\n                two\n[nmi_print_seq] \n"
    assert safe_buffer_text(safe(b"\x016x"), options(prefix="none"), False) == "x\n"


def test_empty_safe_buffer():
    assert safe_buffer_text(safe(b"", 0), options(), True).endswith("LOST: 0\n  (empty)\n\n")
    assert safe_buffer_text(safe(b"", 0), options(), False) == ""
