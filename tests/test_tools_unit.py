"""Pure logic of eval, ascii, btop and ptob: crash's parsing and formatting rules."""

from __future__ import annotations

import re

import pytest

from crashsh.commands.tools import Number, ascii_text
from crashsh.conventions.expressions import evaluate
from crashsh.conventions.numbers import NumberError, stol
from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError
from crashsh.render.plain import plain


def text(data) -> str:
    return "".join(plain(data))


@pytest.mark.parametrize(
    "expression, value",
    [
        ("(1024*1024)", 1 << 20),
        ("(4k + 2)", 4098),
        ("(1<<20)", 1 << 20),
        ("(-1)", (1 << 64) - 1),
        ("(~0)", (1 << 64) - 1),
        ("(10 / 3)", 3),
        ("(ff + 1)", 256),
        ("(2 # 10)", 1024),
        ("(12)", 12),
    ],
)
def test_evaluate(expression, value):
    assert evaluate(None, expression) == value


@pytest.mark.parametrize("expression", ["(1024*1024*5)", "(1 < 2)", "(+)", "((1)", "(zz)"])
def test_evaluate_rejects_what_crash_rejects(expression):
    with pytest.raises(CommandError, match=f"invalid expression: {re.escape(expression)}"):
        evaluate(None, expression)


def test_a_number_too_large_is_noted_before_the_error():
    with pytest.raises(CommandError) as caught:
        evaluate(None, "(1 + 0xffffffffffffffffffffff)")
    assert caught.value.notes == ('input string too large: "ffffffffffffffffffffff" (22 vs 16)',)


def test_number_is_decimal_only_when_all_digits():
    assert stol("10") == 10
    assert stol("1a") == 0x1A
    assert stol("0x10") == 16
    assert stol("0x") == 0
    assert stol("99999999999999999999999") == MASK64  # sscanf's %lu saturates
    with pytest.raises(NumberError, match="not a valid number: xyz"):
        stol("xyz")


def test_eval_output_layout():
    assert text(Number(1 << 20)) == (
        "hexadecimal: 100000  (1MB)\n"
        "    decimal: 1048576  \n"
        "      octal: 4000000\n"
        "     binary: " + format(1 << 20, "064b") + "\n"
    )
    negative = text(Number((1 << 64) - 1, show_bits=True)).splitlines()
    assert negative[1] == "    decimal: 18446744073709551615  (-1)"
    assert negative[4].startswith("   bits set: 63 62 ")
    assert all(len(line) <= 80 for line in negative)


def test_ascii_names_control_bytes():
    assert ascii_text(0x62696C2F7273752F) == "/usr/lib"
    assert ascii_text(0x7F00410A0D) == "<CR><LF>A<NUL><DEL><NUL><NUL><NUL>"
    assert ascii_text(0xFF) == "<ff><NUL><NUL><NUL><NUL><NUL><NUL><NUL>"
