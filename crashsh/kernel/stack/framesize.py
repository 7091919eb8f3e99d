"""How far past a reported frame crash's stack scan resumes (x86_64_get_framesize)."""

from __future__ import annotations

import drgn

from crashsh.kernel import orc
from crashsh.kernel.stack.records import WORD
from crashsh.kernel.stack.state import WalkState
from crashsh.toolchain import x86insn


def count_stack_changes(prog: drgn.Program, start: int, textaddr: int, exception: bool) -> int:
    """The stack-pointer changes of the instructions from the function's start up to
    textaddr (through it for an exception RIP), as crash counts them in gdb's disassembly;
    a ret restores the largest size seen."""
    code = prog.read(start, textaddr - start + 16)
    size = largest = at = 0
    while start + at < textaddr or exception and start + at == textaddr:
        try:
            insn = x86insn.decode(code, at)
        except IndexError:
            break
        if insn.kind == "push":
            size += WORD
            largest = size
        elif insn.kind == "pop" and size > 0:
            size -= WORD
        elif insn.kind == "add_rsp" and size > 0:
            size -= insn.immediate
        elif insn.kind == "sub_rsp":
            size += insn.immediate
            largest = size
        elif insn.kind == "ret" and not exception:
            size = largest
        at += insn.length
    return size


class FrameSizing(WalkState):
    """The frame size of a walk's return address: ORC, else counted instructions."""

    def framesize(self, textaddr: int, rsp: int, process: bool = False) -> int:
        """How far past a reported frame the scan resumes, from the ORC entry of the return
        address; the saved frame pointer is tracked only on the process stack."""
        k = self.k
        if self.options.text_symbols or not self.options.skip_frames or self.framesize_disable:
            return 0
        known = k.return_facts(textaddr)
        if known is None:
            self.framesize_disable = True
            return 0
        start, init, entry = known
        if init:
            return 0
        exception = self.eframe_ip == textaddr
        if entry is None or entry.type != k.orc.type_call:
            return k.counted_framesize(start, textaddr, exception)
        size, prev_sp = -1, 0
        if entry.sp_reg == k.orc.reg_sp:
            size = entry.sp_offset - WORD
            prev_sp = rsp + WORD + entry.sp_offset
        elif entry.sp_reg == orc.REG_BP and self.bptr and self.region.holds(self.bptr):
            prev_sp = self.bptr + entry.sp_offset
            size = prev_sp - (rsp + WORD) - WORD
        if entry.bp_reg == k.orc.reg_prev_sp and prev_sp:
            prev_bp = prev_sp + entry.bp_offset
            self.bptr = self.region.word_at(prev_bp) \
                if process and self.region.holds(prev_bp) else 0
        elif entry.bp_reg != orc.REG_UNDEFINED:
            self.bptr = 0
        return size if size >= 0 else k.counted_framesize(start, textaddr, exception)
