"""eval, ascii, btop, ptob: crash's calculator commands (tools.c)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsh.conventions.expressions import evaluate
from crashsh.conventions.numbers import htol, stol
from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import UsageError
from crashsh.parsing import CommandParser
from crashsh.records import LAYOUT, Word
from crashsh.registry import command

X86_64_PAGE_SHIFT = 12  # btop and ptob without a dump


@dataclass
class Number:
    """A 64-bit value shown in every base (eval)."""

    value: Word
    show_bits: bool = field(default=False, metadata=LAYOUT)


@dataclass
class AsciiChart:
    """`ascii` with no argument: the ASCII table."""


@dataclass
class AsciiValue:
    value: Word
    text: str


@dataclass
class PageConversion:
    """One btop/ptob line: ``value: result``."""

    value: Word
    result: Word


# -- eval -------------------------------------------------------------------------------
EVAL_HELP = """\
Evaluates an expression with one operator (+ - & | ^ * % / << >>), a symbol or a number,
and prints the result in hexadecimal, decimal, octal and binary; sizes such as 4k, 1m or 2g
are read as numbers, and a result that is a round size is named (1MB). -b lists the bits
set; -l is for 64-bit values on 32-bit machines (always so on x86_64).
"""
EVAL_EXAMPLES = """\
  eval 4k + 2      the four radixes:
    hexadecimal: 1002
        decimal: 4098
          octal: 10002
         binary: 0000000000000000000000000000000000000000000000000001000000000010
  eval -b 0x12345678    with the bit numbers set
  eval jiffies_64 - 0x10
"""


def eval_parser() -> CommandParser:
    # no getopt in cmd_eval: "-1" is an expression, -b and -l are read by eval_flags()
    p = CommandParser("eval", EVAL_HELP, examples=EVAL_EXAMPLES, prefix_chars="\0")
    p.add_argument("words", nargs="+", metavar="word",
                   help="[-b] [-l] (expression) | value; -b also lists the bits set, -l is "
                        "64-bit (always so on x86_64)")
    return p


def eval_flags(words: list[str]) -> tuple[bool, list[str]]:
    """cmd_eval's reading of its leading -b and -l: (show the bits, the expression words)."""
    first, rest = words[0], words[1:]
    if first in ("-lb", "-bl"):
        bits, words = True, rest
    elif first == "-l":
        bits = rest[:1] == ["-b"] and len(rest) > 1
        words = rest[1:] if bits else rest
    elif first == "-b" and rest[:1] == ["-l"]:
        bits, words = True, rest[1:]
    else:
        bits = first == "-b" and bool(rest)
        words = rest if bits else words
    if not words:
        raise UsageError("", "")
    return bits, words


@command("eval", "evaluate", eval_parser, needs_dump=False,
         synopsis="[-b][-l] (expression) | value")
def run_eval(session, args) -> Number:
    """cmd_eval: the first (expression) argument, else all of them in parentheses."""
    bits, words = eval_flags(args.words)
    first_paren = next((w for w in words if w.startswith("(")), None)
    expression = first_paren or "(" + " ".join(words).strip() + ")"
    return Number(evaluate(session.prog if session else None, expression), bits)


# -- ascii --------------------------------------------------------------------------------
CONTROL_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def ascii_text(value: int) -> str:
    chars = []
    for i in range(8):
        c = (value >> (8 * i)) & 0xFF
        if 0x20 <= c < 0x7F:
            chars.append(chr(c))
        elif c > 0x7F:
            chars.append(f"<{c:02x}>")
        elif c == 0x7F:
            chars.append("<DEL>")
        else:
            chars.append(f"<{CONTROL_NAMES[c]}>")
    return "".join(chars)


ASCII_HELP = """\
Translates hexadecimal values to ASCII text, byte by byte from the least significant
(as they lie in memory on x86); without a value, an ASCII chart.
"""
ASCII_EXAMPLES = """\
  ascii 62696c2f7273752f     eight bytes of a path:
    62696c2f7273752f: /usr/lib
  ascii            the chart
"""


def ascii_parser() -> CommandParser:
    p = CommandParser("ascii", ASCII_HELP, examples=ASCII_EXAMPLES, prefix_chars="\0")
    p.add_argument("values", nargs="*")
    return p


@command("ascii", "translate a hexadecimal value to ASCII", ascii_parser, needs_dump=False,
         synopsis="value ...")
def run_ascii(session, args):
    """Each value in turn (crash stops at the first it cannot read)."""
    if not args.values:
        return AsciiChart()
    return (AsciiValue(v, ascii_text(v)) for v in map(htol, args.values))


# -- btop / ptob --------------------------------------------------------------------------
PAGE_PAGES = {
    "btop": ("""\
Converts hexadecimal addresses (bytes) to page frame numbers: the address shifted right by
the page shift (12 on x86_64).
""", """\
  btop 0x1000000   physical 16 MB is page 0x1000:
    1000000: 1000
  btop 1000 ffff8880   several values
"""),
    "ptob": ("""\
Converts page frame numbers to addresses in bytes: the number (decimal when it is all
digits, else hexadecimal) shifted left by the page shift (12 on x86_64).
""", """\
  ptob 512         page 512 (0x200) starts at byte 0x200000:
    200: 200000
  ptob 0x200 1a    several values
"""),
}


def page_parser(name: str) -> CommandParser:
    description, examples = PAGE_PAGES[name]
    p = CommandParser(name, description, examples=examples,
                      prefix_chars="\0")  # no getopt: every word is a value
    p.add_argument("values", nargs="+")
    return p


def page_shift(session) -> int:
    """The dump's PAGE_SHIFT (x86_64's without a dump)."""
    return facts(session.prog).page_shift if session is not None else X86_64_PAGE_SHIFT


@command("btop", "bytes to page", lambda: page_parser("btop"),
         synopsis="address ...", needs_dump=False)
def run_btop(session, args):
    shift = page_shift(session)
    return (PageConversion(v, v >> shift) for v in map(htol, args.values))


@command("ptob", "page to bytes", lambda: page_parser("ptob"),
         synopsis="page_number ...", needs_dump=False)
def run_ptob(session, args):
    shift = page_shift(session)
    return (PageConversion(v, (v << shift) & MASK64) for v in map(stol, args.values))
