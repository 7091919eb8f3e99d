"""crash's arithmetic and symbol-or-address arguments (tools.c eval_common, calculate,
can_eval, convert; memory.c cmd_rd's address rule).

An expression is ``(a OP b)`` or ``a OP b`` with one operator of ``+ - & | * / % ^ << >> #``
(``#`` is a power); each operand is a symbol or a number with an optional ``~`` and ``k``,
``m`` or ``g`` suffix. Messages crash prints while reading a number ("input string too large
...") come before its "invalid expression" error as notes.
"""

from __future__ import annotations

import drgn

from crashsh.conventions.numbers import NumberError, htol, is_hexadecimal, is_number, stol
from crashsh.dumpfacts import MASK64
from crashsh.errors import CommandError

OPERATORS = "#><+-&|*/%^"
SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def symbol_value(prog: drgn.Program | None, name: str) -> int | None:
    """The address of the symbol *name*, or None."""
    if prog is None or not name:
        return None
    try:
        return prog.symbol(name).address
    except (LookupError, ValueError):
        return None


def calculate(prog: drgn.Program | None, text: str, notes: list[str]) -> int | None:
    """crash's calculate(): a symbol, or a number with an optional ~ and k/m/g suffix."""
    complement = text.startswith("~")
    if complement:
        text = text[1:]
    value = symbol_value(prog, text)
    if value is None:
        factor = SUFFIXES.get(text[-1:].lower(), 1)
        if factor > 1:
            text = text[:-1]
        if not is_number(text):
            return None
        try:
            value = stol(text) * factor
        except NumberError as e:
            notes.append(str(e))
            return None
    return (~value if complement else value) & MASK64


def eval_common(prog: drgn.Program | None, expression: str, notes: list[str]) -> int | None:
    """crash's eval_common(): the value of *expression*, or None when it is malformed."""
    work = expression
    if "(" in work or ")" in work:
        if not (work.startswith("(") and work.endswith(")") and work.count("(") == 1
                and work.count(")") == 1):
            return None
        work = work[1:-1]
    if work.startswith("-"):
        work = "0" + work
    at = next((i for i, c in enumerate(work) if c in OPERATORS), None)
    if at is None:
        return calculate(prog, work, notes)
    op = work[at]
    width = 1
    if op in "<>":
        if work[at + 1:at + 2] != op:
            return None
        width = 2
    left, right = work[:at].strip(), work[at + width:].strip()
    if not left or not right:
        return None
    a = calculate(prog, left, notes)
    b = calculate(prog, right, notes) if a is not None else None
    if a is None or b is None:
        return None
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


def evaluate(prog: drgn.Program | None, expression: str) -> int:
    """crash's eval(): the value of *expression*, or its "invalid expression" error."""
    notes: list[str] = []
    value = eval_common(prog, expression, notes)
    if value is None:
        raise CommandError(f"invalid expression: {expression}", notes)
    return value


def can_eval(text: str) -> bool:
    """crash's can_eval(): a ``(...)`` pair, or an operator with text on both sides."""
    if (text.startswith("(") and text.endswith(")") and len(text) > 2
            and text.count("(") == 1 and text.count(")") == 1):
        return True
    at = next((i for i, c in enumerate(text) if c in "><+-&|*/%^"), None)
    return at is not None and 0 < at < len(text) - 1


def address_argument(prog: drgn.Program, text: str) -> int | None:
    """cmd_rd's address: an (expression), a hex number, else a symbol (None: no such symbol)."""
    if text.startswith("("):
        return evaluate(prog, text)
    if is_hexadecimal(text):
        return htol(text)
    return symbol_value(prog, text)


def convert(prog: drgn.Program, text: str) -> int:
    """crash's convert(NUM_HEX|NUM_EXPR): an expression, a hex number or a symbol."""
    if can_eval(text):
        return evaluate(prog, text)
    if is_hexadecimal(text):
        return htol(text)
    value = symbol_value(prog, text)
    if value is None:
        raise CommandError(f'cannot convert "{text}"')
    return value
