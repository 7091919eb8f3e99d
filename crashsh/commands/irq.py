"""irq: interrupt descriptors and actions, affinity, per-CPU counts, softirqs and the IDT
(crash's cmd_irq and the generic_* functions of kernel.c, x86_64_display_idt_table)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import cpu_list, dtoi
from crashsh.conventions.usage import usage_error
from crashsh.dumpfacts import facts
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import irq as irqs
from crashsh.kernel import memmap, tasks
from crashsh.kernel.irq import IrqAction
from crashsh.parsing import CommandParser, Ordered
from crashsh.records import LAYOUT, Address
from crashsh.registry import command


@dataclass
class IrqRow:
    """`irq`: an IRQ, its descriptor (0: none) and its actions."""

    irq: int
    desc: Address
    actions: list[IrqAction]
    first: bool = field(default=False, metadata=LAYOUT)  # the header goes first


@dataclass
class IrqAffinity:
    """`irq -a`: an IRQ with actions: their names and the CPUs of its affinity mask."""

    irq: int
    names: list[str]
    cpus: list[int]


@dataclass
class IrqAffinities:
    rows: list[IrqAffinity]
    ncpus: int = field(default=1, metadata=LAYOUT)


@dataclass
class IrqStat:
    """`irq -s`: an IRQ with actions, its count on each shown CPU, its irq_chip's name and
    flow name (null where crash reads none) and its actions' names."""

    irq: int
    counts: list[int]
    chip: str | None
    flow: str | None
    names: list[str]


@dataclass
class IrqStats:
    """`irq -s [-c cpus]`: the shown CPUs (chosen and online) and a row per IRQ in use."""

    cpus: list[int]
    rows: list[IrqStat]
    notices: list[Notice] = field(default_factory=list)


@dataclass
class SoftirqVector:
    """`irq -b`: a softirq vector's action, its symbol and module (null for vmlinux)."""

    vector: int
    action: Address
    symbol: str | None
    module: str | None


@dataclass
class Softirqs:
    vectors: list[SoftirqVector]


@dataclass
class IdtEntry:
    """`irq -d`: an IDT vector's handler and crash's name for it."""

    vector: int
    handler: Address
    name: str


@dataclass
class IdtTable:
    entries: list[IdtEntry]


IRQ_HELP = """\
Interrupts. Without options: every IRQ number below nr_irqs with its irq_desc and the
irqaction chain (address and name); with index arguments only those IRQs. The options show
instead: the IRQs with a descriptor (-u), the CPU affinity (-a) or per-CPU counts (-s, like
/proc/interrupts) of the IRQs in use, the softirq vector (-b) or the x86 IDT (-d). -d, -b and
-a act at once where they appear, as in crash.
"""
IRQ_EXAMPLES = """\
examples:
  irq 1 4          two IRQs:
     IRQ   IRQ_DESC/_DATA      IRQACTION      NAME
      1   ffff8d1bc1159e00  ffff8d1bc2552c00  "i8042"
      4   ffff8d1bc1159200  ffff8d1bc1aa2700  "ttyS0"
  irq -s -c 1      CPU 1's count of each IRQ in use:
               CPU1
      0:          0  IO-APIC-edge     timer
      1:          9  IO-APIC-edge     i8042
"""


def irq_parser() -> CommandParser:
    p = CommandParser("irq", IRQ_HELP, epilog=IRQ_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, text in (("-d", "the interrupt descriptor table (IDT)"),
                       ("-b", "the softirq vector (bottom halves)"),
                       ("-u", "only the IRQs that have a descriptor"),
                       ("-a", "the CPU affinity of the IRQs in use"),
                       ("-s", "each CPU's count of each IRQ in use")):
        p.add_argument(flag, dest="options", action=Ordered, nargs=0, help=text)
    p.add_argument("-c", dest="options", action=Ordered, metavar="CPUS",
                   help='with -s: only these CPUs ("1,3,5", "1-3", "all")')
    p.add_argument("irqs", nargs="*", metavar="index", help="IRQ numbers")
    p.set_defaults(options=[])
    return p


@command("irq", "IRQ data", irq_parser,
         synopsis="[[[index ...] | -u ] | -d | -b | -a | -s [-c cpu]]")
def run_irq(session, args):
    prog = session.prog
    dash = next((word for word in args.irqs if word.startswith("-") and len(word) > 1), None)
    if dash is not None:  # argparse takes "-1" for a number; crash's getopt for an option
        raise UsageError(f"invalid option -- '{dash[1]}'", "")
    described_only = stats = False
    cpuspec = None
    for option, value in args.options:  # -d, -b and -a act as crash's getopt meets them
        if option == "-d":
            return idt(session)
        if option == "-b":
            return softirqs(session)
        if option == "-a":
            return affinities(prog)
        if option == "-u":
            described_only = True
        elif option == "-s":
            stats = True
        elif cpuspec is not None:
            raise usage_error("irq", "only one -c option allowed")
        else:
            cpuspec = value
    count = irqs.irq_count(prog)
    if stats:
        return irq_stats(prog, cpuspec)
    if not args.irqs:
        descs = irqs.irq_descs(prog)
        numbers = [n for n in range(count) if not described_only or n in descs]
        return [irq_row(prog, n, i == 0) for i, n in enumerate(numbers)]
    return chosen_rows(prog, args.irqs, count)


def chosen_rows(prog, words: list[str], count: int) -> Iterator[IrqRow]:
    """Each named IRQ in turn; crash stops at the first word it cannot use."""
    for i, word in enumerate(words):
        number = dtoi(word)
        if number >= count:
            raise CommandError(f"invalid IRQ value: {number}  ({count - 1} max)")
        yield irq_row(prog, number, i == 0)


def irq_row(prog, number: int, first: bool) -> IrqRow:
    desc = irqs.irq_descs(prog).get(number)
    if desc is None:
        return IrqRow(number, 0, [], first)
    return IrqRow(number, desc.value_(), irqs.irq_actions(desc), first)


def in_use(prog) -> Iterator[tuple[int, object, list[IrqAction]]]:
    """(irq, desc, actions) of each IRQ below crash's count that has actions."""
    descs = irqs.irq_descs(prog)
    for number in range(irqs.irq_count(prog)):
        desc = descs.get(number)
        if desc is not None and desc.action:
            yield number, desc, irqs.irq_actions(desc)


def named(actions: list[IrqAction]) -> list[str]:
    return [action.name for action in actions if action.name]


def affinities(prog) -> IrqAffinities:
    return IrqAffinities([IrqAffinity(number, named(actions), irqs.affinity_cpus(desc))
                          for number, desc, actions in in_use(prog)],
                         len(tasks.present_cpus(prog)))


def irq_stats(prog, cpuspec: str | None) -> IrqStats:
    ncpus = len(tasks.present_cpus(prog))
    chosen = cpu_list(cpuspec, ncpus) if cpuspec is not None else list(range(ncpus))
    online = set(tasks.online_cpus(prog))
    notices = [Notice("irq", f"CPU{cpu} is OFFLINE.") for cpu in chosen if cpu not in online]
    shown = [cpu for cpu in chosen if cpu in online]
    rows = []
    for number, desc, actions in in_use(prog):
        chip, flow = irqs.chip_and_flow(desc)
        rows.append(IrqStat(number, [irqs.kstat_count(desc, cpu) for cpu in shown], chip, flow,
                            named(actions)))
    return IrqStats(shown, rows, notices)


def softirqs(session) -> Softirqs:
    symtab = session.symtab
    vectors = []
    for i, action in enumerate(irqs.softirq_actions(session.prog)):
        if action:
            table = symtab.module_of(action)
            vectors.append(SoftirqVector(i, action, symtab.value_symbol(action),
                                         table.name if table else None))
    return Softirqs(vectors)


def idt(session) -> IdtTable:
    return IdtTable([IdtEntry(i, handler, handler_name(session, handler))
                     for i, handler in enumerate(irqs.idt_handlers(session.prog))])


def handler_name(session, handler: int) -> str:
    """crash's x86_64_extract_idt_function(): the handler's symbol, else its address and the
    symbol of its direct-map alias."""
    symtab = session.symtab
    name = symtab.symstr(handler)
    if name:
        return name
    text = f"{handler:016x}"
    phys = memmap.kvtop(session.prog, handler)
    if phys is not None and (alias := symtab.symstr(facts(session.prog).page_offset + phys)):
        text += f"  <{alias}>"
    return text
