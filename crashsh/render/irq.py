"""Plain text of irq and its -a -s -b -d modes (crash's kernel.c), and irq -s in rich."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.table import Table

from crashsh.commands.irq import IdtTable, IrqAffinities, IrqRow, IrqStats, Softirqs
from crashsh.render.common import centered
from crashsh.render.plain import plain
from crashsh.render.richout import rich_render

DESC_WIDTH = 16  # MAX(VADDR_PRLEN, strlen("IRQ_DESC/_DATA"))
IRQ_HEADER = f" IRQ  {centered('IRQ_DESC/_DATA', 16)}  {centered('IRQACTION', 16)}  NAME\n"
UNUSED = centered("(unused)", 16)


@plain.register
def _(row: IrqRow) -> Iterator[str]:
    if row.first:
        yield IRQ_HEADER
    number = str(row.irq & 0xFFFFFFFF)  # crash's %u
    desc = centered(f"{row.desc:x}", DESC_WIDTH) if row.desc else UNUSED
    line = f"{centered(number, 4, True)}  {desc}  "
    if not row.actions:
        yield line + f"{UNUSED}  \n"
        return
    pieces = []
    for action in row.actions:
        name = f'"{action.name}"' if action.name else ""
        pieces.append(f"{centered(f'{action.address:x}', 16)}  {name}")
    yield line + f"\n{' ' * (4 + 2 + DESC_WIDTH + 2)}".join(pieces) + "\n"


def cpu_ranges(cpus: list[int], ncpus: int) -> str:
    """crash's display_cpu_affinity(): runs of CPUs below ncpus as "a-b", joined by commas."""
    runs: list[list[int]] = []
    for cpu in (c for c in cpus if c < ncpus):
        if runs and runs[-1][1] == cpu - 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


@plain.register
def _(table: IrqAffinities) -> Iterator[str]:
    yield "IRQ NAME                 AFFINITY\n"
    for row in table.rows:
        yield f"{row.irq:3d} {','.join(row.names):<20} {cpu_ranges(row.cpus, table.ncpus)}\n"


def chip_text(chip: str | None, flow: str | None) -> str:
    return (f"{chip:>8}" if chip else "") + (f"-{flow:<8}" if flow else "")


@plain.register
def _(table: IrqStats) -> Iterator[str]:
    for notice in table.notices:
        yield notice.text()
    yield "     " + "".join(f"{f'CPU{cpu}':>10} " for cpu in table.cpus) + "\n"
    for row in table.rows:
        counts = "".join(f"{count:10d} " for count in row.counts)
        yield f"{row.irq:3d}: {counts}{chip_text(row.chip, row.flow)} {','.join(row.names)}\n"


@plain.register
def _(table: Softirqs) -> Iterator[str]:
    yield f"SOFTIRQ_VEC {centered('ACTION', 16, True)}\n"
    for vec in table.vectors:
        module = f"  [{vec.module}]" if vec.module else ""
        pad = " " * (4 if vec.vector < 10 else 3)
        symbol = vec.symbol if vec.symbol is not None else "(null)"  # glibc's %s of NULL
        yield f"    [{vec.vector}]{pad} {vec.action:016x}  <{symbol}>{module}\n"


@plain.register
def _(table: IdtTable) -> Iterator[str]:
    for entry in table.entries:
        yield f"{f'[{entry.vector}]':>5} {entry.name}\n"


# -- rich: the counts as a table, the busiest CPU's column highlighted ---------------------------
@rich_render.register
def _(table: IrqStats, console: Console) -> None:
    for notice in table.notices:
        console.print(notice.text().rstrip("\n"), style="yellow")
    totals = [sum(row.counts[i] for row in table.rows) for i in range(len(table.cpus))]
    hot = totals.index(max(totals)) if totals and max(totals) else None
    grid = Table(title="interrupts per CPU" + (f" (busiest: CPU{table.cpus[hot]})"
                                               if hot is not None else ""),
                 title_justify="left")
    grid.add_column("IRQ", justify="right")
    for i, cpu in enumerate(table.cpus):
        grid.add_column(f"CPU{cpu}", justify="right",
                        style="bold red" if i == hot else None)
    grid.add_column("CHIP")
    grid.add_column("NAME")
    for row in table.rows:
        grid.add_row(str(row.irq), *map(str, row.counts), chip_text(row.chip, row.flow).strip(),
                     ",".join(row.names))
    grid.add_row("total", *map(str, totals), "", "", style="bold")
    console.print(grid)
