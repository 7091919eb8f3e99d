"""What a backtrace walk finds (data only; crashsh/render/bt.py prints it) and how it walks."""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsh.records import Address, Word

WORD = 8
STACK_END_MAGIC = 0x57AC6E9D


class StackError(Exception):
    """crash gives up on the task's trace with this message (printed as ``bt: message``),
    after the *entries* it has printed on the way."""

    def __init__(self, message: str, entries: list | None = None) -> None:
        super().__init__(message)
        self.entries = entries or []


# -- what a walk finds ---------------------------------------------------------------------------

@dataclass
class StackWord:
    """One word of stack data (bt -f), with its symbol or slab cache for bt -F."""

    address: Address
    value: Word
    symbol: str | None = None
    slab: str | None = None


@dataclass
class Frame:
    """One frame: the stack slot of a return address and the function it returns into."""

    level: int
    sp: Address
    pc: Address
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

    sp: Address
    pc: Address
    function: str
    offset: int
    module: str | None = None


@dataclass
class TextStart:
    """bt -t: where the search starts."""

    function: str | None
    pc: Address


@dataclass
class Registers:
    """A saved register set (all 64-bit words)."""

    rip: Word
    rsp: Word
    rflags: Word
    rax: Word
    rbx: Word
    rcx: Word
    rdx: Word
    rsi: Word
    rdi: Word
    rbp: Word
    r8: Word
    r9: Word
    r10: Word
    r11: Word
    r12: Word
    r13: Word
    r14: Word
    r15: Word
    orig_rax: Word
    cs: Word
    ss: Word

    @property
    def user_mode(self) -> bool:
        return bool(self.cs & 3)


@dataclass
class ExceptionFrame:
    """A saved register set (struct pt_regs) on a stack."""

    address: Address
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
    ip: Address | None = None  # -I: start at this text address
    sp: Address | None = None  # -S: start at this stack address


@dataclass(frozen=True)
class ExceptionStack:
    cpu: int
    index: int
    name: str
    base: Address
    size: int

    @property
    def top(self) -> int:
        return self.base + self.size


@dataclass
class StackSearch:
    """bt -E: the exception frames found on one IRQ or exception stack."""

    title: str
    frames: list[Entry]
