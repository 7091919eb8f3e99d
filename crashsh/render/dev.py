"""Plain text of dev (crash's dump_chrdevs, dump_blkdevs_v3, display_all_diskio, do_io,
do_pci2 and the device dump listing, dev.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.dev import (DeviceDumpName, DeviceDumps, DeviceTable, DiskIoTable, MajorRow, PciBus,
                                  PciDevice, PciTable, ResourceTable)
from crashsh.render.common import centered
from crashsh.render.plain import plain

NONE = centered("(none)", 16)
CHRDEV_HEADER = f"CHRDEV    NAME           {centered('CDEV', 16)}  {'OPERATIONS':<16}\n"
BLKDEV_HEADER = (f"BLKDEV    NAME           {centered('GENDISK', 16, right_bias=True)}  "
                 f"{'OPERATIONS':<16}\n")


def major_line(row: MajorRow) -> str:
    head = f" {row.major:3d}      {row.name:<13} "
    if not row.operations:
        return f"{head} {NONE}\n"
    return f"{head} {row.object:16x}  {row.symbol or f'{row.operations:x}'}\n"


@plain.register
def _(table: DeviceTable) -> Iterator[str]:
    yield CHRDEV_HEADER
    yield from map(major_line, table.chars)
    yield "\n"
    yield BLKDEV_HEADER
    yield from map(major_line, table.blocks)


@plain.register
def _(table: DiskIoTable) -> Iterator[str]:
    read, write = ("ASYNC", "SYNC") if table.sync_labels else ("READ", "WRITE")
    yield (f"MAJOR {'GENDISK':<18} NAME       {'REQUEST_QUEUE':<18} TOTAL {read:>5} "
           f"{write:>5} {'  DRV' if table.driver_column else ''}\n")
    for d in table.disks:
        line = (f"{d.major:5d} {d.gendisk:<16x}   {d.name:<10} {d.queue:<16x}   "
                f"{d.read + d.write:5d} {d.read:5d} {d.write:5d} ")
        if d.driver is not None:
            line += "N/A(MQ)" if d.driver < 0 else f"{d.driver:5d}"
        yield line + "\n"


def wrapped(name: str, wrap: int) -> list[str]:
    """crash's 80-column cut of a long name at a blank, the rest under the name column."""
    if wrap + len(name) <= 80:
        return [name]
    need = wrap + len(name) - 80
    for back, at in enumerate(range(len(name) - 1, 0, -1)):
        if name[at] == " " and back >= need:
            return [name[:at], " " * wrap + name[at + 1:]]
    return [name]


@plain.register
def _(table: ResourceTable) -> Iterator[str]:
    width = table.digits * 2 + 1
    yield (("" if table.first else "\n") +
           f"{centered('RESOURCE', 16)}  {centered('RANGE', width)}  NAME\n")
    for r in table.resources:
        first, *rest = wrapped(r.name, 16 + 2 + width + 2)
        digits = table.digits
        yield f"{r.address:8x}  {r.start:0{digits}x}-{r.end:0{digits}x}  {first}\n"
        for line in rest:
            yield line + "\n"


def pci_row(dev: PciDevice) -> str:
    return (f"  {dev.address:<16x} {centered(dev.name, 12)} {centered(f'{dev.pci_class:04x}', 6)} "
            f"{centered(f'{dev.vendor:x}:{dev.device:x}', 9)} {centered(dev.type, 10)}\n")


def pci_devices(bus: PciBus, pcie: bool) -> Iterator[str]:
    """crash's walk_devices(): the column header, the bus's bridge, then its devices."""
    columns = [centered("PCI DEV", 16), centered("DO:BU:SL.FN", 12), centered("CLASS", 6),
               centered("PCI_ID", 9)] + ([centered("TYPE", 10)] if pcie else [])
    yield "  " + " ".join(columns) + "\n"
    for dev in ([bus.bridge] if bus.bridge else []) + bus.devices:
        yield pci_row(dev)


def pci_children(bus: PciBus, pcie: bool) -> Iterator[str]:
    """crash's walk_buses(): each child bus with its parent and devices, depth first."""
    for child in bus.children:
        yield f"  {centered('PCI BUS', 16)} {centered('PARENT BUS', 16)}\n"
        yield f"  {child.address:<16x} {child.parent:<16x}\n"
        yield from pci_devices(child, pcie)
        yield "\n"
        yield from pci_children(child, pcie)


@plain.register
def _(table: PciTable) -> Iterator[str]:
    for root in table.roots:
        yield f"{centered('ROOT BUS', 16)} {centered('BUSNAME', 7)}\n"
        yield f"{root.address:<16x} {centered(root.name or '', 7)}\n"
        yield from pci_devices(root, table.pcie)
        yield from pci_children(root, table.pcie)
        yield "\n"


@plain.register
def _(table: DeviceDumps) -> Iterator[str]:
    yield f"INDEX  {'OFFSET':<16}   {'SIZE':<16} NAME\n"
    for i, dump in enumerate(table.dumps):
        yield f"{centered(str(i), 5)}  0x{dump.offset:<16x} {dump.size:<16d} {dump.name}\n"


@plain.register
def _(line: DeviceDumpName) -> Iterator[str]:
    yield f"DEVICE: {line.name}\n"
