"""mach: machine-specific data (crash's x86_64_cmd_mach: the machine's figures and stacks,
-m the BIOS (e820) memory map, -c each CPU's cpuinfo_x86)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.percpu import per_cpu

from crashsh.errors import CommandError
from crashsh.kernel import system, tasks
from crashsh.kernel.stack import stack_kernel
from crashsh.kernel.vmcoreinfo import vmcoreinfo_entry
from crashsh.parsing import CommandParser, Ordered
from crashsh.records import LAYOUT, Address
from crashsh.registry import command

START_KERNEL_MAP = 0xFFFFFFFF80000000
GIGABYTE = 1 << 30
# crash's e820type[] (x86_64.c), then the types it names apart
E820_TYPES = ("(invalid type)", "E820_RAM", "E820_RESERVED", "E820_ACPI", "E820_NVS",
              "E820_UNUSABLE")
E820_OTHER = {12: "E820_PRAM", 128: "E820_RESERVED_KERN"}


@dataclass
class CpuStack:
    """One CPU's stack of a kind: its base, whether it is mapped, whether the CPU is a
    hidden offline one (`set offline hide`)."""

    cpu: int
    base: Address
    available: bool = True
    offline: bool = False


@dataclass
class ExceptionStacks:
    """One IST slot's stacks: crash's name for it (from the IDT), size and per-CPU bases."""

    name: str
    size: int
    cpus: list[CpuStack]


@dataclass
class MachineStats:
    """`mach`: the machine's figures, as crash's x86_64_display_machine_stats() lists them."""

    machine: str
    memory_size: str
    cpus: int
    cpus_hidden: int
    hypervisor: str | None
    mhz: int
    hz: int
    page_size: int
    kernel_virtual_base: Address
    kernel_vmalloc_base: Address
    kernel_vmemmap_base: Address
    kernel_start_map: Address
    kernel_modules_base: Address
    kernel_stack_size: int
    irq_stack_size: int
    irq_stacks: list[CpuStack]
    exception_stacks: list[ExceptionStacks]


@dataclass
class MemoryRange:
    """One e820 entry: [start, end) and its type (``label`` is crash's name for it)."""

    start: Address
    end: Address
    type: int
    label: str = field(metadata=LAYOUT)


@dataclass
class MemoryMap:
    """`mach -m`: the e820 table the kernel booted with."""

    ranges: list[MemoryRange]


@dataclass
class CpuData:
    """`mach -c`: one CPU's ``struct cpuinfo_x86`` as gdb prints it (None: offline, hidden)."""

    cpu: int
    address: Address
    text: str | None


MACH_HELP = """\
The machine the dump was taken on. Without options: architecture, memory size, CPU count,
processor speed, HZ, page size, the kernel's virtual memory bases, and each CPU's IRQ stack
and exception (IST) stacks; a stack that is not mapped in the dump is marked [unavailable].
-m lists the BIOS memory map (e820) the kernel booted with; -c prints each CPU's
struct cpuinfo_x86, in the output radix unless -x or -d is given.
"""
MACH_EXAMPLES = """\
examples:
  mach -m          the physical memory map:
          PHYSICAL ADDRESS RANGE         TYPE
    0000000000000000 - 0000000000001000  E820_RESERVED
    0000000000001000 - 000000000009fc00  E820_RAM
    0000000000100000 - 000000003ffd7000  E820_RAM
  mach -c -x       every CPU's struct cpuinfo_x86 in hexadecimal:
    CPU 0:
    struct cpuinfo_x86 {
      x86 = 0xf,
      x86_vendor = 0x2,
  mach             the figures and stacks, starting:
              MACHINE TYPE: x86_64
               MEMORY SIZE: 1 GB
                      CPUS: 2
"""


def mach_parser() -> CommandParser:
    p = CommandParser("mach", MACH_HELP, epilog=MACH_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", dest="order", action=Ordered, nargs=0, default=[],
                   help="each CPU's struct cpuinfo_x86")
    p.add_argument("-m", dest="order", action=Ordered, nargs=0,
                   help="the physical memory map (e820)")
    p.add_argument("-x", dest="order", action=Ordered, nargs=0,
                   help="with -c: hexadecimal output")
    p.add_argument("-d", dest="order", action=Ordered, nargs=0, help="with -c: decimal output")
    return p


@command("mach", "machine specific data", mach_parser, synopsis="[-m | -c -[xd] | -o]")
def run_mach(session, args):
    """As crash's getopt loop: -m prints as it is read, -c after all options."""
    radix = 0
    records: list = []
    for option, _ in args.order:
        if option == "-m":
            records.append(memory_map(session.prog))
        elif option in ("-x", "-d"):
            wanted = 16 if option == "-x" else 10
            if radix and radix != wanted:
                raise CommandError("-d and -x are mutually exclusive")
            radix = wanted
    options = {option for option, _ in args.order}
    if "-c" in options:
        records.extend(cpu_data(session, radix or session.settings.radix))
    elif "-m" not in options:
        records.append(machine_stats(session))
    return records


def hidden_cpus(session) -> set[int]:
    """The CPUs crash leaves out: the offline ones after `set offline hide`."""
    if session.settings.offline_shown:
        return set()
    prog = session.prog
    return set(tasks.present_cpus(prog)) - set(tasks.online_cpus(prog))


def machine_stats(session) -> MachineStats:
    prog = session.prog
    cpus = tasks.present_cpus(prog)
    hidden = hidden_cpus(session)
    kernel = stack_kernel(prog)
    irq_stacks = [CpuStack(cpu, kernel.irq_stacks[cpu], True, cpu in hidden) for cpu in cpus]
    exception_stacks = []
    first = kernel.ist_slots.get(cpus[0], []) if cpus else []
    for index, (stack, _) in enumerate(first):
        per_cpu_stacks = []
        for cpu in cpus:
            slots = kernel.ist_slots[cpu]
            if index >= len(slots):
                break
            other, available = slots[index]
            per_cpu_stacks.append(CpuStack(cpu, other.base, available, cpu in hidden))
        exception_stacks.append(ExceptionStacks(stack.name, stack.size, per_cpu_stacks))
    image_size = vmcoreinfo_entry(prog, "NUMBER(KERNEL_IMAGE_SIZE)")
    return MachineStats(
        machine=system.uts_field(prog, "machine"),
        memory_size=system.memory_size(prog),
        cpus=len(cpus),
        cpus_hidden=len(hidden),
        hypervisor=hypervisor(prog),
        mhz=system.cpu_mhz(prog),
        hz=system.hz(prog),
        page_size=prog["PAGE_SIZE"].value_(),
        kernel_virtual_base=prog["page_offset_base"].value_(),
        kernel_vmalloc_base=prog["vmalloc_base"].value_(),
        kernel_vmemmap_base=prog["vmemmap_base"].value_(),
        kernel_start_map=START_KERNEL_MAP,
        kernel_modules_base=START_KERNEL_MAP + (int(image_size) if image_size else GIGABYTE),
        kernel_stack_size=tasks.thread_size(prog),
        irq_stack_size=kernel.irq_stack_size,
        irq_stacks=irq_stacks,
        exception_stacks=exception_stacks,
    )


def hypervisor(prog: drgn.Program) -> str | None:
    """crash's kt->hypervisor from pv_info.name; None for bare hardware or none named."""
    try:
        name = prog["pv_info"].name.string_().decode(errors="replace")
    except (LookupError, AttributeError, drgn.FaultError):
        return None
    return None if name in ("bare hardware", "(undetermined)") else name


def memory_map(prog: drgn.Program) -> MemoryMap:
    """The e820 table (``e820_table`` since 4.14; ``e820`` before it)."""
    try:
        table = prog["e820_table"]
    except KeyError:
        try:
            table = prog["e820"]
        except KeyError:
            raise CommandError("neither e820 or e820_table symbols exist") from None
    if table.type_.kind == drgn.TypeKind.POINTER:
        table = table[0]
    layout = table.type_
    count_member = "nr_entries" if layout.has_member("nr_entries") else "nr_map"
    entries = table.entries if layout.has_member("entries") else table.map
    ranges = []
    for i in range(table.member_(count_member).value_()):
        entry = entries[i]
        start, size, kind = entry.addr.value_(), entry.size.value_(), entry.type.value_()
        label = E820_TYPES[kind] if kind < len(E820_TYPES) else E820_OTHER.get(kind, f"type {kind}")
        ranges.append(MemoryRange(start, start + size, kind, label))
    return MemoryMap(ranges)


def cpu_data(session, radix: int) -> list[CpuData]:
    """Each CPU's per-CPU cpu_info, printed by gdb in *radix*."""
    prog = session.prog
    hidden = hidden_cpus(session)
    printer = session.value_printer(radix)
    result = []
    for cpu in tasks.present_cpus(prog):
        info = per_cpu(prog["cpu_info"], cpu)
        text = None if cpu in hidden else printer.format(info.type_, info.address_)
        result.append(CpuData(cpu, info.address_, text))
    return result
