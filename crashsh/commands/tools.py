"""eval, ascii, btop, ptob: crash's calculator commands (tools.c)."""

from __future__ import annotations

from dataclasses import dataclass

import drgn

from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError
from crashsh.parsing import CommandParser
from crashsh.registry import command

OPERATORS = "#><+-&|*/%^"
SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
X86_64_PAGE_SHIFT = 12  # btop and ptob without a dump


@dataclass
class Number:
    """A 64-bit value shown in every base (eval)."""

    value: int
    show_bits: bool = False


@dataclass
class AsciiChart:
    """`ascii` with no argument: the ASCII table."""


@dataclass
class AsciiValue:
    value: int
    text: str


@dataclass
class PageConversion:
    """One btop/ptob line: ``value: result``."""

    value: int
    result: int


# -- eval -------------------------------------------------------------------------------
def eval_parser() -> CommandParser:
    p = CommandParser("eval", "evaluate an expression: one operator of + - & | ^ * % / << >> #")
    p.add_argument("-b", dest="bits", action="store_true", help="also list the bits set")
    p.add_argument("-l", dest="longlong", action="store_true", help="64-bit (always on x86_64)")
    p.add_argument("expression", nargs="+")
    return p


def parse_operand(prog: drgn.Program | None, text: str) -> int | None:
    """crash's calculate(): a symbol, or a number with an optional ~ and k/m/g suffix."""
    complement = text.startswith("~")
    if complement:
        text = text[1:]
    value = symbol_value(prog, text)
    if value is None:
        factor = 1
        if text[-1:].lower() in SUFFIXES:
            factor, text = SUFFIXES[text[-1].lower()], text[:-1]
        value = parse_crash_number(text)
        if value is None:
            return None
        value *= factor
    return (~value if complement else value) & MASK64


def symbol_value(prog: drgn.Program | None, name: str) -> int | None:
    if prog is None or not name:
        return None
    try:
        return prog.symbol(name).address
    except (LookupError, ValueError):
        return None


def parse_crash_number(text: str) -> int | None:
    """crash's stol(): all decimal digits is decimal, any other hex string is hex."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    body = text[2:] if text.lower().startswith("0x") else text
    try:
        return int(body, 16) if body else None
    except ValueError:
        return None


def evaluate(prog: drgn.Program | None, expression: str) -> int:
    """Evaluate crash's one-operator expression (with or without the outer parentheses)."""
    work = expression
    if "(" in work or ")" in work:
        if not (work.startswith("(") and work.endswith(")") and work.count("(") == 1
                and work.count(")") == 1):
            raise ValueError(expression)
        work = work[1:-1]
    if work.startswith("-"):
        work = "0" + work
    positions = [i for i, c in enumerate(work) if c in OPERATORS]
    if not positions:
        value = parse_operand(prog, work)
        if value is None:
            raise ValueError(expression)
        return value
    at = positions[0]
    op = work[at]
    width = 1
    if op in "<>":
        if work[at + 1 : at + 2] != op:
            raise ValueError(expression)
        width = 2
    left, right = work[:at].strip(), work[at + width :].strip()
    if not left or not right:
        raise ValueError(expression)
    a, b = parse_operand(prog, left), parse_operand(prog, right)
    if a is None or b is None:
        raise ValueError(expression)
    return apply_operator(op, a, b)


def apply_operator(op: str, a: int, b: int) -> int:
    if op in "/%" and b == 0:
        raise CommandError("divide by zero")
    result = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "&": lambda: a & b,
        "|": lambda: a | b,
        "*": lambda: a * b,
        "/": lambda: a // b,
        "%": lambda: a % b,
        "<": lambda: a << b if b < 64 else 0,
        ">": lambda: a >> b,
        "^": lambda: a ^ b,
        "#": lambda: pow(a, b, 1 << 64),
    }[op]()
    return result & MASK64


@command("eval", "evaluate", eval_parser, needs_dump=False,
         synopsis="[-b][-l] (expression) | value")
def run_eval(session, args) -> Number:
    words = args.expression
    first_paren = next((w for w in words if w.startswith("(")), None)
    expression = first_paren or "(" + " ".join(words).strip() + ")"
    prog = session.prog if session else None
    try:
        return Number(evaluate(prog, expression), args.bits)
    except ValueError:
        raise CommandError(f"invalid expression: {expression}") from None


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


def parse_hex(text: str) -> int:
    """crash's htoll(): a hex number, with or without 0x."""
    body = text[2:] if text.lower().startswith("0x") else text
    try:
        return int(body, 16)
    except ValueError:
        raise CommandError(f'invalid input: "{text}"') from None


def ascii_parser() -> CommandParser:
    p = CommandParser("ascii", "translate a hexadecimal value to ASCII")
    p.add_argument("values", nargs="*")
    return p


@command("ascii", "translate a hexadecimal value to ASCII", ascii_parser, needs_dump=False,
         synopsis="value ...")
def run_ascii(session, args):
    if not args.values:
        return AsciiChart()
    values = [parse_hex(v) & MASK64 for v in args.values]
    return [AsciiValue(v, ascii_text(v)) for v in values]


# -- btop / ptob --------------------------------------------------------------------------
def page_parser(name: str, what: str) -> CommandParser:
    p = CommandParser(name, what)
    p.add_argument("values", nargs="+")
    return p


def page_shift(session) -> int:
    """The dump's PAGE_SHIFT (x86_64's without a dump)."""
    return facts(session.prog).page_shift if session is not None else X86_64_PAGE_SHIFT


@command("btop", "bytes to page", lambda: page_parser("btop", "bytes to page frame number"),
         synopsis="address ...", needs_dump=False)
def run_btop(session, args):
    shift = page_shift(session)
    return [PageConversion(v, v >> shift) for v in map(parse_hex, args.values)]


@command("ptob", "page to bytes", lambda: page_parser("ptob", "page frame number to bytes"),
         synopsis="page_number ...", needs_dump=False)
def run_ptob(session, args):
    values = []
    for text in args.values:
        value = parse_crash_number(text)
        if value is None:
            raise CommandError(f'invalid input: "{text}"')
        values.append(value)
    shift = page_shift(session)
    return [PageConversion(v, (v << shift) & MASK64) for v in values]
