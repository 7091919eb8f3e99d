"""Exception frames: crash's checks of a pt_regs on a stack (x86_64_eframe_verify), the
frames it records (x86_64_exception_frame) and bt -e's search (x86_64_eframe_search)."""

from __future__ import annotations

import struct

from drgn.helpers.linux.mm import vma_find

from crashsh.kernel import orc
from crashsh.kernel.stack.records import WORD, ExceptionFrame, Registers
from crashsh.kernel.stack.state import StackRegion, WalkState

USERSPACE_TOP = 0x0000800000000000
KERNEL_CS, KERNEL_SS, USER_CS, USER_SS, USER32_CS = 0x10, 0x18, 0x33, 0x2B, 0x23
RFLAGS_RAZ_MASK = 0xFFFFFFFFFFC08028  # return-as-zero bits
VM_READ, VM_WRITE, VM_GROWSDOWN = 0x1, 0x2, 0x100


class EframeChecks(WalkState):
    """Finding, checking and recording the saved registers on a walk's stacks."""

    def read_registers(self, address: int) -> Registers:
        offsets = self.k.pt_regs_offsets
        if self.region.holds(address) and self.region.holds(address + self.k.pt_regs_size - 1):
            words, first = self.region.view(address)
            return Registers(*[words[first + o // WORD] for o in offsets.values()])
        raw = self.k.prog.read(address, self.k.pt_regs_size)
        return Registers(**{n: struct.unpack_from("<Q", raw, o)[0] for n, o in offsets.items()})

    def verify_eframe(self, address: int, print_: bool = False, search: bool = False) -> bool:
        """Whether a pt_regs at address passes crash's checks; recorded when print_ is set."""
        k = self.k
        last = address + k.pt_regs_size - WORD
        if not (self.region.holds(address) and self.region.holds(last)
                or k.accessible(address) and k.accessible(last)):
            return False
        regs = self.read_registers(address)
        verified = self.eframe_verify(address, regs)
        if verified and print_:
            self.record_eframe(address, regs, search)
        self.bptr = regs.rbp
        return verified

    def exception_frame(self, address: int) -> Registers:
        """Record the pt_regs at address, checked or not."""
        regs = self.read_registers(address)
        self.record_eframe(address, regs, search=False)
        self.bptr = regs.rbp
        return regs

    def record_eframe(self, address: int, regs: Registers, search: bool) -> None:
        k = self.k
        frame = ExceptionFrame(address, regs, search=search)
        if not regs.user_mode:
            found = k.value_search(regs.rip)
            if found:
                frame.function, frame.offset = found[0].name, found[1]
                if not search:
                    self.eframe_ip = regs.rip
                if self.options.line_numbers:
                    frame.file, frame.line = k.line_of(regs.rip)
            elif k.accessible(regs.rip):
                frame.rip_note = "no symbolic reference"
            else:
                frame.rip_note = "unknown or invalid address"
        self.entries.append(frame)

    def eframe_verify(self, address: int, regs: Registers) -> bool:
        """crash's x86_64_eframe_verify(): do the registers look like a real pt_regs?"""
        k = self.k
        cs, ss, rip, rsp = regs.cs, regs.ss, regs.rip, regs.rsp
        if regs.rflags & RFLAGS_RAZ_MASK or not regs.rflags & 0x2:
            return False
        if cs == KERNEL_CS:
            text = k.is_kernel_text(rip)
            kernel_sp = k.is_kvaddr(rsp)
            estack = self.in_exception_stack()
            after = address + k.pt_regs_size
            if ss == KERNEL_SS and (
                    text and kernel_sp
                    or orc.MODULES_VADDR <= rip <= orc.MODULES_END and kernel_sp and rsp == after
                    or text and self.on_exception_stack and self.in_user_stack(rsp)
                    or text and not kernel_sp and self.eframe_search and estack is not None
                    or text and estack is not None and estack.index <= 1
                    or k.closest_symbol(rip) == "ia32_sysenter_target"
                    or rip == 0 and self.region.holds(rsp) and self.call_target == "ret_from_fork"
                    or rsp == after):
                return True
            if address and text and kernel_sp and (rsp in (after, after + WORD)
                                                   or estack is not None):
                return True
        user_rip, user_sp = rip < USERSPACE_TOP, rsp < USERSPACE_TOP
        return cs in (USER_CS, USER32_CS) and ss == USER_SS and user_rip and user_sp

    def in_user_stack(self, address: int) -> bool:
        """crash's in_user_stack(): a VMA of the task that grows down or is read-write."""
        mm = self.task.mm
        vma = vma_find(mm, address) if mm else None
        if not vma:
            return False
        flags = vma.vm_flags.value_()
        return bool(flags & VM_GROWSDOWN) or flags & (VM_READ | VM_WRITE) == VM_READ | VM_WRITE

    def search_eframes(self, region: StackRegion) -> None:
        """Record every word offset of region that passes as a pt_regs."""
        self.region = region
        self.eframe_search = True
        last = region.top - self.k.pt_regs_size
        for address in range(self.stkptr or region.base, last + 1, WORD):
            self.verify_eframe(address, print_=True, search=True)
