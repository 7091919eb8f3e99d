"""Where crash starts a task's trace (back_trace, x86_64_get_stack_frame): a sleeping task's
saved stack pointer, bt -I/-S, or for an active task a search of its stacks."""

from __future__ import annotations

from crashsh.kernel.stack.eframes import EframeChecks
from crashsh.kernel.stack.records import WORD, StackError
from crashsh.kernel.stack.state import StackRegion

# where crash's search of an active task's stacks starts the trace
DUMP_PATH_FUNCTIONS = frozenset({
    "netconsole_netdump", "netpoll_start_netdump", "start_disk_dump", "disk_dump",
    "crash_kexec", "machine_kexec", "try_crashdump",
})


class StartSearch(EframeChecks):
    """The (instruction pointer, stack pointer) a trace starts from."""

    def sleeping_start(self) -> tuple[int, int]:
        """A task off the CPU: its saved stack pointer (struct inactive_task_frame)."""
        sp = self.context.saved_sp
        bp = sp + self.k.inactive_frame_bp
        self.bptr = self.region.word_at(bp) if self.region.holds(bp) else self.k.read_word(bp)
        return self.k.thread_return, sp

    def given_start(self) -> tuple[int, int]:
        """bt -I/-S: the given start, the rest taken as for a sleeping task."""
        ip, sp = self.options.ip, self.options.sp
        if sp is not None and not self.region.holds(sp) \
                and not self.k.in_alternate_stack(self.cpu, sp):
            raise StackError(f"non-process stack address for this task: {sp:x}\n"
                             f"    (valid range: {self.region.base:x} - {self.region.top:x})")
        saved_ip, saved_sp = self.sleeping_start() if sp is None else (self.k.thread_return, sp)
        return ip or saved_ip, saved_sp

    def dumpfile_start(self) -> tuple[int, int]:
        """An active task (crash's x86_64_get_dumpfile_stack_frame()): the first known caller
        on its process stack, then its CPU's IRQ stack, then its exception stacks."""
        k = self.k
        panic_task = self.address == k.panic_task
        regions = [] if panic_task and self.panicked_in_irq() else [self.process_region()]
        if self.cpu in k.irq_stacks:
            regions.append(self.load(k.irq_stacks[self.cpu], k.irq_stack_size))
        regions += [self.load(s.base, s.size) for s in k.exception_stacks.get(self.cpu, [])]
        fallback = None
        for region in regions:
            found, later = self.search_stack(region, panic_task)
            if found:
                return found
            fallback = fallback or later
        if fallback:
            return fallback
        # crash would next try the dump's saved registers; the saved stack pointer will do.
        # crash reads it into a copy of its trace state (get_stack_frame on bt_local), so the
        # walk starts without the frame pointer: frames sized from RBP are scanned word by word
        start = self.sleeping_start()
        self.bptr = 0
        return start

    def panicked_in_irq(self) -> bool:
        """The panic task's registers in the dump verify and point into an IRQ stack."""
        regs = self.k.crashed_registers
        return regs is not None and self.eframe_verify(0, regs) \
            and self.k.irq_stack_of(regs.rsp) is not None

    def search_stack(self, region: StackRegion, panic_task: bool):
        """One stack of the search: (the start found, a start to use if nothing is found)."""
        k = self.k
        panic = crash_kexec = sysrq = None
        words = region.words
        for i, value in enumerate(words):
            if value < k.lowest_text:  # every name searched for is a function
                continue
            name = k.closest_symbol(value)
            if name is None:
                continue
            here = (value, region.base + i * WORD)
            if name in DUMP_PATH_FUNCTIONS:
                if name != "crash_kexec" or k.function_called_by(value) == "machine_kexec":
                    return here, None
                if crash_kexec is None and not self.options.text_symbols:
                    crash_kexec = here
                    continue
                return here, None
            if name == "panic":
                panic = here
            elif name == "die":
                later = self.last_sysrq(region, i + 1)
                if later is None:
                    return here, None
                sysrq = later
            elif name == "sysrq_handle_crash":
                sysrq = self.last_sysrq(region, i)
            elif name == "crash_nmi_callback" and not panic_task:
                return here, None
        return panic or crash_kexec, sysrq

    def last_sysrq(self, region: StackRegion, start: int) -> tuple[int, int] | None:
        found = None
        for i in range(start, len(region.words)):
            if self.k.closest_symbol(region.words[i]) == "sysrq_handle_crash":
                found = (region.words[i], region.base + i * WORD)
        return found
