"""A walk's state: crash's struct bt_info for one task, and the stack being scanned."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING

import drgn

from crashsh.kernel import tasks
from crashsh.kernel.stack.records import WORD, Entry, ExceptionStack, StackError, WalkOptions

if TYPE_CHECKING:  # facts imports the frame sizing, which builds on this module
    from crashsh.kernel.stack.facts import StackKernel


class StackRegion:
    """The stack being scanned: its bounds and contents. A region read from an address on
    (a sleeping task's saved stack pointer, where crash's scan starts) reads the words below
    when they are first needed."""

    def __init__(self, base: int, top: int, read: Callable[[int, int], array],
                 first: int | None = None) -> None:
        self.base, self.top = base, top
        if first is None or not base <= first < top:
            first = base
        self.first = base + (first - base) // WORD * WORD
        self.read = read
        self._words = self.read_from(self.first)

    def read_from(self, address: int) -> array:
        try:
            return self.read(address, self.top - address)
        except drgn.FaultError:
            raise StackError(f"read of stack at {self.base:x} failed") from None

    @property
    def words(self) -> array:
        """Every word of the region, from its base."""
        if self.first > self.base:
            self._words, self.first = self.read_from(self.base), self.base
        return self._words

    def holds(self, address: int) -> bool:
        return self.base <= address < self.top

    def read_at(self, address: int) -> bool:
        """Whether the word at *address* was read already."""
        return self.first <= address < self.top

    def word_at(self, address: int) -> int:
        if address < self.first:
            return self.words[(address - self.base) // WORD]
        return self._words[(address - self.first) // WORD]

    def view(self, address: int) -> tuple[array, int]:
        """The words read so far and the index of *address* in them (reading the words below
        the first one read when *address* is there)."""
        if address < self.first:
            return self.words, (address - self.base) // WORD
        return self._words, (address - self.first) // WORD


class WalkState:
    """One task's trace: crash's struct bt_info state and the entries found so far."""

    def __init__(self, kernel: StackKernel, task: drgn.Object, options: WalkOptions) -> None:
        self.k = kernel
        self.task = task
        self.options = options
        self.context = tasks.context_of(task)
        self.address = self.context.address
        self.cpu = self.context.cpu
        self.stack_base = self.context.fields.stack
        self.entries: list[Entry] = []
        self.region: StackRegion | None = None
        self.stkptr = self.instptr = self.bptr = 0
        self.eframe_ip = self.frameptr = 0
        self.call_target: str | None = None
        # crash's bt->flags that matter here
        self.start = self.save_eframe_ip = self.exception_frame_flag = False
        self.framesize_disable = self.on_exception_stack = self.on_irq_stack = False
        self.eframe_search = False

    def load(self, base: int, size: int, first: int | None = None) -> StackRegion:
        return StackRegion(base, base + size, self.k.read_words, first)

    def process_region(self, first: int | None = None) -> StackRegion:
        """The task's own stack (read from *first* on, the rest when needed)."""
        return self.load(self.stack_base, self.k.thread_size, first)

    def slot(self, index: int) -> int:
        return self.region.base + index * WORD

    def in_exception_stack(self) -> ExceptionStack | None:
        return self.k.exception_stack_of(self.stkptr)

    def in_irqstack(self) -> int | None:
        return self.k.irq_stack_of(self.stkptr)
