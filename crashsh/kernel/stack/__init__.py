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

records: the entries and options; facts, cpustacks: per-dump facts (StackKernel); state, start,
eframes, report, framesize, walk: the walk, one crash function family per module.
"""

from __future__ import annotations

from dataclasses import fields

import drgn

from crashsh.kernel.stack.facts import StackKernel, stack_kernel
from crashsh.kernel.tasks import context_of
from crashsh.kernel.stack.records import (
    STACK_END_MAGIC,
    WORD,
    Entry,
    ExceptionFrame,
    Frame,
    Note,
    Registers,
    StackError,
    StackSearch,
    StackSwitch,
    StackWord,
    TextStart,
    TextSymbol,
    WalkOptions,
)
from crashsh.kernel.stack.walk import Walk

__all__ = [
    "STACK_END_MAGIC", "WORD", "Entry", "ExceptionFrame", "Frame", "Note", "StackError",
    "StackKernel", "StackSearch", "StackSwitch", "StackWord", "TextStart", "TextSymbol",
    "WalkOptions", "alternate_stack_search", "backtrace", "exception_frame_search", "has_stack",
    "mentions", "stack_kernel",
]


def has_stack(task: drgn.Object) -> bool:
    """False for a task that has released its stack (a reaped zombie): crash's "(no stack)"."""
    return bool(context_of(task).fields.stack)


def backtrace(kernel: StackKernel, task: drgn.Object, options: WalkOptions) -> list[Entry]:
    """crash's bt of one task that has a stack: frames, exception frames, stack switches.

    Raises StackError where crash gives up on the task (the message says why; its entries
    are those found before).
    """
    walk = Walk(kernel, task, options)
    try:
        return walk.run()
    except StackError as e:
        raise StackError(str(e), walk.entries) from None


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
