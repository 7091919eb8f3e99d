"""Each CPU's IRQ stack and exception (IST) stacks, as crash finds them (x86_64.c)."""

from __future__ import annotations

from functools import cached_property
from itertools import takewhile

import drgn
from drgn.helpers.linux.cpumask import for_each_present_cpu
from drgn.helpers.linux.percpu import per_cpu_ptr

from crashsh.intervals import Ranges
from crashsh.kernel.irq import gate_address
from crashsh.kernel.stack.records import WORD, ExceptionStack

MAX_EXCEPTION_STACKS = 7
TSS_SYMBOLS = ("cpu_tss_rw", "cpu_tss", "init_tss")
# IDT handler name fragments -> crash's exception stack names (later matches win)
IST_NAMES = (("nmi", "NMI"), ("debug", "DEBUG"), ("stack", "STACKFAULT"),
             ("double", "DOUBLEFAULT"), ("machine", "MCE"), ("vmm", "VC"))
IST_STACK_MEMBERS = {"DEBUG": "DB_stack", "NMI": "NMI_stack", "DOUBLEFAULT": "DF_stack",
                     "MCE": "MCE_stack", "VC": "VC_stack"}


class CpuStacks:
    """The per-CPU stacks of a dump (part of StackKernel, which provides ``prog``,
    ``closest_symbol``, ``read_words`` and ``accessible``)."""

    prog: drgn.Program

    @cached_property
    def cpus(self) -> list[int]:
        return list(for_each_present_cpu(self.prog))

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
            handler = gate_address(low, high)
            name = self.closest_symbol(handler) or ""
            for fragment, label in IST_NAMES:
                if fragment in name:
                    names[ist - 1] = label
        return names

    @cached_property
    def ist_sizes(self) -> list[int]:
        """Each IST slot's stack size (0 for a slot crash cannot name)."""
        try:
            layout = self.prog.type("struct cea_exception_stacks")
        except LookupError:  # before 5.2 the stacks had no guard pages
            layout = self.prog.type("struct exception_stacks")
        return [drgn.sizeof(layout.member(IST_STACK_MEMBERS[n]).type)
                if n in IST_STACK_MEMBERS else 0 for n in self.exception_stack_names]

    @cached_property
    def ist_slots(self) -> dict[int, list[tuple[ExceptionStack, bool]]]:
        """Per CPU, every IST slot up to the first empty one, with whether its stack is
        mapped (crash's stkinfo.ebase and .available)."""
        names, sizes = self.exception_stack_names, self.ist_sizes
        tss = next(self.prog[name] for name in TSS_SYMBOLS if name in self.prog)
        result = {}
        for cpu in self.cpus:
            tops = per_cpu_ptr(tss.address_of_(), cpu).x86_tss.ist
            slots = []
            for i in range(MAX_EXCEPTION_STACKS):
                top = tops[i].value_()
                if not top:
                    break
                stack = ExceptionStack(cpu, i, names[i], top - sizes[i], sizes[i])
                slots.append((stack, self.accessible(stack.base)))
            result[cpu] = slots
        return result

    @cached_property
    def exception_stacks(self) -> dict[int, list[ExceptionStack]]:
        """Per CPU, the IST stacks in slot order, up to the first missing or unmapped one."""
        return {cpu: [stack for stack, _ in takewhile(lambda slot: slot[1], slots)]
                for cpu, slots in self.ist_slots.items()}

    @cached_property
    def exception_stack_ranges(self) -> Ranges[ExceptionStack]:
        return Ranges((s.base, s.top, s) for stacks in self.exception_stacks.values()
                      for s in stacks)

    @cached_property
    def irq_stack_ranges(self) -> Ranges[int]:
        return Ranges((base, base + self.irq_stack_size, base)
                      for base in self.irq_stacks.values())

    def exception_stack_of(self, address: int) -> ExceptionStack | None:
        return self.exception_stack_ranges.find(address)

    def irq_stack_of(self, address: int) -> int | None:
        return self.irq_stack_ranges.find(address)

    def in_alternate_stack(self, cpu: int, address: int) -> bool:
        """In one of the CPU's IRQ or exception stacks."""
        base = self.irq_stacks.get(cpu)
        if base is not None and base <= address < base + self.irq_stack_size:
            return True
        return any(s.base <= address < s.top for s in self.exception_stacks.get(cpu, []))
