"""crash's x86_64 backtrace: where a task's trace starts, how crash walks the stack, what it finds.

A port of crash 9's "low budget" back tracer (x86_64.c: x86_64_low_budget_back_trace_cmd,
x86_64_print_stack_entry, x86_64_get_framesize, x86_64_exception_frame, x86_64_eframe_verify,
x86_64_get_dumpfile_stack_frame, x86_64_eframe_search). crash does not unwind: it scans the
stack word by word, reports each kernel text address with a non-zero symbol offset as a frame,
and uses the kernel's ORC tables only to skip the body of a frame it has reported.
See /work/shared/design/crash-bt.md.

Frames are named by the symbol at or before the return address itself, as the crash 9.0.2
binary does (later crash sources look up the address - 1).

A walk yields entries (Frame, TextSymbol, TextStart, ExceptionFrame, StackSwitch, Note) that
renderers turn into crash's text. `StackKernel` holds what a session computes once.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field, fields
from functools import cached_property

import drgn
from drgn.helpers.linux.cpumask import for_each_present_cpu
from drgn.helpers.linux.mm import compound_head, virt_to_page, vma_find
from drgn.helpers.linux.percpu import per_cpu_ptr
from drgn.helpers.linux.slab import PageSlab

from crashsh.kernel import orc, tasks
from crashsh.toolchain import x86insn

WORD = 8
STACK_END_MAGIC = 0x57AC6E9D
PF_KTHREAD = 0x00200000
USERSPACE_TOP = 0x0000800000000000
KERNEL_CS, KERNEL_SS, USER_CS, USER_SS, USER32_CS = 0x10, 0x18, 0x33, 0x2B, 0x23
RFLAGS_RAZ_MASK = 0xFFFFFFFFFFC08028  # return-as-zero bits
VM_READ, VM_WRITE, VM_GROWSDOWN = 0x1, 0x2, 0x100
MAX_EXCEPTION_STACKS = 7
MAX_STACK_SWITCHES = 16  # IRQ and exception stacks nest a few deep; more means bad data
TSS_SYMBOLS = ("cpu_tss_rw", "cpu_tss", "init_tss")

# crash's exception entry points (exception_functions_5_8): their frames carry a pt_regs
EXCEPTION_FUNCTIONS = frozenset({
    "asm_exc_invalid_tss", "asm_exc_segment_not_present", "asm_exc_alignment_check",
    "asm_exc_general_protection", "asm_exc_page_fault", "asm_exc_divide_error",
    "asm_exc_overflow", "asm_exc_bounds", "asm_exc_invalid_op", "asm_exc_device_not_available",
    "asm_exc_coproc_segment_overrun", "asm_exc_spurious_interrupt_bug",
    "asm_exc_coprocessor_error", "asm_exc_simd_coprocessor_error", "asm_exc_debug",
    "xen_asm_exc_stack_segment", "xen_asm_exc_xen_hypervisor_callback", "xen_asm_exc_int3",
})
# where crash's search of an active task's stacks starts the trace
DUMP_PATH_FUNCTIONS = frozenset({
    "netconsole_netdump", "netpoll_start_netdump", "start_disk_dump", "disk_dump",
    "crash_kexec", "machine_kexec", "try_crashdump",
})
# IDT handler name fragments -> crash's exception stack names (later matches win)
IST_NAMES = (("nmi", "NMI"), ("debug", "DEBUG"), ("stack", "STACKFAULT"),
             ("double", "DOUBLEFAULT"), ("machine", "MCE"), ("vmm", "VC"))
IST_STACK_MEMBERS = {"DEBUG": "DB_stack", "NMI": "NMI_stack", "DOUBLEFAULT": "DF_stack",
                     "MCE": "MCE_stack", "VC": "VC_stack"}
PT_REGS_MEMBERS = {"rip": "ip", "rsp": "sp", "rflags": "flags", "rax": "ax", "rbx": "bx",
                   "rcx": "cx", "rdx": "dx", "rsi": "si", "rdi": "di", "rbp": "bp",
                   "orig_rax": "orig_ax"}


class StackError(Exception):
    """crash gives up on the task's trace with this message (printed as ``bt: message``)."""


# -- what a walk finds ---------------------------------------------------------------------------

@dataclass
class StackWord:
    """One word of stack data (bt -f), with its symbol or slab cache for bt -F."""

    address: int
    value: int
    symbol: str | None = None
    slab: str | None = None


@dataclass
class Frame:
    """One frame: the stack slot of a return address and the function it returns into."""

    level: int
    sp: int
    pc: int
    function: str
    offset: int
    module: str | None = None
    file: str | None = None
    line: int | None = None
    stack_data: list[StackWord] = field(default_factory=list)  # bt -f: the words up to sp
    size_unknown: bool = False  # crash could not size a frame (" *")


@dataclass
class TextSymbol:
    """bt -t/-T: a kernel text address found on the stack."""

    sp: int
    pc: int
    function: str
    offset: int
    module: str | None = None


@dataclass
class TextStart:
    """bt -t: where the search starts."""

    function: str | None
    pc: int


@dataclass
class Registers:
    rip: int
    rsp: int
    rflags: int
    rax: int
    rbx: int
    rcx: int
    rdx: int
    rsi: int
    rdi: int
    rbp: int
    r8: int
    r9: int
    r10: int
    r11: int
    r12: int
    r13: int
    r14: int
    r15: int
    orig_rax: int
    cs: int
    ss: int

    @property
    def user_mode(self) -> bool:
        return bool(self.cs & 3)


@dataclass
class ExceptionFrame:
    """A saved register set (struct pt_regs) on a stack."""

    address: int
    registers: Registers
    function: str | None = None  # the symbol of a kernel-mode RIP
    offset: int = 0
    rip_note: str = ""  # crash's words for a kernel-mode RIP without a symbol
    search: bool = False  # found by bt -e/-E: printed with its address
    file: str | None = None
    line: int | None = None


@dataclass
class StackSwitch:
    """The walk leaves an IRQ or exception stack for the stack it interrupted."""

    stack: str  # "NMI exception stack", "IRQ stack"


@dataclass
class Note:
    """A line crash prints inside a trace."""

    text: str


Entry = Frame | TextSymbol | TextStart | ExceptionFrame | StackSwitch | Note


@dataclass(frozen=True)
class WalkOptions:
    text_symbols: bool = False  # -t: every text address from the start, no frame skipping
    all_text: bool = False  # -T: the same from the bottom of the process stack
    full: int = 0  # 1: -f stack data; 2: -F with symbols and slab caches
    line_numbers: bool = False  # -l
    skip_frames: bool = True  # False for -o: report every text address with an offset
    ip: int | None = None  # -I: start at this text address
    sp: int | None = None  # -S: start at this stack address


@dataclass(frozen=True)
class ExceptionStack:
    cpu: int
    index: int
    name: str
    base: int
    size: int

    @property
    def top(self) -> int:
        return self.base + self.size


@dataclass
class StackSearch:
    """bt -E: the exception frames found on one IRQ or exception stack."""

    title: str
    frames: list[Entry]


# -- per-session kernel facts --------------------------------------------------------------------

class StackKernel:
    """What every backtrace needs, computed once per session: symbols, stacks, ORC."""

    def __init__(self, prog: drgn.Program, symtab) -> None:
        self.prog = prog
        self.symtab = symtab  # crashsh.toolchain.symtab.CrashSymbolTable
        self.counted: dict[tuple[int, bool], int] = {}

    # symbols
    def value_search(self, value: int):
        """crash's value_search(): (Symbol, offset) of the symbol at or before value, or None."""
        return self.symtab.lookup_address(value)

    def closest_symbol(self, value: int) -> str | None:
        found = self.value_search(value)
        return found[0].name if found else None

    def symbol_value(self, name: str) -> int | None:
        try:
            return self.prog.symbol(name).address
        except LookupError:
            return None

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
        target = (return_address + struct.unpack_from("<i", code, 1)[0]) & ((1 << 64) - 1)
        return self.closest_symbol(target)

    # memory
    @cached_property
    def page_offset(self) -> int:
        return self.prog["page_offset_base"].value_()

    def is_kvaddr(self, value: int) -> bool:
        return value >= self.page_offset

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
    def cpus(self) -> list[int]:
        return list(for_each_present_cpu(self.prog))

    # the per-CPU stacks
    @cached_property
    def irq_stack_size(self) -> int:
        return drgn.sizeof(self.prog.type("struct irq_stack"))

    @cached_property
    def irq_stacks(self) -> dict[int, int]:
        """Each CPU's hardirq stack base, from hardirq_stack_ptr (moved into pcpu_hot in 6.2)."""
        bases = {}
        for cpu in self.cpus:
            try:
                top = per_cpu_ptr(self.prog["pcpu_hot"].address_of_(), cpu).hardirq_stack_ptr
            except KeyError:
                top = per_cpu_ptr(self.prog["hardirq_stack_ptr"].address_of_(), cpu)[0]
            top = top.value_()
            if top & 0xFFF:
                top += WORD  # the pointer is the stack top - 8
            bases[cpu] = top - self.irq_stack_size
        return bases

    @cached_property
    def exception_stack_names(self) -> list[str]:
        """crash's exception stack names, from the IDT gates that use each IST slot."""
        names = ["(unknown)"] * MAX_EXCEPTION_STACKS
        table = self.read_words(self.prog.symbol("idt_table").address, 256 * 16)
        for i in range(256):
            low, high = table[2 * i], table[2 * i + 1]
            ist = (low >> 32) & 7
            if not ist:
                continue
            handler = (high << 32) & 0xFFFFFFFF00000000 | low & 0xFFFF | (low >> 32) & 0xFFFF0000
            name = self.closest_symbol(handler) or ""
            for fragment, label in IST_NAMES:
                if fragment in name:
                    names[ist - 1] = label
        return names

    @cached_property
    def exception_stacks(self) -> dict[int, list[ExceptionStack]]:
        """Per CPU, the IST stacks in slot order, up to the first missing or unmapped one."""
        try:
            layout = self.prog.type("struct cea_exception_stacks")
        except LookupError:  # before 5.2 the stacks had no guard pages
            layout = self.prog.type("struct exception_stacks")
        names = self.exception_stack_names
        sizes = [drgn.sizeof(layout.member(IST_STACK_MEMBERS[n]).type)
                 if n in IST_STACK_MEMBERS else 0 for n in names]
        tss = next(self.prog[name] for name in TSS_SYMBOLS if name in self.prog)
        result = {}
        for cpu in self.cpus:
            tops = per_cpu_ptr(tss.address_of_(), cpu).x86_tss.ist
            stacks = []
            for i in range(MAX_EXCEPTION_STACKS):
                top = tops[i].value_()
                if not top or not self.accessible(top - sizes[i]):
                    break
                stacks.append(ExceptionStack(cpu, i, names[i], top - sizes[i], sizes[i]))
            result[cpu] = stacks
        return result

    def exception_stack_of(self, address: int) -> ExceptionStack | None:
        for stacks in self.exception_stacks.values():
            for stack in stacks:
                if stack.base <= address < stack.top:
                    return stack
        return None

    def irq_stack_of(self, address: int) -> int | None:
        for base in self.irq_stacks.values():
            if base <= address < base + self.irq_stack_size:
                return base
        return None

    def in_alternate_stack(self, cpu: int, address: int) -> bool:
        """In one of the CPU's IRQ or exception stacks."""
        base = self.irq_stacks.get(cpu)
        if base is not None and base <= address < base + self.irq_stack_size:
            return True
        return any(s.base <= address < s.top for s in self.exception_stacks.get(cpu, []))

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
                        (after + struct.unpack_from("<i", code, i + 1)[0]) % (1 << 64) in targets:
                    return after
        return self.symbol_value("schedule") or 0

    @cached_property
    def orc(self) -> orc.OrcTables:
        return orc.OrcTables(self.prog)

    def counted_framesize(self, start: int, textaddr: int, exception: bool) -> int:
        """crash's frame size without ORC (cached, as crash caches it)."""
        key = (textaddr, exception)
        if key not in self.counted:
            self.counted[key] = self.count_stack_changes(start, textaddr, exception)
        return self.counted[key]

    def count_stack_changes(self, start: int, textaddr: int, exception: bool) -> int:
        """The stack-pointer changes of the instructions from the function's start up to
        textaddr (through it for an exception RIP), as crash counts them in gdb's disassembly;
        a ret restores the largest size seen."""
        code = self.prog.read(start, textaddr - start + 16)
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

    # tasks
    @cached_property
    def active(self) -> dict[int, int]:
        return tasks.active_tasks(self.prog)

    @cached_property
    def panic_task(self) -> int:
        try:
            return self.prog.crashed_thread().object.value_()
        except (ValueError, LookupError):
            return 0


# -- the walk ------------------------------------------------------------------------------------

# what print_stack_entry() did with a stack word
DISPLAYED, IGNORED, COMPLETE, WITH_EFRAME = range(4)


@dataclass
class _Region:
    """The stack being scanned: its bounds and contents."""

    base: int
    top: int
    words: array

    def holds(self, address: int) -> bool:
        return self.base <= address < self.top

    def word_at(self, address: int) -> int:
        return self.words[(address - self.base) // WORD]


class Walk:
    """One task's trace: crash's struct bt_info state and the entries found so far."""

    def __init__(self, kernel: StackKernel, task: drgn.Object, options: WalkOptions) -> None:
        self.k = kernel
        self.task = task
        self.options = options
        self.address = task.value_()
        self.cpu = tasks.cpu_of(task)
        self.stack_base = task.stack.value_()
        self.entries: list[Entry] = []
        self.region: _Region | None = None
        self.stkptr = self.instptr = self.bptr = 0
        self.eframe_ip = self.frameptr = 0
        self.call_target: str | None = None
        # crash's bt->flags that matter here
        self.start = self.save_eframe_ip = self.exception_frame_flag = False
        self.framesize_disable = self.on_exception_stack = self.on_irq_stack = False
        self.eframe_search = False

    # -- helpers ----------------------------------------------------------------------------
    def load(self, base: int, size: int) -> _Region:
        try:
            return _Region(base, base + size, self.k.read_words(base, size))
        except drgn.FaultError:
            raise StackError(f"read of stack at {base:x} failed") from None

    def process_region(self) -> _Region:
        return self.load(self.stack_base, self.k.thread_size)

    def slot(self, index: int) -> int:
        return self.region.base + index * WORD

    def in_exception_stack(self) -> ExceptionStack | None:
        return self.k.exception_stack_of(self.stkptr)

    def in_irqstack(self) -> int | None:
        return self.k.irq_stack_of(self.stkptr)

    # -- where the trace starts (back_trace, x86_64_get_stack_frame) -----------------------
    def sleeping_start(self) -> tuple[int, int]:
        """A task off the CPU: its saved stack pointer (struct inactive_task_frame)."""
        sp = self.task.thread.sp.value_()
        self.bptr = self.k.read_word(sp + drgn.offsetof(self.k.inactive_frame, "bp"))
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
        # crash would next try the dump's saved registers; the saved stack pointer will do
        return fallback or self.sleeping_start()

    def panicked_in_irq(self) -> bool:
        """The panic task's registers in the dump verify and point into an IRQ stack."""
        try:
            saved = self.k.prog.crashed_thread().stack_trace()[0].registers()
        except (ValueError, LookupError):
            return False
        regs = Registers(**{f.name: saved.get(f.name, 0) for f in fields(Registers)})
        return self.eframe_verify(0, regs) and self.k.irq_stack_of(regs.rsp) is not None

    def search_stack(self, region: _Region, panic_task: bool):
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

    def last_sysrq(self, region: _Region, start: int) -> tuple[int, int] | None:
        found = None
        for i in range(start, len(region.words)):
            if self.k.closest_symbol(region.words[i]) == "sysrq_handle_crash":
                found = (region.words[i], region.base + i * WORD)
        return found

    # -- the trace (x86_64_low_budget_back_trace_cmd) ----------------------------------------
    def run(self) -> list[Entry]:
        self.region = self.process_region()
        if self.options.ip is not None or self.options.sp is not None:
            self.instptr, self.stkptr = self.given_start()
        elif self.address in self.k.active:
            self.instptr, self.stkptr = self.dumpfile_start()
        else:
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
        if not rsp or not k.accessible(rsp):
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

        if not irq_eframe and not self.task.flags.value_() & PF_KTHREAD \
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
        region = self.region
        last_eframe = 0
        self.framesize_disable = False
        while rsp < stacktop:
            value = region.word_at(rsp)
            result = self.print_stack_entry(level, rsp, value) if k.is_kernel_text(value) \
                else IGNORED
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

    # -- one stack word (x86_64_print_stack_entry) -------------------------------------------
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
            if self.in_irqstack() is not None and "_interrupt" in name:
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

    # -- frame sizes (x86_64_get_framesize) ----------------------------------------------------
    def framesize(self, textaddr: int, rsp: int, process: bool = False) -> int:
        """How far past a reported frame the scan resumes, from the ORC entry of the return
        address; the saved frame pointer is tracked only on the process stack."""
        k = self.k
        if self.options.text_symbols or not self.options.skip_frames or self.framesize_disable:
            return 0
        found = k.value_search(textaddr)
        if not found:
            self.framesize_disable = True
            return 0
        start = found[0].value
        init_begin, init_end = k.init_range
        if init_begin <= start < init_end:
            return 0
        exception = self.eframe_ip == textaddr
        entry = k.orc.find(textaddr)
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

    # -- exception frames (x86_64_exception_frame, x86_64_eframe_verify) ---------------------
    def read_registers(self, address: int) -> Registers:
        offsets = self.k.pt_regs_offsets
        if self.region.holds(address) and self.region.holds(address + self.k.pt_regs_size - 1):
            return Registers(**{n: self.region.word_at(address + o) for n, o in offsets.items()})
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

    # -- bt -e and -E (x86_64_eframe_search) -------------------------------------------------
    def search_eframes(self, region: _Region) -> None:
        """Record every word offset of region that passes as a pt_regs."""
        self.region = region
        self.eframe_search = True
        last = region.top - self.k.pt_regs_size
        for address in range(self.stkptr or region.base, last + 1, WORD):
            self.verify_eframe(address, print_=True, search=True)


def slab_cache_name(prog: drgn.Program, address: int) -> str | None:
    """The slab cache whose page holds address (crash's vaddr_to_kmem_cache())."""
    try:
        page = compound_head(virt_to_page(prog, address))
        if not PageSlab(page):
            return None
        return drgn.cast("struct slab *", page).slab_cache.name.string_().decode(errors="replace")
    except (drgn.FaultError, LookupError, ValueError):
        return None


# -- public entry points -------------------------------------------------------------------------

def has_stack(task: drgn.Object) -> bool:
    """False for a task that has released its stack (a reaped zombie): crash's "(no stack)"."""
    return bool(task.stack.value_())


def backtrace(kernel: StackKernel, task: drgn.Object, options: WalkOptions) -> list[Entry]:
    """crash's bt of one task that has a stack: frames, exception frames, stack switches.

    Raises StackError where crash gives up on the task (the message says why).
    """
    return Walk(kernel, task, options).run()


def exception_frame_search(kernel: StackKernel, task: drgn.Object) -> list[Entry]:
    """bt -e: every verifiable pt_regs on the task's process stack."""
    walk = Walk(kernel, task, WalkOptions())
    walk.search_eframes(walk.process_region())
    return walk.entries


def mentions(kernel: StackKernel, entries: list[Entry], reference: int | str) -> bool:
    """bt -R: does the trace refer to the symbol (a name) or the value (a number)?

    crash's x86_64_do_bt_reference_check(): each frame's name and return address; each
    exception frame's RIP symbol and registers (a register names a symbol by its address).
    """
    def value_refers(value: int) -> bool:
        if isinstance(reference, int):
            return value == reference
        found = kernel.value_search(value)
        return bool(found) and not found[1] and found[0].name == reference

    def name_refers(name: str) -> bool:
        if isinstance(reference, str):
            return name == reference
        symbol = kernel.symtab.lookup_name(name)
        return symbol is not None and symbol.value == reference

    for entry in entries:
        if isinstance(entry, (Frame, TextSymbol)):
            if entry.function == reference if isinstance(reference, str) \
                    else entry.pc == reference:
                return True
        elif isinstance(entry, ExceptionFrame):
            regs = entry.registers
            found = kernel.value_search(regs.rip)
            if found and name_refers(found[0].name):
                return True
            if any(value_refers(getattr(regs, f.name)) for f in fields(Registers)):
                return True
    return False


def alternate_stack_search(kernel: StackKernel, task: drgn.Object,
                           cpus: set[int] | None = None) -> list[StackSearch]:
    """bt -E: the exception frames on each CPU's IRQ stack, then on its exception stacks."""
    wanted = [c for c in kernel.cpus if cpus is None or c in cpus]
    stacks = [(f"CPU {c} IRQ STACK:", kernel.irq_stacks[c], kernel.irq_stack_size)
              for c in wanted]
    stacks += [(f"CPU {c} {s.name} EXCEPTION STACK:", s.base, s.size)
               for c in wanted for s in kernel.exception_stacks[c]]
    result = []
    for title, base, size in stacks:
        walk = Walk(kernel, task, WalkOptions())
        walk.stkptr = base
        walk.on_exception_stack = kernel.exception_stack_of(base) is not None
        walk.search_eframes(walk.load(base, size))
        result.append(StackSearch(title, walk.entries))
    return result
