"""Plain text of mach, mach -m and mach -c (crash's x86_64_display_machine_stats,
x86_64_display_memmap and x86_64_display_cpu_data, x86_64.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.mach import CpuData, CpuStack, MachineStats, MemoryMap
from crashsh.render.plain import plain


def stack_line(stack: CpuStack) -> str:
    unavailable = "" if stack.available else " [unavailable]"
    offline = " [OFFLINE]" if stack.offline else ""
    return f"{f'CPU {stack.cpu}':>22}: {stack.base:016x}{unavailable}{offline}\n"


@plain.register
def _(m: MachineStats) -> Iterator[str]:
    yield f"          MACHINE TYPE: {m.machine}\n"
    yield f"           MEMORY SIZE: {m.memory_size}\n"
    hidden = f" [OFFLINE: {m.cpus_hidden}]" if m.cpus_hidden else ""
    yield f"                  CPUS: {m.cpus}{hidden}\n"
    if m.hypervisor is not None:
        yield f"            HYPERVISOR: {m.hypervisor}\n"
    yield f"       PROCESSOR SPEED: {f'{m.mhz} Mhz' if m.mhz else '(unknown)'}\n"
    yield f"                    HZ: {m.hz}\n"
    yield f"             PAGE SIZE: {m.page_size}\n"
    yield f"   KERNEL VIRTUAL BASE: {m.kernel_virtual_base:x}\n"
    yield f"   KERNEL VMALLOC BASE: {m.kernel_vmalloc_base:x}\n"
    yield f"   KERNEL VMEMMAP BASE: {m.kernel_vmemmap_base:x}\n"
    yield f"      KERNEL START MAP: {m.kernel_start_map:x}\n"
    yield f"   KERNEL MODULES BASE: {m.kernel_modules_base:x}\n"
    yield f"     KERNEL STACK SIZE: {m.kernel_stack_size}\n"
    yield f"        IRQ STACK SIZE: {m.irq_stack_size}\n"
    yield "            IRQ STACKS:\n"
    for stack in m.irq_stacks:
        yield stack_line(stack)
    for stacks in m.exception_stacks:
        yield f"{stacks.name:>11} STACK SIZE: {stacks.size}\n"
        yield f"{stacks.name + ' STACKS:':>23}\n"
        for stack in stacks.cpus:
            yield stack_line(stack)


@plain.register
def _(memory: MemoryMap) -> Iterator[str]:
    yield "      PHYSICAL ADDRESS RANGE         TYPE\n"
    for r in memory.ranges:
        yield f"{r.start:016x} - {r.end:016x}  {r.label}\n"


@plain.register
def _(data: CpuData) -> Iterator[str]:
    blank = "\n" if data.cpu else ""
    if data.text is None:
        yield f"{blank}CPU {data.cpu}: [OFFLINE]\n"
        return
    yield f"{blank}CPU {data.cpu}:\nstruct cpuinfo_x86 {data.text}\n"
