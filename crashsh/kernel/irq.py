"""Interrupts as crash reads them (kernel.c, x86_64.c): the irq descriptors and their actions,
per-CPU counts and affinity, the softirq vector and the x86 IDT."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.cpumask import for_each_cpu
from drgn.helpers.linux.irq import for_each_irq_desc, irq_desc_affinity_mask, irq_desc_kstat_cpu

from crashsh.dumpfacts import per_dump
from crashsh.kernel.paths import read_string
from crashsh.records import Address

IDT_VECTORS = 256
GATE_SIZE = 16  # x86_64 gate_desc


def irq_count(prog: drgn.Program) -> int:
    """crash's machdep->nr_irqs: the irq_desc array's length, else ``nr_irqs``, else 224."""
    try:
        return len(prog["irq_desc"])
    except KeyError:
        pass
    try:
        return prog["nr_irqs"].value_()
    except KeyError:
        return 224


@per_dump
def irq_descs(prog: drgn.Program) -> dict[int, drgn.Object]:
    """IRQ number -> ``struct irq_desc *`` for every allocated descriptor (the irq_desc array,
    the radix tree before 6.5, the maple tree since)."""
    try:
        table = prog["irq_desc"]
    except KeyError:
        return dict(for_each_irq_desc(prog))
    return {irq: table[irq].address_of_() for irq in range(len(table))}


@dataclass
class IrqAction:
    """An irqaction: its address and name (null when crash reads no name)."""

    address: Address
    name: str | None


def irq_actions(desc: drgn.Object) -> list[IrqAction]:
    """The actions chained from ``desc->action``."""
    found = []
    action = desc.action.read_()
    while action:
        name = action.name.value_()
        found.append(IrqAction(action.value_(), (read_string(desc.prog_, name) or None)
                               if name else None))
        action = action.next.read_()
    return found


def affinity_cpus(desc: drgn.Object) -> list[int]:
    return list(for_each_cpu(irq_desc_affinity_mask(desc)))


def kstat_count(desc: drgn.Object, cpu: int) -> int:
    """The interrupt's count on *cpu* (crash reads the per-CPU word at ``kstat_irqs``)."""
    return irq_desc_kstat_cpu(desc, cpu) & 0xFFFFFFFF


def chip_and_flow(desc: drgn.Object) -> tuple[str | None, str | None]:
    """The irq_chip's name and the descriptor's flow name ("edge", "fasteoi"), each None
    where crash reads no string."""
    prog = desc.prog_
    chip = desc.irq_data.chip.read_()
    chip_name = None
    if chip:
        try:
            name = chip.name.value_()
        except drgn.FaultError:
            name = 0
        chip_name = (read_string(prog, name) or None) if name else None
    flow = desc.name.value_()
    return chip_name, (read_string(prog, flow) or None) if flow else None


def gate_address(low: int, high: int) -> int:
    """The handler of an x86_64 gate descriptor given as its two words."""
    return (high << 32) & 0xFFFFFFFF00000000 | low & 0xFFFF | (low >> 32) & 0xFFFF0000


def idt_handlers(prog: drgn.Program) -> list[int]:
    """The handler address of each of the IDT's 256 gates, read in one block."""
    address = prog.symbol("idt_table").address
    words = struct.unpack(f"<{2 * IDT_VECTORS}Q", prog.read(address, GATE_SIZE * IDT_VECTORS))
    return [gate_address(words[2 * i], words[2 * i + 1]) for i in range(IDT_VECTORS)]


def softirq_actions(prog: drgn.Program) -> list[int]:
    """Each ``softirq_vec[i].action``."""
    return [vec.action.value_() for vec in prog["softirq_vec"]]
