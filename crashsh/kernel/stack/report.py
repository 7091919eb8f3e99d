"""One stack word as crash reports it (x86_64_print_stack_entry): a frame, a bt -t text
symbol, or nothing; and bt -f/-F's stack data."""

from __future__ import annotations

import drgn
from drgn.helpers.linux.mm import compound_head, virt_to_page
from drgn.helpers.linux.slab import PageSlab

from crashsh.kernel.stack.eframes import EframeChecks
from crashsh.kernel.stack.records import WORD, Frame, StackWord, TextSymbol

# crash's exception entry points (exception_functions_5_8): their frames carry a pt_regs
EXCEPTION_FUNCTIONS = frozenset({
    "asm_exc_invalid_tss", "asm_exc_segment_not_present", "asm_exc_alignment_check",
    "asm_exc_general_protection", "asm_exc_page_fault", "asm_exc_divide_error",
    "asm_exc_overflow", "asm_exc_bounds", "asm_exc_invalid_op", "asm_exc_device_not_available",
    "asm_exc_coproc_segment_overrun", "asm_exc_spurious_interrupt_bug",
    "asm_exc_coprocessor_error", "asm_exc_simd_coprocessor_error", "asm_exc_debug",
    "xen_asm_exc_stack_segment", "xen_asm_exc_xen_hypervisor_callback", "xen_asm_exc_int3",
})
# what print_stack_entry() did with a stack word
DISPLAYED, IGNORED, COMPLETE, WITH_EFRAME = range(4)


class EntryReport(EframeChecks):
    """Turns the text addresses a walk meets into entries."""

    def print_stack_entry(self, level: int, slot: int, text: int) -> int:
        """Report the text address found in the stack slot at address slot (for an exception
        frame's RIP or a start crash gives the stack pointer instead)."""
        k = self.k
        if not self.save_eframe_ip:
            self.eframe_ip = 0
        found = k.value_search(text)
        if not found:
            return IGNORED
        symbol, offset = found
        name = symbol.name
        if self.options.text_symbols:
            sp = self.stkptr if self.exception_frame_flag else slot
            self.entries.append(TextSymbol(sp, text, name, offset, symbol.module))
            return DISPLAYED
        special = self.exception_frame_flag or self.start
        sp = self.stkptr if special else slot
        eframe_check = -1
        if not offset and not special:
            if name != "error_exit":
                return IGNORED
            eframe_check = 8
        elif offset and not special:
            if name in EXCEPTION_FUNCTIONS:
                eframe_check = 8
            if "_interrupt" in name and self.in_irqstack() is not None:
                eframe_check = 0
        frame = Frame(level, sp, text, name, offset, symbol.module,
                      size_unknown=self.framesize_disable)
        if self.options.full:
            if self.frameptr:
                frame.stack_data = self.stack_data(self.frameptr, sp)
            self.frameptr = sp + WORD
        if self.options.line_numbers:
            frame.file, frame.line = k.line_of(text)
        self.entries.append(frame)
        eframe = eframe_check >= 0 and self.verify_eframe(slot + eframe_check, print_=True)
        self.call_target = name
        if eframe:
            return WITH_EFRAME
        return COMPLETE if name in ("cpu_idle", "system_call_fastpath") else DISPLAYED

    def stack_data(self, start: int, end: int) -> list[StackWord]:
        """crash's x86_64_display_full_frame(): the words from start through end."""
        region = self.region
        if end < start or not region.holds(end) or not region.holds(start):
            return []
        words = [StackWord(a, region.word_at(a)) for a in range(start, end + WORD, WORD)]
        if self.options.full >= 2:
            for word in words:
                word.symbol, word.slab = self.symbolic(word.value)
        return words

    def symbolic(self, value: int) -> tuple[str | None, str | None]:
        """crash's format_stack_entry() for -F: a symbol, else the slab cache pointed into."""
        k = self.k
        if not k.accessible(value):
            return None, None
        symbol = k.symtab.symstr(value) if k.symtab.in_range(value) else ""
        if symbol:
            return symbol, None
        return None, slab_cache_name(k.prog, value)


def slab_cache_name(prog: drgn.Program, address: int) -> str | None:
    """The slab cache whose page holds address (crash's vaddr_to_kmem_cache())."""
    try:
        page = compound_head(virt_to_page(prog, address))
        if not PageSlab(page):
            return None
        return drgn.cast("struct slab *", page).slab_cache.name.string_().decode(errors="replace")
    except (drgn.FaultError, LookupError, ValueError):
        return None
