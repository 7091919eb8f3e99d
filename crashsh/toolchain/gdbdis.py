"""gdb's x86-64 AT&T disassembly text (what crash's ``dis`` reads from gdb's ``x/Ni``).

iced-x86 decodes (like AMD for 16-bit branches, with MPX) and its GAS formatter prints the
operands; the rest follows binutils' i386-dis.c as gdb 16 has it, as rules:
- prefixes (ckprefix): a REX that another prefix, fwait or REX2 follows, and 14 prefixes in a
  row, are an instruction of their own; the prefixes the instruction does not use print as
  words in byte order (rep/repz/repnz, bnd, notrack, xacquire/xrelease, data16, addr32,
  segments, rex.WRXB, {rex2 0xNN}); a used one is found by decoding without it;
- ``(bad)``: as long as the bytes gdb read to find the encoding invalid, or in place of an
  operand that has no valid form (a register where only memory goes, segment register 6/7);
- operand details: ``%riz``/``%eiz`` for a SIB byte without index, ``$1`` of shifts by one,
  ``(%dx)`` of port I/O, ``%es:``/``%ds:`` of string operands, x87 register forms, REX2's and
  APX EVEX's registers r16-r31.
Corners not followed yet (tests/test_dis_oracle.py checks the rest against crash's gdb): some
VEX/EVEX/XOP/REX2 encodings, and some of gdb's half-decoded invalid ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import iced_x86 as iced

from crashsh.toolchain.x86enc import (
    CODE_NAMES, FWAIT, MAX_INSN, PREFIX_WORDS, REX2, REX_BITS, SEGMENTS, decode, evex_bad,
    high_register, is_rex, last_index, modrm_memory, no_index, opcode_size, prefix_name,
    prefix_run, prefix_table, rex2_illegal, rex_name, sib_byte,
)

COMMENT_GAP = "        "  # gdb's spacing before a ``# target`` comment

ES_KINDS = {iced.OpKind.MEMORY_ESDI, iced.OpKind.MEMORY_ESEDI, iced.OpKind.MEMORY_ESRDI}
DS_KINDS = {iced.OpKind.MEMORY_SEG_SI, iced.OpKind.MEMORY_SEG_ESI, iced.OpKind.MEMORY_SEG_RSI,
            iced.OpKind.MEMORY_SEG_DI, iced.OpKind.MEMORY_SEG_EDI, iced.OpKind.MEMORY_SEG_RDI}
BRANCHES = {iced.OpKind.NEAR_BRANCH16, iced.OpKind.NEAR_BRANCH32, iced.OpKind.NEAR_BRANCH64}
ANY_SEGMENT = re.compile(r"^(\*?)%[ecsdfg]s:")
NULL_SEGMENT = re.compile(r"^(\*?)%[ecsd]s:")  # 64-bit mode ignores them: no operand has one
SCALE = re.compile(r"(\((?:%\w+)?,%\w+)\)")
NO_SUFFIX = {"pushq": "push", "popq": "pop", "callq": "call", "jmpq": "jmp",
             "lcalll": "lcall", "ljmpl": "ljmp", "lcallq": "lcall", "ljmpq": "ljmp",
             "lretl": "lret", "iretl": "iret", "sal": "shl", "salb": "shlb", "salw": "shlw",
             "sall": "shll", "salq": "shlq", "fneni": "fneni(8087 only)",
             "fndisi": "fndisi(8087 only)", "fnsetpm": "fnsetpm(287 only)",
             "movsxw": "movsww", "movzxw": "movzww"}
PORT_IO = {getattr(iced.Mnemonic, n) for n in ("IN", "OUT", "INSB", "INSW", "INSD", "OUTSB",
                                               "OUTSW", "OUTSD")}
X87_REGISTER_FORMS = {getattr(iced.Mnemonic, n) for n in dir(iced.Mnemonic) if n.startswith("F")}
X87_ONE_REGISTER = {getattr(iced.Mnemonic, n) for n in ("FXCH", "FCOM", "FCOMP", "FUCOM", "FUCOMP")}
X87_ALIASES = {getattr(iced.Code, n) for n in (
    "FCOMP_ST0_STI_DCD8", "FCOMP_ST0_STI_DED0", "FCOM_ST0_STI_DCD0", "FSTP_STI_DFD0",
    "FSTP_STI_DFD8", "FXCH_ST0_STI_DDC8", "FXCH_ST0_STI_DFC8", "FSTPNCE_STI")}  # gdb: (bad)
USED_SEGMENT = re.compile(r"\*?%[fg]s:|%ds:\((?!.*%es:)")  # an operand shows it
SELECTOR_LOADS = {getattr(iced.Mnemonic, n) for n in ("LLDT", "LTR", "VERR", "VERW")}
WORD_REGISTER = re.compile(r"^%([abcd]x|[sd]i|[sb]p)$")  # gdb names their register's 32 bits
VEX_MARKED = {getattr(iced.Mnemonic, n) for n in (  # gdb: VEX forms of EVEX instructions
    "VPDPBUSD", "VPDPBUSDS", "VPDPWSSD", "VPDPWSSDS", "VPMADD52HUQ", "VPMADD52LUQ",
    "VCVTNEPS2BF16")}
DEBUG_REGISTER = re.compile(r"%dr(\d+)")
OPERANDS = re.compile(r"^(.*?)\s+([%$*(\-0-9{].*)$")  # mnemonic words, operands
REGISTER = re.compile(r"%\w+")
HLE = {getattr(iced.Mnemonic, n) for n in (  # binutils' HLE_Fixup operands
    "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "INC", "DEC", "NOT", "NEG", "XADD",
    "CMPXCHG", "BTS", "BTR", "BTC", "XCHG", "MOV")}
VECTOR = re.compile(r"%[xy]?mm")
MOV_HLE = (0x88, 0x89, 0xC6, 0xC7)
ST = re.compile(r"%st\(0\)")
STRING_OPS = {getattr(iced.Mnemonic, n) for n in ("INSB", "INSW", "INSD", "OUTSB", "OUTSW",
                                                  "OUTSD", "MOVSB", "MOVSW", "MOVSD", "MOVSQ",
                                                  "LODSB", "LODSW", "LODSD", "LODSQ", "STOSB",
                                                  "STOSW", "STOSD", "STOSQ")}


def bnd_branch(ins: iced.Instruction) -> bool:
    """The near branches binutils names a 0xf2 prefix ``bnd`` on (MPX)."""
    return ins.is_jcc_short_or_near or ins.is_jmp_short_or_near or ins.is_call_near \
        or ins.is_call_near_indirect or ins.is_jmp_near_indirect \
        or ins.mnemonic == iced.Mnemonic.RET


def hle(ins: iced.Instruction, raw: bytes, prefixes: bytes) -> tuple[bool, bool]:
    """binutils' HLE_Fixup: whether it names f3 ``xrelease`` and f2 ``xacquire`` (on a memory
    operand: of a locked read-modify-write, of xchg; f3 only, and last, on a mov store)."""
    if ins.mnemonic not in HLE or modrm_memory(raw, len(prefixes), ins) is None:
        return False, False
    if ins.mnemonic == iced.Mnemonic.MOV:
        last = last_index(prefixes, (0xF3,)) > last_index(prefixes, (0xF2,))
        return raw[len(prefixes)] in MOV_HLE and last, False
    both = ins.mnemonic == iced.Mnemonic.XCHG or 0xF0 in prefixes
    return both, both


def notrack(ins: iced.Instruction, prefixes: bytes) -> bool:
    """Whether gdb reads a 0x3e prefix as ``notrack`` (it takes the last segment prefix's
    place, and no segment applies to the operand)."""
    return (ins.is_call_near_indirect or ins.is_jmp_near_indirect) and 0x3E in prefixes \
        and 0x66 not in prefixes


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
        at = done = 0
        while at < len(data):
            if count is not None and done >= count or end is not None and addr + at >= end:
                return
            line = self.decode(data[at:at + MAX_INSN], addr + at)
            if line is None:
                return  # ran out of bytes rather than met a bad opcode
            yield line if text else Line(line.addr, line.size, "")
            at += line.size
            done += 1

    def decode(self, raw: bytes, ip: int) -> Line | None:
        prefixes, alone = prefix_run(raw)
        if alone:  # gdb prints the prefixes and goes on after them
            return Line(ip, len(prefixes), " ".join(map(prefix_name, prefixes)))
        op = len(prefixes)
        if raw[op:op + 1] == bytes([FWAIT]):
            return self.fwait(raw, prefixes, ip)
        if raw[op:op + 1] == bytes([REX2]):
            return self.rex2(raw, prefixes, ip) if len(raw) == MAX_INSN else None
        ins = decode(raw, ip)
        if raw[op] == 0x62 and len(raw) > op + 5 and raw[op + 5] < 0xC0 \
                and (raw[op + 1] & 8 or not raw[op + 2] & 4):
            return self.apx_memory(raw, prefixes, ip)
        if ins.code == iced.Code.INVALID and prefixes and opcode_size(raw[op:]) > 2 \
                and not any(byte in SEGMENTS for byte in prefixes):
            alone = decode(raw[op:], ip + op)  # gdb decodes VEX/EVEX/XOP after any prefix
            if alone.code != iced.Code.INVALID:
                alone.len += op
                alone.ip = ip
                return self.line(alone, raw[:alone.len], prefixes,
                                 words=list(map(prefix_name, prefixes)))
        if ins.code == iced.Code.INVALID and set(prefixes) & {0x66, 0xF2, 0xF3}:
            rest = bytes(byte for byte in prefixes if byte not in (0x66, 0xF2, 0xF3))
            alone = decode(rest + raw[op:], ip + op - len(rest))
            if alone.code != iced.Code.INVALID and not VECTOR.search(" ".join(
                    self.operands(alone))):  # gdb names a size or rep prefix where it is void
                # (where it would select another SSE instruction, gdb rejects the encoding)
                alone.len += op - len(rest)
                alone.ip = ip
                ins = alone
        if ins.code == iced.Code.INVALID or ins.code in X87_ALIASES or evex_bad(raw[op:]):
            return self.bad(raw, prefixes, ip) if len(raw) == MAX_INSN else None
        if raw[op] == 0x90 and prefixes and is_rex(prefixes[-1]) and not prefixes[-1] & 1 \
                and 0xF3 not in prefixes and 0x66 not in prefixes:
            return Line(ip, ins.len, " ".join([*map(prefix_name, prefixes), "nop"]))
        return self.line(ins, raw[:ins.len], prefixes)

    def apx_memory(self, raw: bytes, prefixes: bytes, ip: int) -> Line:
        """An EVEX memory operand with APX's B4 (EVEX byte 1 bit 3) or X4 (EVEX.U clear):
        decoded without them, then its base or index register moved up by 16."""
        op = len(prefixes)
        b4, x4 = raw[op + 1] & 8, not raw[op + 2] & 4
        code = raw[:op + 1] + bytes([raw[op + 1] & ~8, raw[op + 2] | 4]) + raw[op + 3:]
        line = self.decode(code, ip)
        if line is None or line.text is None or line.text.endswith("(bad)"):
            return self.bad(raw, prefixes, ip)

        def move(m: re.Match) -> str:
            base, index = m[1], m[2]
            base = high_register(base) if base and b4 else base or ""
            index = "," + high_register(index[1:]) if index and x4 else index or ""
            return f"({base}{index}"
        line.text = re.sub(r"\((%\w+)?(,%\w+)?", move, line.text, count=1)
        return line

    def rex2(self, raw: bytes, prefixes: bytes, ip: int) -> Line:
        """APX's REX2 prefix (0xd5, then M R4 X4 B4 W R X B): decoded as the REX prefix of its
        low bits (and 0x0f for M), with the registers R4/X4/B4 add 16 to renamed; gdb prints
        ``{rex2 0xNN}`` unless every bit set is used and one of R4/X4/B4 is set."""
        op = len(prefixes)
        payload, opcode = raw[op + 1], raw[op + 2]
        if rex2_illegal(payload & 0x80, opcode):
            return Line(ip, op + 3, "(bad)")
        rex = 0x40 | payload & 0xF
        code = prefixes + bytes([rex]) + b"\x0f" * (payload >> 7) + raw[op + 2:]
        grow = 1 - (payload >> 7)
        if not payload & 0x80 and opcode >> 4 == 4:  # gdb: inc/dec r32 as in 32-bit mode
            code = prefixes + bytes([rex, 0xFF, 0xC0 | opcode & 0xF]) + raw[op + 3:]
            grow = 0
        ins = decode(code, ip + grow)
        names = list(map(prefix_name, prefixes))
        word = f"{{rex2 {payload:#x}}}"
        if ins.code == iced.Code.INVALID or payload < 0x80 and opcode in (*PREFIX_WORDS, FWAIT,
                                                                         0x0F):
            return Line(ip, op + 3, " ".join([*names, word, "(bad)"]))
        line = self.line(ins, code[:ins.len], prefixes + bytes([rex]))
        line.size += grow
        line.addr = ip
        head, operands = OPERANDS.match(line.text).groups() if OPERANDS.match(line.text) \
            else (line.text, "")
        words = [w for w in head.split(" ") if w != rex_name(rex)]
        used = [bit for bit in (8, 4, 2, 1)
                if not self.same(ins, prefixes + bytes([rex ^ bit]) + code[op + 1:ins.len])]
        for high, low in ((0x40, 4), (0x20, 2), (0x10, 1)):
            if payload & high and low in used:
                operands = self.renamed(ins, code, prefixes + bytes([rex]), low, operands)
        if raw[op + 2] & 0xF0 == 0x50 and not payload & 0x80 and payload & 8:
            words[-1] += "p"  # push/pop with REX2.W: the PPX hint
        elif any(payload & bit and bit not in used for bit in (8, 4, 2, 1)) \
                or any(payload & high and low not in used for high, low in
                       ((0x40, 4), (0x20, 2), (0x10, 1))) or not payload & 0x70:
            words.insert(len(words) - 1, word)
        mnemonic = " ".join(words)
        line.text = f"{mnemonic:<6} {operands}" if operands else mnemonic
        return line

    def renamed(self, ins: iced.Instruction, code: bytes, prefixes: bytes, bit: int,
                operands: str) -> str:
        """*operands* with the registers that REX bit *bit* selects moved up by 16 (gdb
        leaves an SSE register that REX.R selects as it is)."""
        at = len(prefixes) - 1
        variant = code[:at] + bytes([code[at] ^ bit]) + code[at + 1:ins.len]
        flipped = decode(variant, ins.ip)
        text = self.text(flipped, variant, prefixes[:-1] + bytes([prefixes[-1] ^ bit]))
        theirs = REGISTER.findall(OPERANDS.match(text)[2] if OPERANDS.match(text) else "")
        tokens = REGISTER.split(operands)
        names = REGISTER.findall(operands)
        if len(theirs) != len(names):
            return operands
        moved = [high_register(a) if a != b and (bit != 4 or a[1] != "x") else a
                 for a, b in zip(names, theirs)]
        return "".join(t for pair in zip(tokens, moved + [""]) for t in pair)

    def fwait(self, raw: bytes, prefixes: bytes, ip: int) -> Line:
        """fwait (0x9b): with an x87 instruction after it, the two are that instruction's
        waiting form (fstcw for fnstcw); else it stands alone, with the prefixes before it."""
        rest = raw[len(prefixes) + 1:]
        more, alone = prefix_run(rest) if not prefixes else (b"", False)
        if alone:  # gdb names the prefixes after the fwait, and goes on after it
            return Line(ip, len(more), " ".join(map(prefix_name, more)))
        if not 0xD8 <= (rest[len(more):] or b"\0")[0] <= 0xDF:
            return Line(ip, len(prefixes) + 1,
                        " ".join([*map(prefix_name, prefixes), "fwait"]))
        code = prefixes + rest
        ins = decode(code, ip + 1)
        if ins.code == iced.Code.INVALID or ins.code in X87_ALIASES:
            line = self.bad(code, prefix_run(code)[0], ip + 1)
        else:
            mnemonic = self.fmt.format_mnemonic(ins, iced.FormatMnemonicOptions.NO_PREFIXES)
            line = self.line(ins, code[:ins.len], prefix_run(code)[0],
                             re.sub(r"^fn", "f", mnemonic))
        line.addr, line.size = ip, line.size + 1
        return line

    def bad(self, raw: bytes, prefixes: bytes, ip: int) -> Line:
        """gdb's ``(bad)``: after the bytes it read to find the encoding invalid, or in place
        of the one operand that has no valid form (an x87 memory opcode without a name, a
        segment register 6 or 7, a bnd register past 3, a register where only memory goes)."""
        op = len(prefixes)
        size = opcode_size(raw[op:])
        modrm = raw[op + size] if op + size < len(raw) else 0
        opcode = raw[op:op + size]
        if opcode[0] == 0xDB and modrm == 0xE5:
            return Line(ip, op + 2, " ".join([*map(prefix_name, prefixes), "frstpm(287 only)"]))
        if 0xD8 <= opcode[0] <= 0xDF and modrm < 0xC0:
            line = self.variant(raw, prefixes, ip, modrm & 0xC7, "(bad) ")
            line.text = line.text.replace("  ", " ")
            return line
        if opcode[0] in (0x8C, 0x8E) and modrm & 0x30 == 0x30:
            line = self.variant(raw, prefixes, ip, modrm & 0xC7)
            line.text = re.sub(r"%es\b", "%?", line.text)
            return line
        if opcode in (b"\x0f\x1a", b"\x0f\x1b") and modrm & 0x20:
            line = self.variant(raw, prefixes, ip, modrm & 0xDF)
            line.text = re.sub(r"%bnd\d", "(bad)", line.text)
            return line
        names = " ".join(map(prefix_name, prefixes))
        if opcode[0] in (0xC6, 0xC7) and modrm & 0x3F == 0x38 and modrm < 0xC0:  # xbegin/xabort
            if opcode[0] == 0xC6:
                return Line(ip, op + 2, f"{names} xabort ${modrm:#x},(bad)".lstrip())
            rel = int.from_bytes(raw[op + 1:op + 5], "little", signed=True)
            target = (ip + op + 5 + rel) & (1 << 64) - 1
            return Line(ip, op + 5, f"{names} xbegin {target:#x},(bad)".lstrip(), target)
        if modrm >= 0xC0 and size < 3 and not 0xD8 <= opcode[0] <= 0xDF and opcode != b"\x0f\x01":
            line = self.variant(raw, prefixes, ip, modrm & 0x38, bad_memory=True)
            if line.text is not None:
                return Line(ip, op + 1, line.text)
        vvvv = raw[op + (1 if opcode[0] == 0xC5 else 2)] & 0x78 == 0x78 if size > 2 else True
        if size == 5 and len(opcode) == 5 and raw[op + 1] & 7 != 4 and vvvv:
            # an EVEX opcode gdb has no name for, with no vector register: it prints the masking
            mask = raw[op + 3]
            masking = f"{{%k{mask & 7}}}" * bool(mask & 7) + ("{z}" if mask & 7 else "{bad}") \
                * bool(mask & 0x80)
            return Line(ip, op + 5, " ".join([*map(prefix_name, prefixes), "(bad)", masking])
                        .rstrip())
        if size > 2 and len(opcode) == size and not vvvv or prefix_table(raw[op:op + size]):
            return Line(ip, op + size, "(bad)")  # gdb gives up before it names the prefixes
        if opcode[0] in (0x62, 0xC4) and prefixes and is_rex(prefixes[-1]) \
                and raw[op + 1] >> 5 == 7:  # gdb took the REX bits from the VEX/EVEX byte
            prefixes = prefixes[:-1]
        return Line(ip, op + (2 if 0xD8 <= opcode[0] <= 0xDF else size),
                    " ".join([*map(prefix_name, prefixes), "(bad)"]))

    def variant(self, raw: bytes, prefixes: bytes, ip: int, modrm: int, mnemonic: str = "",
                bad_memory: bool = False) -> Line:
        """The line of the instruction with another ModRM byte (text None if invalid)."""
        at = len(prefixes) + opcode_size(raw[len(prefixes):])
        code = raw[:at] + bytes([modrm]) + raw[at + 1:]
        ins = decode(code, ip)
        if ins.code == iced.Code.INVALID or bad_memory and iced.OpKind.MEMORY not in \
                [ins.op_kind(i) for i in range(ins.op_count)]:
            return Line(ip, 1, None)
        return self.line(ins, code[:ins.len], prefixes, mnemonic, bad_memory)

    def line(self, ins: iced.Instruction, raw: bytes, prefixes: bytes, mnemonic: str = "",
             bad_memory: bool = False, words: list[str] | None = None) -> Line:
        text = self.text(ins, raw, prefixes, mnemonic, bad_memory, words)
        if ins.is_ip_rel_memory_operand:
            target = ins.ip_rel_memory_address
            if 0x67 in prefixes:  # gdb adds the 32-bit displacement to the 64-bit address
                disp = (target - ins.next_ip) & 0xFFFFFFFF
                target = (ins.next_ip + disp - (disp >> 31 << 32)) & (1 << 64) - 1
            return Line(ins.ip, ins.len, text, target, True)
        target = None
        if ins.op_count and ins.op0_kind in BRANCHES:
            target = ins.near_branch_target
        return Line(ins.ip, ins.len, text, target)

    def operands(self, ins: iced.Instruction) -> tuple[str, ...]:
        shown = tuple(self.fmt.format_operand(ins, i) for i in range(self.fmt.operand_count(ins)))
        if len(shown) < ins.op_count and ins.mnemonic in X87_REGISTER_FORMS:
            # iced leaves out %st(1) where gdb prints it
            shown = tuple(ST.sub("%st", self.fmt.format_register(ins.op_register(i)))
                          for i in reversed(range(ins.op_count)))
            if ins.mnemonic in X87_ONE_REGISTER:
                return (self.fmt.format_register(ins.op_register(1)),)
        return shown

    def kind(self, ins: iced.Instruction, operand: int) -> int | None:
        if operand >= self.fmt.operand_count(ins):
            return None
        at = self.fmt.get_instruction_operand(ins, operand)
        return None if at is None else ins.op_kind(at)

    def same(self, ins: iced.Instruction, variant: bytes) -> bool:
        """Whether *variant* (the instruction's bytes less a prefix or a bit) decodes to the
        same instruction, ending at the same place."""
        other = decode(variant, ins.ip + ins.len - len(variant))
        shown = -1 if CODE_NAMES[ins.code].startswith("RESERVEDNOP") else 0
        return other.code == ins.code and other.len == len(variant) \
            and self.operands(other)[shown:] == self.operands(ins)[shown:]

    def unused_rex(self, ins: iced.Instruction, raw: bytes, at: int, bad_memory: bool) -> bool:
        """Whether a bit of the REX prefix at *at* (or a bare REX) changes nothing: gdb then
        prints it as a prefix word."""
        rex = raw[at]
        if rex == 0x40:
            return self.same(ins, raw[:at] + raw[at + 1:])
        if bad_memory and rex & 3:
            return True  # gdb did not read the memory operand that B and X are for
        if rex & 8 and (raw[at + 1] & 0xF0 == 0x50 or ins.op_count and ins.op0_kind in BRANCHES):
            return True  # push, pop and near branches are 64-bit anyway
        modrm = modrm_memory(raw, at + 1, ins)
        if modrm is not None:  # gdb takes B as used by a memory operand, X by its SIB byte
            if raw[at + 1] in (0x8C, 0x8E) and rex & 8:
                return True  # and W as unused by a segment register's move
            rex &= ~1 if modrm & 7 != 4 else ~3
        return any(self.same(ins, raw[:at] + bytes([raw[at] & ~bit]) + raw[at + 1:])
                   for _, bit in REX_BITS if rex & bit)

    def prefix_words(self, ins: iced.Instruction, raw: bytes, prefixes: bytes,
                     operands: list[str], bad_memory: bool) -> tuple[list[str], str]:
        """binutils' names of the prefixes the instruction does not use, in byte order, and
        a branch hint for the mnemonic (``,pt``/``,pn``)."""
        names: list[str | None] = [prefix_name(byte) for byte in prefixes]
        if prefixes and is_rex(prefixes[-1]) and not self.unused_rex(ins, raw, len(names) - 1,
                                                               bad_memory):
            names[-1] = None
        opcode = raw[len(prefixes)]
        kept = {0xA0: 0x67, 0xA1: 0x67, 0xA2: 0x67, 0xA3: 0x67}.get(opcode)  # moffs: addr32
        if opcode in (0x8C, 0x8E) and raw[len(prefixes) + 1] < 0xC0:
            kept = 0x66  # a segment register moves 16 bits to or from memory anyway
        if bad_memory:
            kept = 0x67  # gdb never read the memory operand
        addr32 = last_index(prefixes, (0x67,))
        if addr32 >= 0 and kept is None and modrm_memory(raw, len(prefixes), ins) is not None:
            names[addr32] = None  # any memory operand uses addr32
        for kind in (0x66, 0x67, 0xF2, 0xF3):
            last = last_index(prefixes, (kind,))
            if last >= 0 and kind != kept and not self.same(
                    ins, prefixes.replace(bytes([kind]), b"") + raw[len(prefixes):]):
                names[last] = None
        repz, repnz = last_index(prefixes, (0xF3,)), last_index(prefixes, (0xF2,))
        release, acquire = hle(ins, raw, prefixes)
        if repz >= 0 and names[repz]:
            names[repz] = "xrelease" if release else "rep" if ins.mnemonic in STRING_OPS \
                and ins.is_string_instruction else "repz"
        if repnz >= 0 and names[repnz]:
            names[repnz] = "xacquire" if acquire else "bnd" if bnd_branch(ins) else "repnz"
        seg = last_index(prefixes, SEGMENTS)
        hint = ""
        kinds = {byte for byte in prefixes if byte in SEGMENTS}
        if notrack(ins, prefixes):
            names[seg] = "notrack"
        elif ins.flow_control == iced.FlowControl.CONDITIONAL_BRANCH and \
                len(kinds & {0x2E, 0x3E}) == 1:
            names[seg], hint = None, ",pn" if 0x2E in kinds else ",pt"
        elif kinds and any(USED_SEGMENT.match(op) for op in operands):
            names[seg] = None  # the operand shows the segment gdb takes as used
        return [name for name in names if name], hint

    def text(self, ins: iced.Instruction, raw: bytes, prefixes: bytes, mnemonic: str = "",
             bad_memory: bool = False, words: list[str] | None = None) -> str:
        """gdb's text of *ins* (*raw* its bytes, *prefixes* those before the opcode); with
        *words*, these are the prefix words (else those of the prefixes it does not use)."""
        name = CODE_NAMES.get(ins.code, "")
        mnemonic = mnemonic or self.fmt.format_mnemonic(ins, iced.FormatMnemonicOptions.NO_PREFIXES)
        operands = list(self.operands(ins))
        kinds = [ins.op_kind(i) for i in range(ins.op_count)]
        if name.startswith("IMUL_R") and "_IMM" in name and len(operands) == 2:
            operands.append(operands[1])  # gdb prints the destination twice
        sib = sib_byte(raw, len(prefixes), ins)
        if raw[len(prefixes):len(prefixes) + 2] == b"\x0f\x0d" and len(raw) > len(prefixes) + 2 \
                and raw[len(prefixes) + 2] >> 3 & 7 not in (1, 2):
            mnemonic = "prefetch"  # AMD's: gdb names /0 and /3-/7 alike
        for i, operand in enumerate(operands):
            if bad_memory and "(" in operand:
                operands[i] = "(bad)"
                continue
            operand = SCALE.sub(r"\1,1)", operand)
            operand = (ANY_SEGMENT if notrack(ins, prefixes) else NULL_SEGMENT).sub(r"\1", operand)
            if "(%" in operand and ":" not in operand:
                if ES_KINDS.intersection(kinds) and re.fullmatch(r"\(%[re]?di\)", operand):
                    operand = "%es:" + operand
                elif DS_KINDS.intersection(kinds) and re.fullmatch(r"\(%[re]?[sd]i\)", operand):
                    operand = "%ds:" + operand
                elif name.startswith("XLAT"):
                    operand = "%ds:" + operand
            if sib is not None and self.kind(ins, i) == iced.OpKind.MEMORY:
                operand = no_index(operand, sib, ins, 0x67 in prefixes)
            operand = DEBUG_REGISTER.sub(r"%db\1", operand)
            if ins.mnemonic in SELECTOR_LOADS or ins.mnemonic == iced.Mnemonic.MOVSXD and i == 0:
                operand = WORD_REGISTER.sub(r"%e\1", operand).replace("w", "d")
            if operand == "%dx" and ins.mnemonic in PORT_IO:
                operand = "(%dx)"
            if name.endswith("_1") and operand == "$0x1":
                operand = "$1"
            operands[i] = operand
        if ins.encoding == iced.EncodingKind.EVEX and operands[-1].startswith("%k") \
                and raw[len(prefixes) + 1] & 0x90 != 0x90:  # EVEX.R or R' past %k7
            operands[-1] = re.sub(r"^%k\d", "(bad)", operands[-1])
        if name.startswith("RESERVEDNOP"):  # gdb: a nop with the ModRM operand alone
            operands = operands[-1:]
            mnemonic = "nop" + ({"16": "w", "32": "l", "64": "q"}[name[14:16]]
                                if "(" in operands[0] else "")
        hint = ""
        if words is None:
            words, hint = self.prefix_words(ins, raw, prefixes, operands, bad_memory)
        if mnemonic == "jmp" and iced.OpKind.NEAR_BRANCH16 in kinds:
            mnemonic = "jmpw"
        if ins.mnemonic in VEX_MARKED and ins.encoding == iced.EncodingKind.VEX:
            mnemonic = "{vex} " + mnemonic
        mnemonic = " ".join([*words, NO_SUFFIX.get(mnemonic, mnemonic) + hint])
        if not operands:
            return mnemonic
        return f"{mnemonic:<6} {','.join(operands)}"
