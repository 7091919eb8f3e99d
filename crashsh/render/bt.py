"""Plain text of bt (crash's x86_64_print_stack_entry, x86_64_exception_frame,
x86_64_display_full_frame, print_task_header), and of the crashsh extra bt --group."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.bt import (BtListing, BtStyle, ForeachTrace, StackGroups,
                                 StackOverflowReport, StackSearchListing, TaskTrace)
from crashsh.commands.memory import MemoryDisplay
from crashsh.conventions.notices import Notice
from crashsh.kernel.stack import (Entry, ExceptionFrame, Frame, Note, StackSwitch, StackWord,
                                  TextStart, TextSymbol)
from crashsh.render.common import task_header_line
from crashsh.render.plain import plain

REGISTERS_TEXT = (  # a pt_regs as crash prints it
    "    RIP: {rip:016x}  RSP: {rsp:016x}  RFLAGS: {rflags:08x}\n"
    "    RAX: {rax:016x}  RBX: {rbx:016x}  RCX: {rcx:016x}\n"
    "    RDX: {rdx:016x}  RSI: {rsi:016x}  RDI: {rdi:016x}\n"
    "    RBP: {rbp:016x}   R8: {r8:016x}   R9: {r9:016x}\n"
    "    R10: {r10:016x}  R11: {r11:016x}  R12: {r12:016x}\n"
    "    R13: {r13:016x}  R14: {r14:016x}  R15: {r15:016x}\n"
    "    ORIG_RAX: {orig_rax:016x}  CS: {cs:04x}  SS: {ss:04x}\n"
)
GROUP_WIDTH = 80


def symbol_text(function: str, offset: int, hex_offset: bool) -> str:
    if not offset:
        return function
    return f"{function}+0x{offset:x}" if hex_offset else f"{function}+{offset}"


def name_text(style: BtStyle, function: str, offset: int) -> str:
    """A frame's name; with -s, name+offset in decimal (hex with -x)."""
    return symbol_text(function, offset, style.hex_offsets) if style.symbol_offsets else function


def line_text(file: str | None, line: int | None) -> str:
    return f"    {file}: {line}\n" if file else ""


def word_text(style: BtStyle, word: StackWord) -> str:
    """crash's format_stack_entry(): hex, or with -F the symbol or [slab cache]."""
    if style.full >= 2 and word.symbol:
        return f"{word.symbol:<16}"
    if style.full >= 2 and word.slab:
        slab = f"[{word.value:x}:{word.slab}]" if style.full >= 3 else f"[{word.slab}]"
        return f"{slab:<16}"
    return f"{word.value:016x}"


def stack_data_text(style: BtStyle, words: list[StackWord]) -> str:
    """Two words per line, each followed by a space."""
    return "".join(f"    {words[i].address:x}: "
                   + "".join(word_text(style, w) + " " for w in words[i:i + 2]) + "\n"
                   for i in range(0, len(words), 2))


def frame_text(style: BtStyle, frame: Frame) -> str:
    module = f" [{frame.module}]" if frame.module else ""
    unknown = " *" if frame.size_unknown else ""
    text = (f"{' ' if frame.level < 10 else ''}#{frame.level} [{frame.sp:8x}] "
            f"{name_text(style, frame.function, frame.offset)} at {frame.pc:x}{module}{unknown}\n")
    if frame.stack_data:
        text = stack_data_text(style, frame.stack_data) + text
    if style.line_numbers:
        text += line_text(frame.file, frame.line)
    return text


def exception_frame_text(style: BtStyle, frame: ExceptionFrame) -> str:
    regs = frame.registers
    text = ""
    if frame.search:
        mode = "USER" if regs.user_mode else "KERNEL"
        text += f"\n  {mode}-MODE EXCEPTION FRAME AT: {frame.address:x}\n"
    if not regs.user_mode:
        rip = frame.rip_note if frame.function is None else \
            symbol_text(frame.function, frame.offset, style.radix == 16)
        text += f"    [exception RIP: {rip}]\n"
    text += REGISTERS_TEXT.format(**vars(regs))
    if style.line_numbers and not regs.user_mode and frame.function is not None:
        text += line_text(frame.file, frame.line)
    return text


def text_symbol_text(style: BtStyle, entry: TextSymbol) -> str:
    module = f" [{entry.module}]" if entry.module else ""
    return (f"  [{entry.sp:16x}] {name_text(style, entry.function, entry.offset)} "
            f"at {entry.pc:x}{module}\n")


ENTRY_TEXT = {  # an entry's type -> its text
    Frame: frame_text,
    TextSymbol: text_symbol_text,
    TextStart: lambda style, entry: f"{'':14}START: {entry.function or ''} at {entry.pc:x}\n",
    ExceptionFrame: exception_frame_text,
    StackSwitch: lambda style, entry: f"--- <{entry.stack}> ---\n",
    Note: lambda style, entry: entry.text + "\n",
}


def entries_text(style: BtStyle, entries: list[Entry]) -> str:
    """The text of a walk's entries, as one string."""
    return "".join([ENTRY_TEXT[type(entry)](style, entry) for entry in entries])


def trace_lines(style: BtStyle, trace: TaskTrace, header: bool = True) -> Iterator[str]:
    if header:
        yield task_header_line(trace.header) + "\n"
    if trace.raw is not None:
        yield from plain(MemoryDisplay(64, "hex", False, iter(trace.raw)))
    if trace.no_stack:
        yield "(no stack)\n"
    yield entries_text(style, trace.entries)
    if trace.error:
        yield f"bt: {trace.error}\n"


@plain.register
def _(item: ForeachTrace) -> Iterator[str]:
    yield from trace_lines(item.style, item.trace, header=False)


@plain.register
def _(listing: BtListing) -> Iterator[str]:
    if listing.style.reference:
        yield from reference_lines(listing)
        return
    for i, item in enumerate(listing.traces):
        if i:
            yield "\n"  # crash's print_task_header() newline, also before a later message
        if isinstance(item, Notice):
            yield item.text()
        else:
            yield from trace_lines(listing.style, item)


def reference_lines(listing: BtListing) -> Iterator[str]:
    """bt -R: each trace that refers to the reference, then a blank line; a task without a
    stack or whose trace failed shows only that."""
    for item in listing.traces:
        if isinstance(item, Notice):
            yield item.text()
        elif item.no_stack:
            yield "(no stack)\n"
        elif item.error:
            yield f"bt: {item.error}\n"
        else:
            yield from trace_lines(listing.style, item)
            yield "\n"


@plain.register
def _(listing: StackSearchListing) -> Iterator[str]:
    for search in listing.stacks:
        yield search.title + "\n"
        yield entries_text(listing.style, search.frames)
        yield "\n" if search.frames else "(none found)\n\n"


@plain.register
def _(report: StackOverflowReport) -> Iterator[str]:
    for error in report.errors:
        yield f"bt: {error}\n"
    for found in report.overflows:
        yield task_header_line(found.header) + "\n"
        yield (f"  possible stack overflow: {found.location:x}: {found.value:x} "
               "!= STACK_END_MAGIC\n\n")
    if not report.overflows:
        yield "No stack overflows detected\n"


@plain.register
def _(grouped: StackGroups) -> Iterator[str]:
    """Each group: "N TASKS:" and the pids (wrapped), then its frames as crash -s names them."""
    for i, group in enumerate(grouped.groups):
        if i:
            yield "\n"
        count = len(group.pids)
        line = f"{count} TASK{'S' if count > 1 else ''}:"
        for pid in group.pids:
            if len(line) + 1 + len(str(pid)) > GROUP_WIDTH:
                yield line + "\n"
                line = "   "
            line += f" {pid}"
        yield line + "\n"
        level = 0
        for frame in group.frames:
            if frame.startswith(("---", "(")):
                yield f"{frame}\n"
                continue
            yield f"{' ' if level < 10 else ''}#{level} {frame}\n"
            level += 1
