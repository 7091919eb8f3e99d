"""A walk's state: crash's struct bt_info for one task, and the stack being scanned."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING

import drgn

from crashsh.kernel import tasks
from crashsh.kernel.stack.records import WORD, Entry, ExceptionStack, StackError, WalkOptions
from crashsh.records import Address

if TYPE_CHECKING:  # facts imports the frame sizing, which builds on this module
    from crashsh.kernel.stack.facts import StackKernel


@dataclass
class StackRegion:
    """The stack being scanned: its bounds and contents."""

    base: Address
    top: Address
    words: array

    def holds(self, address: int) -> bool:
        return self.base <= address < self.top

    def word_at(self, address: int) -> int:
        return self.words[(address - self.base) // WORD]


class WalkState:
    """One task's trace: crash's struct bt_info state and the entries found so far."""

    def __init__(self, kernel: StackKernel, task: drgn.Object, options: WalkOptions) -> None:
        self.k = kernel
        self.task = task
        self.options = options
        self.address = task.value_()
        self.cpu = tasks.cpu_of(task)
        self.stack_base = task.stack.value_()
        self.entries: list[Entry] = []
        self.region: StackRegion | None = None
        self.stkptr = self.instptr = self.bptr = 0
        self.eframe_ip = self.frameptr = 0
        self.call_target: str | None = None
        # crash's bt->flags that matter here
        self.start = self.save_eframe_ip = self.exception_frame_flag = False
        self.framesize_disable = self.on_exception_stack = self.on_irq_stack = False
        self.eframe_search = False

    def load(self, base: int, size: int) -> StackRegion:
        try:
            return StackRegion(base, base + size, self.k.read_words(base, size))
        except drgn.FaultError:
            raise StackError(f"read of stack at {base:x} failed") from None

    def process_region(self) -> StackRegion:
        return self.load(self.stack_base, self.k.thread_size)

    def slot(self, index: int) -> int:
        return self.region.base + index * WORD

    def in_exception_stack(self) -> ExceptionStack | None:
        return self.k.exception_stack_of(self.stkptr)

    def in_irqstack(self) -> int | None:
        return self.k.irq_stack_of(self.stkptr)
