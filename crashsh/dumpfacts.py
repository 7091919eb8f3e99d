"""What crashsh works out once per dump: its derived constants and the caches of the kernel and
toolchain helpers. One DumpFacts per drgn Program lives in the Program's own ``prog.cache``, so
it is dropped with its Program (a dump never changes, so nothing in it goes stale).

Helpers keep per-dump results with ``@per_dump`` (``make(prog)`` computed once per dump), never
with ``functools.cache`` (which keeps every Program alive) or dictionaries of their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import drgn

if TYPE_CHECKING:
    from crashsh.toolchain.btf import Btf
    from crashsh.toolchain.gdbvalues import KernelAddresses, MemoryReader, ValuePrinter
    from crashsh.toolchain.symtab import CrashSymbolTable

T = TypeVar("T")

MASK64 = (1 << 64) - 1  # x86_64 addresses and words
CACHE_KEY = "crashsh"
# x86_64 without CONFIG_DYNAMIC_MEMORY_LAYOUT: the fixed 4-level direct map
FIXED_PAGE_OFFSET = 0xFFFF888000000000


class DumpFacts:
    """Derived constants of one dump, each worked out once, and the helpers' per-dump results."""

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        self.made: dict[Callable[[drgn.Program], Any], Any] = {}
        self.symbol_addresses: dict[str, int | None] = {}

    def once(self, make: Callable[[drgn.Program], T]) -> T:
        """``make(prog)``, made on first use."""
        try:
            return self.made[make]
        except KeyError:
            value = self.made[make] = make(self.prog)
            return value

    def symbol_address(self, name: str) -> int | None:
        """The address of the ELF symbol *name* (None: no such symbol), kept: drgn searches
        the symbol table for each ``prog.symbol(name)``, about a millisecond."""
        if name not in self.symbol_addresses:
            try:
                self.symbol_addresses[name] = self.prog.symbol(name).address
            except LookupError:
                self.symbol_addresses[name] = None
        return self.symbol_addresses[name]

    @cached_property
    def page_shift(self) -> int:
        return self.prog["PAGE_SHIFT"].value_()

    @cached_property
    def page_size(self) -> int:
        return 1 << self.page_shift

    @cached_property
    def page_offset(self) -> int:
        """The start of the direct map (crash's PAGE_OFFSET; IS_KVADDR is at or above it)."""
        try:
            return self.prog["page_offset_base"].value_()
        except KeyError:
            return FIXED_PAGE_OFFSET

    @cached_property
    def crashed_task(self) -> drgn.Object | None:
        """The task that crashed (``struct task_struct *``); None on a live system or a dump
        without one."""
        try:
            return self.prog.crashed_thread().object
        except (ValueError, LookupError):
            return None

    @cached_property
    def panic_task(self) -> drgn.Object:
        """crash's panic task: the task that crashed, else CPU 0's current task."""
        if self.crashed_task is not None:
            return self.crashed_task
        from drgn.helpers.linux.sched import cpu_curr

        return cpu_curr(self.prog, 0)

    @cached_property
    def symtab(self) -> CrashSymbolTable:
        """crash's symbol table (vmlinux .symtab plus modules), built on first use."""
        from crashsh.kernel.modtables import module_tables
        from crashsh.toolchain.symtab import CrashSymbolTable

        return CrashSymbolTable(self.prog, module_tables)

    @cached_property
    def vmlinux_btf(self) -> Btf | None:
        """vmlinux's .BTF type catalogue, read once (None without one)."""
        from crashsh.toolchain.btf import read_btf

        path = self.prog.main_module().debug_file_path
        return read_btf(path) if path else None

    @cached_property
    def kernel_addresses(self) -> KernelAddresses:
        """What crash's gdb says about an address: its symbol and the string there."""
        from crashsh.toolchain.gdbvalues import KernelAddresses

        return KernelAddresses(self.prog, self.symtab, self.page_offset, self.page_size)

    @cached_property
    def memory_reader(self) -> MemoryReader:
        """gdb's quiet reader of kernel memory (crash's gdb_readmem_callback)."""
        from crashsh.toolchain.gdbvalues import MemoryReader

        return MemoryReader(self.prog, self.page_offset)

    @cached_property
    def value_printers(self) -> dict[int, ValuePrinter]:
        """gdb's value printer for each output radix, sharing one view of kernel addresses."""
        from crashsh.toolchain.gdbvalues import ValuePrinter

        symbol = self.kernel_addresses.symbol
        return {radix: ValuePrinter(self.prog, symbol, self.memory_reader, radix)
                for radix in (10, 16)}

    @cached_property
    def format_printers(self) -> dict[str, ValuePrinter]:
        return {}

    def format_printer(self, letter: str) -> ValuePrinter:
        """gdb's value printer for ``print/LETTER``, made on first use."""
        from crashsh.toolchain.gdbvalues import ValuePrinter

        printers = self.format_printers
        if letter not in printers:
            printers[letter] = ValuePrinter(self.prog, self.kernel_addresses.symbol,
                                            self.memory_reader, 10, letter)
        return printers[letter]


def facts(prog: drgn.Program) -> DumpFacts:
    """The DumpFacts of *prog*, made on first use."""
    try:
        return prog.cache[CACHE_KEY]
    except KeyError:
        made = prog.cache[CACHE_KEY] = DumpFacts(prog)
        return made


def per_dump(make: Callable[[drgn.Program], T]) -> Callable[[drgn.Program], T]:
    """Decorator: ``make(prog)`` is computed once per dump and kept in its DumpFacts."""

    @functools.wraps(make)
    def once(prog: drgn.Program) -> T:
        return facts(prog).once(make)

    return once
