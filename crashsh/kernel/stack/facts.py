"""What every backtrace needs, worked out once per dump: symbols, memory, layouts, ORC."""

from __future__ import annotations

import struct
from array import array
from dataclasses import fields
from functools import cached_property

import drgn

from crashsh.dumpfacts import MASK64, facts, per_dump
from crashsh.kernel import orc, tasks
from crashsh.kernel.stack.cpustacks import CpuStacks
from crashsh.kernel.stack.framesize import count_stack_changes
from crashsh.kernel.stack.records import WORD, Registers

PT_REGS_MEMBERS = {"rip": "ip", "rsp": "sp", "rflags": "flags", "rax": "ax", "rbx": "bx",
                   "rcx": "cx", "rdx": "dx", "rsi": "si", "rdi": "di", "rbp": "bp",
                   "orig_rax": "orig_ax"}


class StackKernel(CpuStacks):
    """What every backtrace needs, computed once per dump (stack_kernel()): symbols, stacks,
    ORC."""

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        self.facts = facts(prog)
        self.symtab = self.facts.symtab
        self.counted: dict[tuple[int, bool], int] = {}
        self.returns: dict[int, tuple[int, bool, orc.OrcEntry | None] | None] = {}

    # symbols
    def value_search(self, value: int):
        """crash's value_search(): (Symbol, offset) of the symbol at or before value, or None."""
        return self.symtab.lookup_address(value)

    def closest_symbol(self, value: int) -> str | None:
        found = self.value_search(value)
        return found[0].name if found else None

    def symbol_value(self, name: str) -> int | None:
        return self.facts.symbol_address(name)

    @cached_property
    def lowest_text(self) -> int:
        """No text lies below the kernel's first code section (modules are above it)."""
        return min(start for start, _ in self.symtab.kernel_text)

    def is_kernel_text(self, value: int) -> bool:
        """crash's is_kernel_text(): in an executable section, or at a text symbol."""
        return value >= self.lowest_text and self.symtab.is_text(value)

    @cached_property
    def init_range(self) -> tuple[int, int]:
        return self.prog.symbol("__init_begin").address, self.prog.symbol("__init_end").address

    def line_of(self, address: int) -> tuple[str | None, int | None]:
        """gdb's source file and line of a text address, as crash prints them."""
        found = self.symtab.source_line(address)
        if not found:
            return None, None
        file, _, line = found.rpartition(": ")
        return file, int(line)

    def function_called_by(self, return_address: int) -> str | None:
        """The symbol a direct call just before return_address calls (crash's
        x86_64_function_called_by())."""
        try:
            code = self.prog.read(return_address - 5, 5)
        except drgn.FaultError:
            return None
        if code[0] != 0xE8:
            return None
        target = (return_address + struct.unpack_from("<i", code, 1)[0]) & MASK64
        return self.closest_symbol(target)

    # memory
    def is_kvaddr(self, value: int) -> bool:
        return value >= self.facts.page_offset

    def accessible(self, address: int) -> bool:
        if not self.is_kvaddr(address):
            return False
        try:
            self.prog.read(address, WORD)
        except drgn.FaultError:
            return False
        return True

    def read_words(self, address: int, size: int) -> array:
        return array("Q", self.prog.read(address, size))

    def read_word(self, address: int) -> int:
        return self.prog.read_u64(address)

    # layouts
    @cached_property
    def thread_size(self) -> int:
        return tasks.thread_size(self.prog)

    @cached_property
    def pt_regs_size(self) -> int:
        return drgn.sizeof(self.prog.type("struct pt_regs"))

    @cached_property
    def pt_regs_offsets(self) -> dict[str, int]:
        regs = self.prog.type("struct pt_regs")
        return {f.name: drgn.offsetof(regs, PT_REGS_MEMBERS.get(f.name, f.name))
                for f in fields(Registers)}

    @cached_property
    def user_regs_padding(self) -> int:
        """FRED kernels (6.9+) keep 16 bytes above the user-mode pt_regs."""
        try:
            self.prog.type("struct fred_frame")
        except LookupError:
            return 0
        return 2 * WORD

    @cached_property
    def inactive_frame(self) -> drgn.Type:
        return self.prog.type("struct inactive_task_frame")

    @cached_property
    def inactive_frame_bp(self) -> int:
        """Where a switched-out task saved its frame pointer, from its saved stack pointer."""
        return drgn.offsetof(self.inactive_frame, "bp")

    @cached_property
    def irq_eframe_link(self) -> int:
        """Where an interrupt's pt_regs lies relative to the process stack pointer the IRQ
        stack saves (asm_common_interrupt since 5.8; asm_call_on_stack until 5.12)."""
        if self.symbol_value("asm_common_interrupt") is not None:
            return -64 if self.symbol_value("asm_call_on_stack") is not None else -32
        return 40

    @cached_property
    def thread_return(self) -> int:
        """The return address after the call to __switch_to_asm in (__)schedule: where
        sleeping tasks stopped."""
        targets = {self.symbol_value(n) for n in ("__switch_to", "__switch_to_asm")} - {None}
        for name in ("schedule", "__schedule"):
            try:
                sym = self.prog.symbol(name)
            except LookupError:
                continue
            code = self.prog.read(sym.address, sym.size)
            for i in range(len(code) - 4):
                after = sym.address + i + 5
                if code[i] == 0xE8 and \
                        ((after + struct.unpack_from("<i", code, i + 1)[0]) & MASK64) in targets:
                    return after
        return self.symbol_value("schedule") or 0

    @cached_property
    def orc(self) -> orc.OrcTables:
        return orc.OrcTables(self.prog)

    def return_facts(self, textaddr: int) -> tuple[int, bool, orc.OrcEntry | None] | None:
        """(its function's start, whether that is init text, its ORC entry) of a return
        address, None without a symbol; kept, as a scan meets the same few again and again."""
        try:
            return self.returns[textaddr]
        except KeyError:
            pass
        found = self.value_search(textaddr)
        if found:
            start = found[0].value
            init_begin, init_end = self.init_range
            init = init_begin <= start < init_end
            known = start, init, None if init else self.orc.find(textaddr)
        else:
            known = None
        self.returns[textaddr] = known
        return known

    def counted_framesize(self, start: int, textaddr: int, exception: bool) -> int:
        """crash's frame size without ORC (cached, as crash caches it)."""
        key = (textaddr, exception)
        if key not in self.counted:
            self.counted[key] = count_stack_changes(self.prog, start, textaddr, exception)
        return self.counted[key]

    # tasks
    @property
    def active(self) -> dict[int, int]:
        return tasks.active_tasks(self.prog)  # `set -a` may change it between commands

    @cached_property
    def crashed_registers(self) -> Registers | None:
        """The registers the dump saved for the task that crashed (None: none saved)."""
        try:
            saved = self.prog.crashed_thread().stack_trace()[0].registers()
        except (ValueError, LookupError):
            return None
        return Registers(**{f.name: saved.get(f.name, 0) for f in fields(Registers)})

    @cached_property
    def panic_task(self) -> int:
        """The address of the task that crashed; 0 when there is none."""
        crashed = self.facts.crashed_task
        return crashed.value_() if crashed is not None else 0


@per_dump
def stack_kernel(prog: drgn.Program) -> StackKernel:
    """The dump's StackKernel, made on first use."""
    return StackKernel(prog)
