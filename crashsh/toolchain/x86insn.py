"""A small x86-64 instruction decoder: each instruction's length, and whether it is one of the
stack-pointer changes crash counts when it sizes a frame from gdb's disassembly (push, pop,
add/sub of an immediate to %rsp, ret).

Lengths follow the Intel SDM opcode maps for 64-bit mode: legacy and REX prefixes, one-, two-
and three-byte opcodes, VEX/EVEX, ModRM/SIB, displacements and immediates.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIXES = frozenset({0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3})
WORD_PREFIXES = frozenset({0xF0, 0xF2, 0xF3})  # gdb prints lock/rep/bnd as a word of their own
REG_RSP = 4


def _bytes(*ranges: tuple[int, int] | int) -> frozenset[int]:
    found = set()
    for r in ranges:
        if isinstance(r, tuple):
            found.update(range(r[0], r[1] + 1))
        else:
            found.add(r)
    return frozenset(found)


# one-byte opcodes with a ModRM byte
MODRM_1 = _bytes(*[(row, row + 3) for row in range(0x00, 0x40, 8)], 0x62, 0x63, 0x69, 0x6B,
                 (0x80, 0x8F), 0xC0, 0xC1, 0xC4, 0xC5, 0xC6, 0xC7, (0xD0, 0xD3), (0xD8, 0xDF),
                 0xF6, 0xF7, 0xFE, 0xFF)
IMM8_1 = _bytes(*[row + 4 for row in range(0x00, 0x40, 8)], 0x6A, 0x6B, (0x70, 0x7F), 0x80,
                0x83, 0xA8, (0xB0, 0xB7), 0xC0, 0xC1, 0xC6, 0xCD, (0xE0, 0xE7), 0xEB)
IMMZ_1 = _bytes(*[row + 5 for row in range(0x00, 0x40, 8)], 0x68, 0x69, 0x81, 0xA9, 0xC7,
                0xE8, 0xE9)
# two-byte (0F xx) opcodes without a ModRM byte
NO_MODRM_2 = _bytes(0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0E, (0x30, 0x37), 0x77, (0x80, 0x8F),
                    0xA0, 0xA1, 0xA2, 0xA8, 0xA9, 0xAA, (0xC8, 0xCF))
IMM8_2 = _bytes(0x0F, (0x70, 0x73), 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6)


@dataclass(frozen=True)
class Instruction:
    length: int
    kind: str | None = None  # "push", "pop", "add_rsp", "sub_rsp", "ret"
    immediate: int = 0


def decode(code: bytes, at: int = 0) -> Instruction:
    """Decode the instruction at code[at:]; raises IndexError when it runs past the end.

    kind names the instruction as crash matches gdb's mnemonic text: a prefix gdb prints as a
    word of its own ("repz ret") hides it, and popcnt (F3 0F B8) counts as a pop.
    """
    i = at
    opsize16 = addr32 = word_prefix = False
    while code[i] in PREFIXES:
        opsize16 |= code[i] == 0x66
        addr32 |= code[i] == 0x67
        word_prefix |= code[i] in WORD_PREFIXES
        i += 1
    insn = _decode(code, at, i, opsize16, addr32)
    if word_prefix and insn.kind != "pop":
        return Instruction(insn.length)
    return insn


def _decode(code: bytes, at: int, i: int, opsize16: bool, addr32: bool) -> Instruction:
    rex = 0
    if 0x40 <= code[i] <= 0x4F:
        rex = code[i]
        i += 1
    rex_w = bool(rex & 8)
    immz = 2 if opsize16 else 4
    op = code[i]
    i += 1

    if op == 0x0F:
        return _two_byte(code, at, i, addr32, immz)
    if op in (0xC4, 0xC5, 0x62):  # VEX/EVEX: their legacy forms are invalid in 64-bit mode
        return _vex(code, at, i, op, addr32)

    kind = None
    immediate = 0
    if 0x50 <= op <= 0x57 or op in (0x68, 0x6A, 0x9C):
        kind = "push"
    elif 0x58 <= op <= 0x5F or op == 0x9D:
        kind = "pop"
    elif op in (0xC3, 0xC2):
        kind = "ret"

    if op in MODRM_1:
        modrm = code[i]
        reg = (modrm >> 3) & 7
        if op == 0xFF and reg == 6 or op == 0x8F and reg == 0:
            kind = "push" if op == 0xFF else "pop"
        end = _modrm_end(code, i, addr32)
        if op in (0xF6, 0xF7) and reg in (0, 1):
            end += 1 if op == 0xF6 else immz
        if op in (0x81, 0x83) and rex_w and not rex & 1 and modrm >> 6 == 3 \
                and modrm & 7 == REG_RSP and reg in (0, 5):
            size = 1 if op == 0x83 else 4
            immediate = int.from_bytes(code[end:end + size], "little", signed=True)
            kind = "add_rsp" if reg == 0 else "sub_rsp"
        i = end
    if op in IMM8_1:
        i += 1
    elif op in IMMZ_1:
        i += immz
    elif 0xB8 <= op <= 0xBF:
        i += 8 if rex_w else immz
    elif op in (0xA0, 0xA1, 0xA2, 0xA3):
        i += 4 if addr32 else 8
    elif op in (0xC2, 0xCA):
        i += 2
    elif op == 0xC8:
        i += 3
    return Instruction(i - at, kind, immediate)


def _two_byte(code: bytes, at: int, i: int, addr32: bool, immz: int) -> Instruction:
    op = code[i]
    i += 1
    kind = "push" if op in (0xA0, 0xA8) else "pop" if op in (0xA1, 0xA9, 0xB8) else None
    if op == 0x38:
        i = _modrm_end(code, i + 1, addr32)
    elif op == 0x3A:
        i = _modrm_end(code, i + 1, addr32) + 1
    elif op in NO_MODRM_2:
        if 0x80 <= op <= 0x8F:
            i += 4
    else:
        i = _modrm_end(code, i, addr32)
        if op in IMM8_2:
            i += 1
    return Instruction(i - at, kind)


def _vex(code: bytes, at: int, i: int, op: int, addr32: bool) -> Instruction:
    if op == 0xC5:
        opmap, i = 1, i + 1
    elif op == 0xC4:
        opmap, i = code[i] & 0x1F, i + 2
    else:  # EVEX
        opmap, i = code[i] & 0x7, i + 3
    opcode = code[i]
    if opmap == 1 and opcode == 0x77:  # vzeroupper/vzeroall
        return Instruction(i + 1 - at)
    i = _modrm_end(code, i + 1, addr32)
    if opmap == 3 or opmap == 1 and opcode in IMM8_2:
        i += 1
    return Instruction(i - at)


def _modrm_end(code: bytes, i: int, addr32: bool) -> int:
    """The index just past a ModRM byte at i and its SIB byte and displacement."""
    modrm = code[i]
    mod, rm = modrm >> 6, modrm & 7
    i += 1
    if mod == 3:
        return i
    if rm == 4:
        sib = code[i]
        i += 1
        if mod == 0 and sib & 7 == 5:
            return i + 4
    if mod == 0:
        return i + 4 if rm == 5 else i
    return i + (1 if mod == 1 else 4)
