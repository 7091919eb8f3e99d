"""The harness's comparison rules (pure logic): known lines and crash's known faults."""

from __future__ import annotations

from tests.differential.runner import Comparison
from tests.differential.suite import Case

FAULT = (r"cmd: seek error: kernel virtual address: [0-9a-f]+  type: \"table\"", "over-read")


def test_known_fault_compares_only_the_lines_before_it():
    case = Case("cmd", True, crash_fault=FAULT)
    faulted = Comparison(case, "cmd", "a\nb\nc\n",
                         'a\ncmd: seek error: kernel virtual address: ffff1000  type: "table"\n')
    assert faulted.matches("6.1")
    wrong_before = Comparison(case, "cmd", "x\nb\n",
                              'a\ncmd: seek error: kernel virtual address: ffff1000  type: "table"\n')
    assert not wrong_before.matches("6.1")
    assert wrong_before.first_difference("6.1") == "line 1: crashsh 'x' / crash 'a'"


def test_no_output_at_all_is_the_silent_fault():
    case = Case("cmd", True, crash_fault=FAULT)
    assert Comparison(case, "cmd", "a\nb\n", "").matches("6.1")
    assert not Comparison(Case("cmd", True), "cmd", "a\nb\n", "").matches("6.1")
    blank_line = Comparison(case, "cmd", "a\n\nb\n", "a\n\nc\n")
    assert not blank_line.matches("6.1")  # a blank line in crash's output is not the fault


def test_without_the_fault_the_whole_output_is_compared():
    case = Case("cmd", True, crash_fault=FAULT)
    assert Comparison(case, "cmd", "a\nb\n", "a\nb\n").matches("6.1")
    assert not Comparison(case, "cmd", "a\nb\n", "a\n").matches("6.1")
    other_error = 'cmd: seek error: kernel virtual address: ffff1000  type: "other"\n'
    assert not Comparison(case, "cmd", "a\n", other_error).matches("6.1")


def test_known_lines_are_left_out_for_their_series_only():
    case = Case("cmd", True, {"6.12": ("HZ: ", "guess")})
    assert Comparison(case, "cmd", "a\nHZ: 250\n", "a\nHZ: 1000\n").matches("6.12")
    assert not Comparison(case, "cmd", "a\nHZ: 250\n", "a\nHZ: 1000\n").matches("6.1")
