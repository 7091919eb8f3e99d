"""x86-64 encoding as binutils' i386-dis.c (gdb 16) reads it: prefix runs, opcode maps, the
bytes it reads before it gives up, and iced-x86 decoding set up to match."""

from __future__ import annotations

import re
from collections.abc import Iterable

import iced_x86 as iced

MAX_INSN = 15  # the longest x86 instruction: gdb may read this far past the end of a range
CODE_NAMES = {getattr(iced.Code, n): n for n in dir(iced.Code) if not n.startswith("_")}
PREFIX_WORDS = {0x26: "es", 0x2E: "cs", 0x36: "ss", 0x3E: "ds", 0x64: "fs", 0x65: "gs",
                0x66: "data16", 0x67: "addr32", 0xF0: "lock", 0xF2: "repnz", 0xF3: "repz"}
SEGMENTS = (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65)
FWAIT = 0x9B
LAX = iced.DecoderOptions.NO_INVALID_CHECK
# gdb decodes like AMD: 16-bit near branches after 0x66, no REX.W on far ones; MPX's bnd*
AMD = iced.DecoderOptions.AMD
DECODER_OPTIONS = iced.DecoderOptions.NO_INVALID_CHECK | AMD | iced.DecoderOptions.MPX
REX2 = 0xD5
FAR_LOADS = {iced.Mnemonic.LFS, iced.Mnemonic.LGS, iced.Mnemonic.LSS}
REX_BITS = (("W", 8), ("R", 4), ("X", 2), ("B", 1))
GPR_NAMES = (("", "rax rcx rdx rbx rsp rbp rsi rdi".split() + [f"r{n}" for n in range(8, 16)]),
             ("d", "eax ecx edx ebx esp ebp esi edi".split() + [f"r{n}d" for n in range(8, 16)]),
             ("w", "ax cx dx bx sp bp si di".split() + [f"r{n}w" for n in range(8, 16)]),
             ("b", "al cl dl bl spl bpl sil dil".split() + [f"r{n}b" for n in range(8, 16)]))


def is_rex(byte: int) -> bool:
    return 0x40 <= byte <= 0x4F


def rex_name(rex: int) -> str:
    """binutils' name of a REX prefix: ``rex``, ``rex.W``, ``rex.RXB`` ..."""
    bits = "".join(letter for letter, bit in REX_BITS if rex & bit)
    return f"rex.{bits}" if bits else "rex"


def prefix_name(byte: int) -> str:
    return rex_name(byte) if is_rex(byte) else PREFIX_WORDS[byte]


def prefix_run(raw: bytes) -> tuple[bytes, bool]:
    """binutils' ckprefix(): the prefix bytes before the opcode (legacy ones, a last REX), and
    whether they make an instruction of their own (gdb prints just their names): a REX that
    another prefix (or fwait, or REX2) follows is ignored that way, and so are 14 prefixes."""
    for at, byte in enumerate(raw[:MAX_INSN - 1]):
        after_rex = at > 0 and is_rex(raw[at - 1])
        if not (is_rex(byte) or byte in PREFIX_WORDS or after_rex and byte in (FWAIT, REX2)):
            return raw[:at], False
        if after_rex:
            return raw[:at], True
    return raw[:MAX_INSN - 1], True


def opcode_size(code: bytes) -> int:
    """The opcode's bytes before its ModRM byte: escapes, or a VEX/EVEX/XOP prefix with the
    opcode; 1 where gdb finds the VEX/EVEX/XOP map field invalid (it stops reading there)."""
    first = code[0]
    if first == 0x0F:
        return 3 if code[1:2] in (b"\x38", b"\x3a") else 2
    field = code[1] if len(code) > 1 else 0
    if first == 0xC4:
        return 4 if field & 0x1F in (1, 2, 3, 7) else 1
    if first == 0x62:
        return 5 if field & 7 else 1
    if first == 0x8F and field & 0x38:  # 8f /0 is pop; other /r are XOP
        return 4 if field & 0x1F in (8, 9, 10) else 1
    return 3 if first == 0xC5 else 1


def decode(raw: bytes, ip: int) -> iced.Instruction:
    ins = iced.Decoder(64, raw, ip=ip, options=DECODER_OPTIONS).decode()
    if ins.encoding not in (iced.EncodingKind.LEGACY, iced.EncodingKind.EVEX):
        return iced.Decoder(64, raw, ip=ip, options=DECODER_OPTIONS & ~LAX).decode()  # VEX/XOP
        # fields are checked as gdb does; EVEX ones less
    if ins.code == iced.Code.UD0 or ins.mnemonic in FAR_LOADS:  # gdb: as Intel's (ud0 has
        # a ModRM byte, lfs with REX.W loads 64 bits)
        return iced.Decoder(64, raw, ip=ip, options=DECODER_OPTIONS & ~AMD).decode()
    prefixes = prefix_run(raw)[0]
    if "REL8_16" in CODE_NAMES[ins.code] and 0x66 in prefixes:  # gdb's rel8 branches ignore it
        rest = prefixes.replace(b"\x66", b"")
        gone = len(prefixes) - len(rest)
        ins = decode(rest + raw[len(prefixes):], ip + gone)
        ins.len += gone
        ins.ip = ip
    return ins


def modrm_memory(raw: bytes, op: int, ins: iced.Instruction) -> int | None:
    """The ModRM byte of an instruction with a memory operand it encodes."""
    if raw[op] in (0xA0, 0xA1, 0xA2, 0xA3) or iced.OpKind.MEMORY not in \
            [ins.op_kind(i) for i in range(ins.op_count)]:
        return None
    at = op + opcode_size(raw[op:])
    return raw[at] if at < len(raw) else None


def sib_byte(raw: bytes, op: int, ins: iced.Instruction) -> tuple[int, int] | None:
    """The ModRM and SIB bytes of an instruction with a memory operand encoded with a SIB."""
    if raw[op] in (0xA0, 0xA1, 0xA2, 0xA3) or ins.memory_index != iced.Register.NONE:
        return None
    at = op + opcode_size(raw[op:])
    if at + 1 >= len(raw) or raw[at] >= 0xC0 or raw[at] & 7 != 4:
        return None
    return raw[at], raw[at + 1]


def no_index(operand: str, sib: tuple[int, int], ins: iced.Instruction, addr32: bool) -> str:
    """A memory operand whose SIB byte names no index: gdb prints ``%riz`` for it (``%eiz``
    with 32-bit addresses) unless the operand is a plain base (scale 1, %rsp or %r12) or a
    plain displacement."""
    modrm, byte = sib
    scale, riz = byte >> 6, "%eiz" if addr32 else "%riz"
    if modrm < 0x40 and byte & 7 == 5:  # no base: a displacement alone
        if not scale and not addr32:
            return operand
        disp = ins.memory_displacement & 0xFFFFFFFF
        if not addr32 and disp >> 31:
            text = f"-{(1 << 32) - disp:#x}"
        else:
            text = f"{disp:#x}"
        head = re.match(r"\*?(?:%\w+:)?", operand).group()
        return f"{head}{text}(,{riz},{1 << scale})"
    if scale or byte & 7 != 4:
        head, _, base = operand.rpartition("(")
        return f"{head}({base.split(',')[0].rstrip(')')},{riz},{1 << scale})"
    return operand


def evex_bad(code: bytes) -> bool:
    """An EVEX encoding gdb rejects before it looks the opcode up: map 7 but for f6/f8, a
    register operand with EVEX.U and EVEX.b clear, vector length 3."""
    if code[0] != 0x62 or len(code) < 6 or code[1] & 7 in (0, 4):
        return False
    u, b, length, mod3 = code[2] & 4, code[3] & 0x10, code[3] >> 5 & 3, code[5] >= 0xC0
    return code[1] & 7 == 7 and code[4] not in (0xF6, 0xF8) or mod3 and not u and not b \
        or length == 3 and not (mod3 and b)


def prefix_table(opcode: bytes) -> bool:
    """Whether a 0x0f opcode exists only with a 0x66 prefix (gdb rejects it early without)."""
    valid = [decode(prefix + opcode + b"\xc0" + bytes(8), 0).code != iced.Code.INVALID
             for prefix in (b"\x66", b"", b"\xf3", b"\xf2")]
    return opcode[:1] == b"\x0f" and len(opcode) < 4 and valid == [True, False, False, False]


def rex2_illegal(map1: int, opcode: int) -> bool:
    """Opcodes REX2 may not precede: jcc, loop, in/out, string and moffs moves, near call and
    jmp, a VEX prefix; in map 1 jcc rel32, the 3-byte escapes and 30-35 (wrmsr ... sysexit)."""
    if map1:
        return opcode >> 4 == 8 or 0x30 <= opcode <= 0x35 or opcode in (0x38, 0x3A)
    return opcode >> 4 in (7, 0xA) or opcode >> 4 == 0xE and opcode != 0xEA \
        or opcode in (0xC4, 0xC5)


def high_register(name: str) -> str:
    """The name of a register moved up by 16 (REX2's R4, X4, B4)."""
    for suffix, names in GPR_NAMES:
        if name[1:] in names:
            return f"%r{names.index(name[1:]) + 16}{suffix}"
    vector = re.fullmatch(r"%([xy]mm)(\d+)", name)
    return f"%{vector[1]}{int(vector[2]) + 16}" if vector else name


def last_index(prefixes: bytes, kinds: Iterable[int]) -> int:
    return max((at for at, byte in enumerate(prefixes) if byte in kinds), default=-1)
