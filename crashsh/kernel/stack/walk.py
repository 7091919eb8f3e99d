"""crash's x86_64 stack walk (x86_64_low_budget_back_trace_cmd): the process stack, the IRQ
and exception stacks it came through, and the pt_regs between them."""

from __future__ import annotations

import drgn

from crashsh.kernel.stack.framesize import FrameSizing
from crashsh.kernel.stack.records import (
    WORD,
    Entry,
    ExceptionStack,
    Note,
    StackError,
    StackSwitch,
    TextStart,
)
from crashsh.kernel.stack.report import COMPLETE, IGNORED, WITH_EFRAME, EntryReport
from crashsh.kernel.stack.start import StartSearch

MAX_STACK_SWITCHES = 16  # IRQ and exception stacks nest a few deep; more means bad data


class Walk(StartSearch, EntryReport, FrameSizing):
    """One task's trace, from its start through every stack it crosses."""

    def run(self) -> list[Entry]:
        if self.options.ip is not None or self.options.sp is not None:
            self.region = self.process_region()
            self.instptr, self.stkptr = self.given_start()
        elif self.address in self.k.active:
            self.region = self.process_region()
            self.instptr, self.stkptr = self.dumpfile_start()
        else:  # the scan goes up from the saved stack pointer: the stack below waits
            self.region = self.process_region(first=self.context.saved_sp)
            self.instptr, self.stkptr = self.sleeping_start()
        if self.options.all_text:
            self.instptr = 0
            self.stkptr = self.stack_base + drgn.sizeof(self.task.thread_info)
        self.trace()
        return self.entries

    def trace(self) -> None:
        k = self.k
        level = 0
        done = False
        irq_eframe = 0
        rsp = start_sp = self.stkptr
        if not rsp or not (self.region.read_at(rsp) and k.is_kvaddr(rsp) or k.accessible(rsp)):
            self.entries.append(Note("bt: cannot determine starting stack pointer"))
            return
        if self.options.text_symbols and not self.options.all_text:
            self.entries.append(TextStart(k.closest_symbol(self.instptr), self.instptr))

        estack = self.in_exception_stack()
        for _ in range(MAX_STACK_SWITCHES):
            if estack is not None:
                rsp, level, done = self.walk_exception_stack(estack, rsp, level, irq_eframe)
                if done is None:
                    return
                irq_eframe = 0
            irqstack = None if done else self.in_irqstack()
            if irqstack is not None:
                rsp, level, irq_eframe = self.walk_irq_stack(irqstack, rsp, level)
            estack = None if done else self.in_exception_stack()
            if estack is None:
                break

        if not done and (self.on_exception_stack or self.on_irq_stack):
            region = self.process_region()
            if not region.holds(rsp):
                if not (self.on_exception_stack and not self.on_irq_stack
                        and self.in_user_stack(rsp)):
                    raise StackError(self.transition_error(start_sp, rsp))
                done = True
            self.region = region

        if not done and not (self.options.text_symbols or self.on_exception_stack
                             or self.on_irq_stack) \
                and k.closest_symbol(self.instptr) in ("thread_return", "schedule", "__schedule"):
            # ORC kernels: thread.sp points to the inactive_task_frame, which ends in ret_addr
            rsp += drgn.offsetof(k.inactive_frame, "ret_addr")

        if irq_eframe:
            level, done, rsp = self.irq_exception_frame(irq_eframe, rsp, level)
            if not done:  # a kernel-mode interrupt: the process stack goes on
                irq_eframe = 0

        last_eframe = 0
        if not done:
            level, done, last_eframe = self.scan(rsp, self.region.top, level, process=True)

        if not irq_eframe and not self.context.is_kthread \
                and self.region.base == self.stack_base \
                and last_eframe < self.region.top - k.pt_regs_size:
            self.exception_frame(self.region.top - k.user_regs_padding - k.pt_regs_size)

    def transition_error(self, start_sp: int, rsp: int) -> str:
        """crash's message when the saved stack pointer is not on the process stack."""
        base = self.stack_base
        if self.on_exception_stack and self.on_irq_stack:
            return ("cannot transition from exception stack to IRQ stack to current process "
                    f"stack:\n    exception stack pointer: {start_sp:x}\n"
                    f"          IRQ stack pointer: {self.stkptr:x}\n"
                    f"      process stack pointer: {rsp:x}\n         current stack base: {base:x}")
        if self.on_exception_stack:
            return ("cannot transition from exception stack to current process stack:\n"
                    f"    exception stack pointer: {start_sp:x}\n"
                    f"      process stack pointer: {rsp:x}\n         current stack base: {base:x}")
        return ("cannot transition from IRQ stack to current process stack:\n"
                f"        IRQ stack pointer: {start_sp:x}\n"
                f"    process stack pointer: {rsp:x}\n       current stack base: {base:x}")

    def scan(self, rsp: int, stacktop: int, level: int,
             process: bool = False) -> tuple[int, bool, int]:
        """The word-by-word walk from rsp: (level, done, the last process stack pt_regs)."""
        k = self.k
        words, origin = self.region.view(rsp)  # the words from rsp on stay where they are
        origin = rsp - origin * WORD
        lowest_text, is_text = k.lowest_text, k.symtab.is_text  # k.is_kernel_text, inlined
        last_eframe = 0
        self.framesize_disable = False
        while rsp < stacktop:
            value = words[(rsp - origin) // WORD]
            result = self.print_stack_entry(level, rsp, value) \
                if value >= lowest_text and is_text(value) else IGNORED
            if result == COMPLETE:
                return level, True, last_eframe
            if result == WITH_EFRAME:
                if process:
                    last_eframe = rsp + WORD
                rsp += k.pt_regs_size
                if not self.eframe_ip:  # no symbol for its RIP: nothing to size
                    level += 1
                    result = IGNORED
            if result != IGNORED:
                level += 1
                rsp += max(self.framesize(self.eframe_ip or value, rsp, process), 0)
            rsp += WORD
        return level, False, last_eframe

    def walk_exception_stack(self, estack: ExceptionStack, rsp: int, level: int,
                             irq_eframe: int) -> tuple[int, int, bool | None]:
        """Scan an exception stack, print its pt_regs and the interrupted RIP; done is None when
        the trace ends in a recursion."""
        k = self.k
        self.on_exception_stack = True
        self.region = self.load(estack.base, estack.size)
        if irq_eframe:
            self.exception_frame_flag = True
            self.print_stack_entry(level, irq_eframe, self.instptr)
            self.exception_frame_flag = False
            self.exception_frame(irq_eframe)
            rsp += k.pt_regs_size
            if self.eframe_ip:
                rsp += max(self.framesize(self.eframe_ip, rsp), 0)
            level += 1
        stacktop = estack.top - k.pt_regs_size
        nested_nmi = estack.name == "NMI"
        if nested_nmi:
            stacktop -= 12 * WORD
        level, _, _ = self.scan(rsp, stacktop, level)
        regs = self.exception_frame(stacktop)
        self.entries.append(StackSwitch(f"{estack.name} exception stack"))
        # the registers the CPU saved: RIP, CS, RFLAGS, RSP, SS at the top (below the copies
        # a nested NMI makes)
        saved = estack.top - 5 * WORD
        if nested_nmi and self.stkptr <= estack.top - 17 * WORD:
            saved -= 12 * WORD
            if self.region.word_at(saved) == k.symbol_value("repeat_nmi"):
                saved += 5 * WORD  # copied and saved registers are swapped before 3.8
        self.instptr = self.region.word_at(saved)
        rsp = self.stkptr = self.region.word_at(saved + 3 * WORD)
        self.frameptr = 0
        if regs.user_mode:
            return rsp, level, True
        self.start = self.save_eframe_ip = True
        self.print_stack_entry(level, estack.base, self.instptr)
        self.start = self.save_eframe_ip = self.framesize_disable = False
        if self.in_exception_stack() == estack:
            self.entries.append(Note(f"    [ {estack.name} exception stack recursion: "
                                     "prior stack location overwritten ]"))
            return rsp, level, None
        self.save_eframe_ip = True
        size = self.framesize(self.instptr, rsp)
        self.save_eframe_ip = False
        return rsp + max(size, 0), level + 1, False

    def walk_irq_stack(self, base: int, rsp: int, level: int) -> tuple[int, int, int]:
        """Scan the IRQ stack, then return through the process stack pointer it saved; also
        returns where the interrupt's pt_regs lies (0: none, for softirqs)."""
        self.on_irq_stack = True
        self.region = self.load(base, self.k.irq_stack_size)
        level, _, _ = self.scan(rsp, self.region.top, level)
        self.entries.append(StackSwitch("IRQ stack"))
        top = self.region.top
        irq_eframe = rsp = self.stkptr = self.irq_eframe_link(self.region.word_at(top - WORD))
        self.instptr = self.region.word_at(top - 2 * WORD)
        if self.k.closest_symbol(self.instptr) in ("do_softirq", "do_softirq_own_stack",
                                                    "call_softirq"):
            irq_eframe = 0
        self.frameptr = 0
        return rsp, level, irq_eframe

    def irq_eframe_link(self, saved_sp: int) -> int:
        """crash's x86_64_irq_eframe_link(): the pt_regs near the saved stack pointer."""
        if self.verify_eframe(saved_sp):
            return saved_sp
        guess = saved_sp - self.k.irq_eframe_link
        for candidate in (guess, guess + 8, guess - 8, guess + 16, guess - 16):
            if self.verify_eframe(candidate):
                return candidate
        return guess

    def irq_exception_frame(self, irq_eframe: int, rsp: int, level: int) -> tuple[int, bool, int]:
        """The interrupt's pt_regs on the process stack, after its asm entry point as a frame."""
        k = self.k
        self.exception_frame_flag = True
        slot = irq_eframe
        if k.symbol_value("asm_common_interrupt") is not None:
            slot -= WORD
            self.instptr = self.region.word_at(slot)
        self.print_stack_entry(level, slot, self.instptr)
        self.exception_frame_flag = False
        regs = self.exception_frame(irq_eframe)
        if regs.user_mode:
            return level + 1, True, rsp
        rsp += k.pt_regs_size
        if self.eframe_ip:
            rsp += max(self.eframe_target_size(rsp), 0)
        return level + 1, False, rsp

    def eframe_target_size(self, rsp: int) -> int:
        """crash's search_for_eframe_target_caller(): the distance to the first return address
        whose call targets the interrupted function; else the usual frame size."""
        k = self.k
        called = k.closest_symbol(self.eframe_ip)
        if called is not None:
            for address in range(rsp, self.region.top, WORD):
                value = self.region.word_at(address)
                found = k.value_search(value) if k.is_kernel_text(value) else None
                if found and (found[1] or self.framesize_disable) \
                        and k.function_called_by(value) == called:
                    return address - rsp
        return self.framesize(self.eframe_ip, rsp)
