"""gdb's x86-64 AT&T disassembly text (what crash's ``dis`` reads from gdb's ``x/Ni``).

iced-x86's GAS formatter, configured as close to gdb (binutils' i386-dis.c) as its options go;
what it cannot be told is fixed up per instruction: the scale ``,1`` whenever there is an index
register, the ``%es:``/``%ds:`` of string operands, ``$1`` of the shift-by-one forms, three
operands of ``imul $imm,%r,%r``, ``(%dx)`` of in/out, no size suffix where gdb prints none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import iced_x86 as iced

MAX_INSN = 15  # the longest x86 instruction: gdb may read this far past the end of a range
COMMENT_GAP = "        "  # gdb's spacing before a ``# target`` comment

CODE_NAMES = {getattr(iced.Code, n): n for n in dir(iced.Code) if not n.startswith("_")}
ES_KINDS = {iced.OpKind.MEMORY_ESDI, iced.OpKind.MEMORY_ESEDI, iced.OpKind.MEMORY_ESRDI}
DS_KINDS = {iced.OpKind.MEMORY_SEG_SI, iced.OpKind.MEMORY_SEG_ESI, iced.OpKind.MEMORY_SEG_RSI,
            iced.OpKind.MEMORY_SEG_DI, iced.OpKind.MEMORY_SEG_EDI, iced.OpKind.MEMORY_SEG_RDI}
BRANCHES = {iced.OpKind.NEAR_BRANCH16, iced.OpKind.NEAR_BRANCH32, iced.OpKind.NEAR_BRANCH64}
LEGACY_PREFIXES = frozenset({0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3})
SIZE_PREFIXES = {0x66: "data16", 0x67: "addr32"}
NULL_SEGMENTS = {iced.Register.ES: "%es", iced.Register.CS: "%cs", iced.Register.SS: "%ss",
                 iced.Register.DS: "%ds"}
REX_BITS = (("W", 8), ("R", 4), ("X", 2), ("B", 1))
SCALE = re.compile(r"(\((?:%\w+)?,%\w+)\)")
NO_SUFFIX = {"pushq": "push", "popq": "pop", "callq": "call", "jmpq": "jmp",
             "lcalll": "lcall", "ljmpl": "ljmp",
             "lcallq": "lcall", "ljmpq": "ljmp"}


def is_rex(byte: int) -> bool:
    return 0x40 <= byte <= 0x4F


def rex_name(rex: int) -> str:
    """binutils' name of a REX prefix: ``rex``, ``rex.W``, ``rex.RXB`` ..."""
    bits = "".join(letter for letter, bit in REX_BITS if rex & bit)
    return f"rex.{bits}" if bits else "rex"


def lone_byte(ins: iced.Instruction, head: bytes) -> str | None:
    """What gdb prints as a one-byte instruction: an invalid opcode, or a REX prefix that
    another REX prefix follows (only the last one counts)."""
    if ins.code == iced.Code.INVALID:
        return "(bad)"
    if len(head) == 2 and is_rex(head[0]) and is_rex(head[1]):
        return rex_name(head[0])
    return None


def legacy_prefixes(raw: bytes) -> bytes:
    """The legacy prefix bytes an instruction starts with (before any REX or opcode)."""
    end = 0
    while end < len(raw) and raw[end] in LEGACY_PREFIXES:
        end += 1
    return raw[:end]


def gdb_formatter() -> iced.Formatter:
    fmt = iced.Formatter(iced.FormatterSyntax.GAS)
    fmt.first_operand_char_index = 7  # gdb pads the mnemonic to 6 and a space
    fmt.space_after_operand_separator = False
    fmt.hex_prefix = "0x"
    fmt.hex_suffix = ""
    fmt.uppercase_hex = False
    fmt.small_hex_numbers_in_decimal = False
    fmt.branch_leading_zeros = False
    fmt.displacement_leading_zeros = False
    fmt.leading_zeros = False
    fmt.rip_relative_addresses = True  # disp(%rip); gdb adds the target as a comment
    fmt.show_branch_size = False
    fmt.signed_immediate_operands = False
    fmt.gas_show_mnemonic_size_suffix = False
    fmt.show_zero_displacements = True
    fmt.show_useless_prefixes = True
    return fmt


@dataclass
class Line:
    """One disassembled instruction: its address, length, gdb's text, and the address gdb
    would annotate with ``<symbol>`` (a branch target or a RIP-relative operand's address)."""

    addr: int
    size: int
    text: str | None  # None: the bytes could not be read
    target: int | None = None
    rip_relative: bool = False


class GdbDisassembler:
    """Decode and print instructions the way gdb's x86-64 AT&T disassembler does."""

    def __init__(self) -> None:
        self.fmt = gdb_formatter()

    def lines(self, data: bytes, addr: int, count: int | None = None,
              end: int | None = None, text: bool = True) -> Iterator[Line]:
        """Instructions decoded from *data* at *addr*: *count* of them, or those starting
        before *end*, or all that fit (without *text*: only where they are)."""
        decoder = iced.Decoder(64, data, ip=addr)
        done = 0
        while decoder.can_decode:
            at = decoder.position
            ins = decoder.decode()
            if count is not None and done >= count or end is not None and ins.ip >= end:
                return
            if ins.code == iced.Code.INVALID and ins.ip + MAX_INSN > addr + len(data):
                return  # ran out of bytes rather than met a bad opcode
            lone = lone_byte(ins, data[at:at + 2])
            if lone is not None:  # gdb prints it alone and goes on at the next byte
                decoder.position, decoder.ip = at + 1, ins.ip + 1
                yield Line(ins.ip, 1, lone)
            elif text:
                yield self.line(ins, data[at:at + ins.len])
            else:
                yield Line(ins.ip, ins.len, "")
            done += 1

    def line(self, ins: iced.Instruction, raw: bytes = b"") -> Line:
        text = self.text(ins, raw)
        if ins.is_ip_rel_memory_operand:
            return Line(ins.ip, ins.len, text, ins.ip_rel_memory_address, True)
        target = None
        if ins.op_count and ins.op0_kind in BRANCHES:
            target = ins.near_branch_target
        return Line(ins.ip, ins.len, text, target)

    def decodes_same(self, ins: iced.Instruction, variant: bytes) -> bool:
        """Whether *variant* (the instruction's bytes less a prefix or a bit) ends at the same
        place and prints the same text: the prefix or bit changes nothing."""
        other = iced.Decoder(64, variant, ip=ins.ip + ins.len - len(variant)).decode()
        return other.code == ins.code and self.fmt.format(other) == self.fmt.format(ins)

    def unused_rex(self, ins: iced.Instruction, raw: bytes) -> int | None:
        """The REX prefix when one of its bits changes nothing (gdb then prints it as a prefix
        word): the instruction decodes the same with the bit cleared, or without a bare REX."""
        at = len(legacy_prefixes(raw))
        if at >= len(raw) or not is_rex(raw[at]):
            return None
        rex = raw[at]
        variants = [raw[:at] + raw[at + 1:]] if rex == 0x40 else \
            [raw[:at] + bytes([rex & ~bit]) + raw[at + 1:] for _, bit in REX_BITS if rex & bit]
        return rex if any(self.decodes_same(ins, variant) for variant in variants) else None

    def unused_size_prefixes(self, ins: iced.Instruction, raw: bytes) -> list[str]:
        """gdb's words (``data16``, ``addr32``) for operand- and address-size prefixes that
        change nothing, in byte order: all but the last of a repeated one, and the last too
        when the instruction decodes the same without any of them."""
        prefixes = legacy_prefixes(raw)
        rest = raw[len(prefixes):]
        return [SIZE_PREFIXES[byte] for at, byte in enumerate(prefixes)
                if byte in SIZE_PREFIXES and (byte in prefixes[at + 1:] or self.decodes_same(
                    ins, prefixes.replace(bytes([byte]), b"") + rest))]

    def text(self, ins: iced.Instruction, raw: bytes = b"") -> str:
        if ins.code == iced.Code.INVALID:
            return "(bad)"
        name = CODE_NAMES.get(ins.code, "")
        mnemonic = self.fmt.format_mnemonic(ins)
        operands = [self.fmt.format_operand(ins, i)
                    for i in range(self.fmt.operand_count(ins))]
        kinds = [ins.op_kind(i) for i in range(ins.op_count)]
        if name.startswith("IMUL_R") and "_IMM" in name and len(operands) == 2:
            operands.append(operands[1])  # gdb prints the destination twice
        for i, operand in enumerate(operands):
            operand = SCALE.sub(r"\1,1)", operand)
            if "(%" in operand and ":" not in operand:
                if ES_KINDS.intersection(kinds) and re.fullmatch(r"\(%[re]?di\)", operand):
                    operand = "%es:" + operand
                elif DS_KINDS.intersection(kinds) and re.fullmatch(r"\(%[re]?[sd]i\)", operand):
                    operand = "%ds:" + operand
                elif name.startswith("XLAT"):
                    operand = "%ds:" + operand
            if operand == "%dx" and name.startswith(("IN_", "OUT_", "INS", "OUTS")):
                operand = "(%dx)"
            if name.endswith("_1") and operand == "$0x1":
                operand = "$1"
            operands[i] = operand
        words = mnemonic.split(" ")
        words[-1] = NO_SUFFIX.get(words[-1], words[-1])
        rex = self.unused_rex(ins, raw)
        if rex is not None:
            words[-1:] = [rex_name(rex), words[-1]]
        segment = NULL_SEGMENTS.get(ins.segment_prefix)
        if segment is not None and any(op.startswith(segment + ":") for op in operands):
            # 64-bit mode ignores es/cs/ss/ds overrides: gdb prints them as prefix words
            operands = [op.removeprefix(segment + ":") for op in operands]
            words[-1:] = [segment[1:], words[-1]]
        words[:0] = self.unused_size_prefixes(ins, raw)
        mnemonic = " ".join(words)
        if not operands:
            return mnemonic
        return f"{mnemonic:<6} {','.join(operands)}"
