"""crashsh.conventions without a dump: crash's number rules and messages (tools.c), its
expressions and symbol-or-address arguments, the notice record and the usage block."""

from __future__ import annotations

import pytest

from crashsh.conventions.expressions import address_argument, can_eval, convert
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import (NumberError, dtoi, dtol, htol, is_decimal,
                                         is_hexadecimal, is_number, signed)
from crashsh.conventions.usage import usage_block
from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError


@pytest.mark.parametrize("text, decimal, hexadecimal", [
    ("10", True, True), ("0x", False, True), ("x", False, False), ("ff", False, True),
    ("1 2", True, False), ("12 ", True, True), ("0xg", False, False), ("１２", False, False),
    ("-1", False, False), ("", False, False),
])
def test_what_crash_counts_as_a_number(text, decimal, hexadecimal):
    assert is_decimal(text) is decimal and is_hexadecimal(text) is hexadecimal
    assert is_number(text) is (decimal or hexadecimal)


def test_htol_skips_x_and_h():
    assert htol("0X10") == 16 and htol("1h") == 1 and htol("xff") == 0xFF


def test_dtol_saturates_and_names_the_bad_digit():
    assert dtol("99999999999999999999999") == MASK64
    assert dtol("  12") == 12
    with pytest.raises(NumberError, match='^12a: "a" is not a digit 0 - 9$'):
        dtol("12a")


def test_dtoi_is_a_c_int():
    assert dtoi("4294967297") == 1 and dtoi("99999999999999999999") == -1
    with pytest.raises(NumberError, match='^: "" is not a digit 0 - 9$'):
        dtoi("")
    with pytest.raises(NumberError, match="^received NULL string$"):
        dtoi(None)


def test_signed():
    assert signed(MASK64) == -1 and signed(1 << 63) == -(1 << 63) and signed(5) == 5


@pytest.mark.parametrize("text, evaluable", [
    ("(1)", True), ("()", False), ("a+b", True), ("+b", False), ("a+", False), ("abc", False),
    ("((1))", False), ("a<<2", True),
])
def test_can_eval(text, evaluable):
    assert can_eval(text) is evaluable


def test_symbol_or_address_arguments():
    assert address_argument(None, "0x") == 0 and address_argument(None, "(1+1)") == 2
    assert address_argument(None, "no_such_symbol") is None
    assert convert(None, "10+1") == 11 and convert(None, "10") == 0x10  # expression: stol()
    with pytest.raises(CommandError, match='^cannot convert "zz"$'):
        convert(None, "zz")


def test_notice_text():
    assert Notice("ps", "x").text() == "ps: x\n"
    assert Notice("vm", "y", blank_before=True, blank_after=True).text() == "\nvm: y\n\n"


def test_usage_block():
    assert usage_block("log") == 'Usage:\n  log [-TtdmascR]\nEnter "help log" for details.\n'
    assert usage_block("no-such-command") is None
