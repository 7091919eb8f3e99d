"""Numbers as crash reads them (tools.c), with its error messages.

crash's rule for an argument: all decimal digits is decimal, any other string of hex digits
(with ``x``/``X`` anywhere, ``0x`` alone reading as 0) is hexadecimal. A hexadecimal value has
at most 16 digits; a decimal one that does not fit in 64 bits reads as 2**64-1 (``sscanf``).
"""

from __future__ import annotations

import re

from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError

MAX_HEXADDR_STRLEN = 16
INT_MAX = (1 << 31) - 1
LONG_MAX = (1 << 63) - 1
DIGITS = frozenset("0123456789")
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class NumberError(CommandError):
    """A number crash refuses, with crash's message."""


def line_end_stripped(text: str) -> str:
    """crash's strip_line_end(): no trailing newlines, blanks or tabs."""
    return text.rstrip("\n").rstrip(" \t")


def is_decimal(text: str) -> bool:
    """crash's decimal(): decimal digits and blanks, at least one digit."""
    text = line_end_stripped(text)
    return any(c in DIGITS for c in text) and all(c in DIGITS or c == " " for c in text)


def is_hexadecimal(text: str) -> bool:
    """crash's hexadecimal(): hex digits, x and X, at least one digit."""
    text = line_end_stripped(text)
    return any(c in HEX_DIGITS for c in text) and all(c in HEX_DIGITS or c in "xX"
                                                      for c in text)


def is_number(text: str) -> bool:
    """crash's IS_A_NUMBER()."""
    return is_decimal(text) or is_hexadecimal(text)


def htol(text: str) -> int:
    """crash's htol(): an optional 0x, then up to 16 hex digits (x, X and h are skipped)."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if len(body) > MAX_HEXADDR_STRLEN:
        raise NumberError(f'input string too large: "{body}" ({len(body)} vs '
                          f"{MAX_HEXADDR_STRLEN})")
    digits = [c for c in body if c not in "xXh"]
    if not all(c in HEX_DIGITS for c in digits):
        raise NumberError(f'invalid input: "{body}"')
    return int("".join(digits) or "0", 16)


def dtol(text: str) -> int:
    """crash's dtol(): decimal digits after leading blanks; too large reads as 2**64-1."""
    if not text:
        raise NumberError("")  # crash fails without a word
    digits = text.lstrip(" ")
    bad = next((c for c in digits if c not in DIGITS), None)
    if bad is not None:
        raise NumberError(f'{text}: "{bad}" is not a digit 0 - 9')
    if not digits:
        raise NumberError("invalid expression")
    return min(int(digits), MASK64)


def dtoi(text: str | None) -> int:
    """crash's dtoi(): decimal digits after leading blanks, as a C int (sscanf's %d)."""
    if text is None:
        raise NumberError("received NULL string")
    digits = text.lstrip(" ")
    bad = next((c for c in digits if c not in DIGITS), "")
    if bad or not digits:
        raise NumberError(f'{digits}: "{bad}" is not a digit 0 - 9')
    value = min(int(digits), LONG_MAX) & 0xFFFFFFFF  # strtol, then truncated to int
    return value - (1 << 32) if value > INT_MAX else value


def stol(text: str) -> int:
    """crash's stol(): decimal when all digits, else hexadecimal."""
    if is_decimal(text):
        return dtol(line_end_stripped(text))
    if is_hexadecimal(text):
        return htol(line_end_stripped(text))
    raise NumberError(f"not a valid number: {text}")


def atoi(text: str) -> int:
    """C's atoi(): leading blanks, a sign and ASCII digits; anything else reads as 0."""
    found = re.match(r"[ \t\n]*([+-]?[0-9]+)", text)
    return c_int(int(found.group(1))) if found else 0


def c_int(value: int) -> int:
    """A number stored in C's ``int``."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


def signed(value: int) -> int:
    """A 64-bit value as C's long."""
    value &= MASK64
    return value - (1 << 64) if value >> 63 else value


def cpu_list(spec: str, ncpus: int) -> list[int]:
    """crash's make_cpumask(): "1,3,5-7", "a" or "all", as a sorted list of CPUs."""
    cpus: set[int] = set()
    for part in filter(None, spec.split(",")):
        if part in ("a", "all"):
            cpus.update(range(ncpus))
            continue
        bounds = [b for b in part.split("-") if b][:2]  # strtok(): empty pieces are skipped
        start = dtoi(bounds[0] if bounds else None)
        end = dtoi(bounds[1]) if len(bounds) > 1 else start
        if not (0 <= start < ncpus and 0 <= end < ncpus):
            raise NumberError(f"invalid cpu specification: {spec}")
        cpus.update(range(start, end + 1))
    return sorted(cpus)
