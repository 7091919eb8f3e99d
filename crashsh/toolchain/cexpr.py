"""C expressions as gdb's ``print`` reads them, evaluated with drgn Objects.

A tokenizer and a Pratt parser over gdb's C grammar (c-exp.y precedences): symbols (kernel
and module variables, functions, enumerators), integer and character literals, casts
``(type)x``, unary ``* & - + ! ~``, ``sizeof``, postfix ``[i] . ->``, the binary arithmetic,
shift, comparison, bit and logical operators, ``?:``, gdb's ``@`` (an array of N objects
from an lvalue) and value history references ``$``, ``$N``, ``$$``, ``$$N``.

drgn does the C semantics (usual arithmetic conversions, pointer arithmetic, member and
subscript); comparisons and logical operators give an ``int`` as in C. Errors are
ExpressionError with gdb's message. Memory is read through a *read* function when one is
given (crash's gdb reader), only where gdb reads it: a value an operator needs, as a lazy
gdb value is fetched; names, members, array elements and ``&`` read nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import drgn
from drgn import TypeKind

from crashsh.toolchain.gdbsyms import in_kernel_text

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)
  | (?P<char>'(?:\\.|[^'\\])')
  | (?P<history>\$\$?\d*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>->|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>()\[\].?:@,])
""", re.VERBOSE)
TYPE_WORDS = frozenset((
    "struct", "union", "enum", "const", "volatile", "unsigned", "signed", "int", "char",
    "long", "short", "void", "_Bool", "float", "double",
))
# gdb's c-exp.y binary operators: precedence (higher binds tighter)
BINARY = {
    "||": 4, "&&": 5, "|": 6, "^": 7, "&": 8, "==": 9, "!=": 9,
    "<": 10, ">": 10, "<=": 10, ">=": 10, "<<": 11, ">>": 11, "@": 12,
    "+": 13, "-": 13, "*": 14, "/": 14, "%": 14,
}
TERNARY = 3
UNARY = 15
# gdb's types of minimal symbols without debug information
NODEBUG_TEXT = "<text variable, no debug info>"
NODEBUG_DATA = "<data variable, no debug info>"
ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "0": 0,
           "\\": 92, "'": 39, '"': 34}
COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


class ExpressionError(Exception):
    """An expression gdb would refuse; the message is gdb's."""


@dataclass(frozen=True)
class Token:
    kind: str  # number, char, history, name, op, end
    text: str


def tokenize(text: str) -> list[Token]:
    tokens, at = [], 0
    while at < len(text):
        match = TOKEN.match(text, at)
        if match is None:
            raise ExpressionError(f"Invalid character '{text[at]}' in expression.")
        at = match.end()
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group()))
    tokens.append(Token("end", ""))
    return tokens


class Evaluator:
    """Evaluates one expression of *prog*; *history* is gdb's value history ($1 first);
    *read* (address, size) -> bytes reads memory (drgn's own reads without it)."""

    def __init__(self, prog: drgn.Program, history: Sequence[drgn.Object],
                 read: Callable[[int, int], bytes] | None = None) -> None:
        self.prog = prog
        self.history = history
        self.read = read
        self.tokens: list[Token] = []
        self.at = 0

    def load(self, value: drgn.Object) -> drgn.Object:
        """*value* fetched from memory (gdb's value_fetch_lazy) through *read*; an array or
        a function is not read (an operator takes its address)."""
        if is_nodebug_data(value):
            raise ExpressionError(f"'{value.type_.name}' has unknown type; cast it to its "
                                  "declared type")
        if (self.read is None or value.address_ is None or value.absent_
                or underlying(value.type_).kind in (TypeKind.ARRAY, TypeKind.FUNCTION)):
            return value
        bits = value.bit_field_size_
        offset = value.bit_offset_ or 0
        size = (offset + bits + 7) // 8 if bits else sizeof(value.type_)
        data = self.read(value.address_, size)
        return drgn.Object.from_bytes_(self.prog, value.type_, data, bit_offset=offset,
                                       bit_field_size=bits)

    def evaluate(self, text: str) -> drgn.Object:
        self.tokens, self.at = tokenize(text), 0
        if self.peek().kind == "end":
            raise ExpressionError("Argument required (expression to compute).")
        try:
            value = self.expression(0)
        except ZeroDivisionError:
            raise ExpressionError("Division by zero") from None
        except (TypeError, ValueError, LookupError, drgn.ObjectAbsentError) as e:
            raise ExpressionError(str(e)) from None
        if self.peek().kind != "end":
            raise ExpressionError(f"A syntax error in expression, near `{self.rest()}'.")
        return value

    # -- tokens -------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        if self.peek().text != text or self.peek().kind != "op":
            raise ExpressionError(f"A syntax error in expression, near `{self.rest()}'.")
        self.at += 1

    def rest(self) -> str:
        return " ".join(t.text for t in self.tokens[self.at:]).strip()

    # -- grammar ------------------------------------------------------------------------------
    def expression(self, min_precedence: int) -> drgn.Object:
        left = self.unary()
        while True:
            token = self.peek()
            if token.kind != "op":
                return left
            if token.text == "?" and TERNARY >= min_precedence:
                self.take()
                then = self.expression(0)
                self.expect(":")
                otherwise = self.expression(TERNARY)
                left = then if truth(self.load(left)) else otherwise
                continue
            precedence = BINARY.get(token.text)
            if precedence is None or precedence < min_precedence:
                return left
            self.take()
            right = self.expression(precedence + 1)
            left = self.binary(token.text, left, right)

    def binary(self, op: str, left: drgn.Object, right: drgn.Object) -> drgn.Object:
        if op == "@":
            return self.artificial_array(left, self.load(right))
        left, right = self.load(left), self.load(right)
        if op in COMPARE:
            return self.integer(int(COMPARE[op](left, right)))
        if op == "&&":
            return self.integer(int(truth(left) and truth(right)))
        if op == "||":
            return self.integer(int(truth(left) or truth(right)))
        return {
            "+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
            "/": lambda: left / right, "%": lambda: left % right,
            "<<": lambda: left << right, ">>": lambda: left >> right,
            "&": lambda: left & right, "|": lambda: left | right, "^": lambda: left ^ right,
        }[op]()

    def artificial_array(self, left: drgn.Object, count: drgn.Object) -> drgn.Object:
        """gdb's ``x@n``: *n* objects of x's type starting at x."""
        if left.address_ is None:
            raise ExpressionError("Only values in memory can be extended with '@'.")
        n = count.value_()
        if not isinstance(n, int) or n <= 0:
            raise ExpressionError("Non-positive repeat count.")
        array = self.prog.array_type(left.type_, n)
        return drgn.Object(self.prog, array, address=left.address_)

    def unary(self) -> drgn.Object:
        token = self.peek()
        if token.kind == "name" and token.text == "sizeof":
            self.take()
            return self.size_of()
        if token.kind != "op":
            return self.postfix(self.primary())
        if token.text == "(" and self.is_type_start(self.peek(1)):
            self.take()
            type = self.type_name()
            operand = self.expression(UNARY)
            if underlying(type).kind == TypeKind.VOID:
                return drgn.Object(self.prog, type)
            if is_nodebug_data(operand):  # gdb reads the memory as the type cast to
                return drgn.Object(self.prog, type, address=operand.address_)
            return drgn.cast(type, self.load(operand))
        if token.text in ("-", "+", "!", "~", "*", "&"):
            self.take()
            operand = self.expression(UNARY)
            return self.prefix(token.text, operand)
        return self.postfix(self.primary())

    def prefix(self, op: str, operand: drgn.Object) -> drgn.Object:
        if op == "&":
            if operand.address_ is None:
                raise ExpressionError("Attempt to take address of value not located in memory.")
            return operand.address_of_()
        if op == "*":
            return self.dereference(operand)
        operand = self.load(operand)
        if op == "-":
            return -operand
        if op == "+":
            return +operand
        if op == "~":
            return ~operand
        return self.integer(int(not truth(operand)))

    def dereference(self, operand: drgn.Object) -> drgn.Object:
        """``*x``: an array's first element, a function itself, or what a pointer points to."""
        kind = underlying(operand.type_).kind
        if kind == TypeKind.FUNCTION:
            return operand
        if kind == TypeKind.ARRAY:
            return operand[0]
        if kind != TypeKind.POINTER:
            raise ExpressionError("Attempt to take contents of a non-pointer value.")
        operand = self.load(operand)
        target = underlying(operand.type_).type
        if underlying(target).kind == TypeKind.FUNCTION:
            return drgn.Object(self.prog, target, address=operand.value_())
        return operand[0]

    def size_of(self) -> drgn.Object:
        if self.peek().text == "(" and self.is_type_start(self.peek(1)):
            self.take()
            type = self.type_name()
        else:
            type = self.expression(UNARY).type_
        return drgn.Object(self.prog, "unsigned long", sizeof(type))

    def postfix(self, value: drgn.Object) -> drgn.Object:
        while True:
            token = self.peek()
            if token.kind != "op":
                return value
            if token.text == "[":
                self.take()
                index = self.load(self.expression(0))
                self.expect("]")
                if underlying(value.type_).kind != TypeKind.ARRAY:
                    value = self.load(value)
                value = value[index.value_()]
            elif token.text in (".", "->"):
                self.take()
                name = self.take()
                if name.kind != "name":
                    raise ExpressionError(f"A syntax error in expression, near `{self.rest()}'.")
                value = self.member(value, name.text)
            else:
                return value

    def member(self, value: drgn.Object, name: str) -> drgn.Object:
        kind = underlying(value.type_).kind
        if kind == TypeKind.POINTER:
            target = underlying(underlying(value.type_).type)
            if target.kind not in (TypeKind.STRUCT, TypeKind.UNION):
                raise ExpressionError("The -> operator's operand is not a struct or union.")
            value = self.load(value)[0]
        elif kind not in (TypeKind.STRUCT, TypeKind.UNION):
            raise ExpressionError("Attempt to extract a component of a value that is not a "
                                  "structure.")
        try:
            return value.member_(name)
        except LookupError:
            raise ExpressionError(f"There is no member named {name}.") from None

    def primary(self) -> drgn.Object:
        token = self.take()
        if token.kind == "number":
            return self.number(token.text)
        if token.kind == "char":
            return drgn.Object(self.prog, "char", char_value(token.text))
        if token.kind == "history":
            return self.history_value(token.text)
        if token.kind == "name":
            return self.symbol(token.text)
        if token.kind == "op" and token.text == "(":
            value = self.expression(0)
            self.expect(")")
            return value
        self.at -= 1
        raise ExpressionError(f"A syntax error in expression, near `{self.rest()}'.")

    def number(self, text: str) -> drgn.Object:
        """C's literal types: int, then (hex only) unsigned int, long, unsigned long."""
        digits = text.rstrip("uUlL")
        suffix = text[len(digits):].lower()
        hexadecimal = digits[:2].lower() == "0x"
        base = 16 if hexadecimal else 8 if len(digits) > 1 and digits[0] == "0" else 10
        value = int(digits, base)
        if value >> 64:
            raise ExpressionError("Numeric constant too large.")
        unsigned = "unsigned " if "u" in suffix else ""
        if "l" not in suffix and value < 1 << 31:
            type = unsigned + "int"
        elif "l" not in suffix and base != 10 and value < 1 << 32:
            type = "unsigned int"
        elif value < 1 << 63:
            type = unsigned + "long"
        else:
            type = "unsigned long"
        return drgn.Object(self.prog, type, value)

    def integer(self, value: int) -> drgn.Object:
        return drgn.Object(self.prog, "int", value)

    def history_value(self, text: str) -> drgn.Object:
        """gdb's access_value_history: ``$N`` absolute (<= 0 counts back from the last),
        ``$$N`` N back from the last, ``$`` the last and ``$$`` the one before."""
        size = len(self.history)
        digits = text.lstrip("$")
        if text.startswith("$$"):
            number = size - (int(digits) if digits else 1)
        else:
            number = int(digits) if digits else size
            if number <= 0:
                number += size
        if size == 0 and number == 0:
            raise ExpressionError("History is empty.")
        if number <= 0:
            raise ExpressionError("History has not yet reached $1.")
        if number > size:
            raise ExpressionError(f"History has not yet reached ${number}.")
        return self.history[number - 1]

    def symbol(self, name: str) -> drgn.Object:
        """A variable or function; else, as gdb's minimal symbols, an ELF symbol: a function
        without debug information, or data of unknown type (only its address and casts)."""
        try:
            return self.prog.object(name)
        except (LookupError, ValueError):
            pass
        try:
            symbol = self.prog.symbol(name)
        except LookupError:
            raise ExpressionError(f'No symbol "{name}" in current context.') from None
        if symbol.kind == drgn.SymbolKind.FUNC or in_kernel_text(self.prog, symbol.address):
            int_type = self.prog.int_type("int", 4, True)
            type = self.prog.typedef_type(NODEBUG_TEXT,
                                          self.prog.function_type(int_type, (), False))
        else:
            type = self.prog.typedef_type(NODEBUG_DATA, self.prog.void_type())
        return drgn.Object(self.prog, type, address=symbol.address)

    # -- type names ---------------------------------------------------------------------------
    def is_type_start(self, token: Token) -> bool:
        if token.kind != "name":
            return False
        if token.text in TYPE_WORDS:
            return True
        try:
            self.prog.object(token.text)
            return False
        except (LookupError, ValueError):
            pass
        try:
            self.prog.type(token.text)
            return True
        except (LookupError, ValueError, SyntaxError):
            return False

    def type_name(self) -> drgn.Type:
        """The type up to the matching ``)`` (consumed)."""
        words, depth = [], 0
        while True:
            token = self.take()
            if token.kind == "end":
                raise ExpressionError("A syntax error in expression, near `'.")
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                if depth == 0:
                    break
                depth -= 1
            words.append(token.text)
        text = " ".join(words)
        try:
            return self.prog.type(text)
        except (LookupError, ValueError, SyntaxError):
            raise ExpressionError(f"No type named {text}.") from None


def is_nodebug_data(value: drgn.Object) -> bool:
    """Whether *value* is a data symbol gdb knows no type of."""
    return value.type_.kind == TypeKind.TYPEDEF and value.type_.name == NODEBUG_DATA


def underlying(type: drgn.Type) -> drgn.Type:
    while type.kind == TypeKind.TYPEDEF:
        type = type.type
    return type


def sizeof(type: drgn.Type) -> int:
    """gdb's sizeof: 1 for a function or void."""
    kind = underlying(type).kind
    if kind in (TypeKind.FUNCTION, TypeKind.VOID):
        return 1
    return drgn.sizeof(type)


def truth(value: drgn.Object) -> bool:
    return bool(value)


def char_value(text: str) -> int:
    body = text[1:-1]
    if body.startswith("\\"):
        if body[1:].isdigit():
            return int(body[1:], 8)
        return ESCAPES.get(body[1], ord(body[1]))
    return ord(body)
