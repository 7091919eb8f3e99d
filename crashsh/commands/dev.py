"""dev: character and block devices, disk I/O in flight, I/O ports and memory, PCI devices
and device dumps (crash's cmd_dev, dev.c)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.ioport import for_each_resource
from drgn.helpers.linux.pci import (for_each_pci_root_bus, pci_bus_for_each_child,
                                    pci_bus_for_each_dev)

from crashsh import dumpnotes
from crashsh.commands.memory import MemoryDisplay, RdOptions, memory_rows, raw_copy
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import atoi
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import devices, paths
from crashsh.kernel.readmem import Memory
from crashsh.parsing import CommandParser, Ordered
from crashsh.records import LAYOUT, Address
from crashsh.registry import command

SKIPPED_DISKS = ("ram", "loop")  # crash shows no I/O of disks named so


@dataclass
class MajorRow:
    """A registered major: number, name, its cdev (char) or gendisk (block) and that
    object's operations with their symbol (``operations`` 0: crash's "(none)")."""

    major: int
    name: str
    object: Address
    operations: Address
    symbol: str


@dataclass
class DeviceTable:
    """`dev`: the character devices, then the block devices."""

    chars: list[MajorRow]
    blocks: list[MajorRow]


@dataclass
class DiskIo:
    """A disk's requests in flight: reads, writes (async and sync with ``sync_labels``),
    and the driver's count (null where crash shows no DRV column, -1 for "N/A(MQ)")."""

    major: int
    gendisk: Address
    name: str
    queue: Address
    read: int
    write: int
    driver: int | None = None


@dataclass
class DiskIoTable:
    """`dev -d` (every disk) and `dev -D` (those with requests in flight)."""

    disks: list[DiskIo]
    sync_labels: bool = False
    driver_column: bool = field(default=False, metadata=LAYOUT)


@dataclass
class Resource:
    """An I/O port or memory range: the struct resource, its range and name."""

    address: Address
    start: Address
    end: Address
    name: str


@dataclass
class ResourceTable:
    """`dev -i`: the ioport or iomem tree in crash's order (a resource, then its
    children); ``digits`` is 4 when the root ends at or below 0xffff, else 8."""

    kind: str
    digits: int = field(metadata=LAYOUT)
    resources: list[Resource] = field(default_factory=list)
    first: bool = field(default=True, metadata=LAYOUT)


@dataclass
class PciDevice:
    """A pci_dev: address, name (domain:bus:slot.function), class, vendor and device ids,
    and crash's PCIe port type (with " [BRIDGE]" for a bridge header)."""

    address: Address
    name: str
    pci_class: int
    vendor: int
    device: int
    type: str


@dataclass
class PciBus:
    """A PCI bus: address, parent bus (a root bus: null) and name (root buses only), the
    bridge device it sits behind, its devices and child buses."""

    address: Address
    parent: Address | None
    name: str | None
    bridge: PciDevice | None
    devices: list[PciDevice]
    children: list[PciBus]


@dataclass
class PciTable:
    """`dev -p`: the PCI root buses."""

    roots: list[PciBus]
    pcie: bool = field(default=True, metadata=LAYOUT)  # crash's TYPE column


@dataclass
class DeviceDumps:
    """`dev -V`: the device dumps in the vmcore."""

    dumps: list[dumpnotes.DeviceDump]


@dataclass
class DeviceDumpName:
    """`dev -v`: crash's "DEVICE: name" line before the dump's data."""

    name: str


DEV_HELP = """\
Devices. Without options: each registered character device major with its name, cdev and
file operations, then each block device major with its name, a gendisk of that major and its
block operations. -d shows each disk's requests in flight (reads and writes), -D only the
disks that have some. -i shows the I/O port and I/O memory resource trees, -p the PCI buses
and devices, -V the device dumps that drivers added to the vmcore (index, file offset, size,
name); -v INDEX shows one of them as 64-bit words with their ASCII, at their file offsets, or
copies its bytes to FILE.
"""
DEV_EXAMPLES = """\
examples:
  dev -d             the disks' requests in flight:
                       MAJOR GENDISK            NAME       REQUEST_QUEUE      TOTAL  READ WRITE
                         254 ffff8d1bc240c400   vda        ffff8d1bc24178b8       0     0     0
  dev -p             the PCI root bus and its devices:
                           ROOT BUS     BUSNAME
                       ffff8d1bc1344800 0000:00
                             PCI DEV      DO:BU:SL.FN  CLASS   PCI_ID      TYPE
                         ffff8d1bfebc0000 0000:00:00.0  0600  8086:1237  ENDPOINT
"""


def dev_parser() -> CommandParser:
    p = CommandParser("dev", DEV_HELP, epilog=DEV_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, text in (("-d", "requests in flight of every disk"),
                       ("-D", "requests in flight of the disks that have some"),
                       ("-i", "I/O port and I/O memory resources"),
                       ("-p", "PCI buses and devices"),
                       ("-V", "the device dumps in the vmcore")):
        p.add_argument(flag, dest="options", action=Ordered, nargs=0, help=text)
    p.add_argument("-v", dest="index", metavar="index",
                   help="one device dump's data (dev -v INDEX [FILE]: its bytes to FILE)")
    p.add_argument("words", nargs="*", help=argparse.SUPPRESS)
    p.set_defaults(options=[])
    return p


@command("dev", "device data", dev_parser, synopsis="[-i | -p | -d | -D ] [-V | -v index [file]]")
def run_dev(session, args):
    if args.options:  # crash acts on the first option and returns
        return {"-d": lambda: disk_io(session.prog, False),
                "-D": lambda: disk_io(session.prog, True),
                "-i": lambda: resource_tables(session.prog),
                "-p": lambda: pci_table(session.prog),
                "-V": lambda: device_dumps(session)}[args.options[0][0]]()
    index = -1 if args.index is None else atoi(args.index)
    if index >= 0 and len(args.words) <= 1:  # crash: dev -v INDEX [FILE]
        return device_dump_data(session, index, args.words[0] if args.words else None)
    if args.words:
        raise UsageError("", "")
    return device_table(session)


def device_table(session) -> DeviceTable:
    prog = session.prog
    if "chrdevs" not in prog:
        raise CommandError("chrdevs: symbol does not exist")
    return DeviceTable([major_row(session, e) for e in devices.char_devices(prog)],
                       [major_row(session, e) for e in devices.block_devices(prog)])


def major_row(session, entry: devices.DeviceEntry) -> MajorRow:
    ops = entry.operations
    symbol = session.symtab.symstr(ops, session.settings.radix) if ops else ""
    return MajorRow(entry.major, entry.name, entry.object, entry.operations, symbol)


def disk_io(prog: drgn.Program, busy_only: bool) -> DiskIoTable:
    """crash's display_all_diskio(): the disks, ram and loop devices left out."""
    driver = prog.type("struct request_queue").has_member("in_flight")
    table = DiskIoTable([], sync_labels="BLK_RW_SYNC" in prog, driver_column=driver)
    for disk in devices.disks(prog):
        name = disk.disk_name.string_().decode(errors="replace")
        if name.startswith(SKIPPED_DISKS):
            continue
        read, write = devices.disk_in_flight(disk)
        if busy_only and not read + write:
            continue
        q = disk.queue.read_()
        table.disks.append(DiskIo(disk.major.value_(), disk.value_(), name, q.value_(), read,
                                  write, driver_count(q) if driver else None))
    return table


def driver_count(q: drgn.Object) -> int:
    """request_queue.in_flight (kernels before 5.0; [2] since 2.6.33): -1 for a
    multiqueue queue."""
    if q.mq_ops:
        return -1
    flight = q.in_flight
    if flight.type_.kind == drgn.TypeKind.ARRAY:
        return sum(v.value_() for v in flight)
    return flight.value_()


def resource_tables(prog: drgn.Program) -> list[ResourceTable]:
    """crash's do_io(): the ioport tree, then the iomem tree."""
    tables = []
    for kind in ("ioport", "iomem"):
        root = prog[f"{kind}_resource"].address_of_()
        tables.append(ResourceTable(
            kind, 4 if root.end.value_() <= 0xFFFF else 8,
            [Resource(r.value_(), r.start.value_(), r.end.value_(), resource_name(prog, r))
             for r in for_each_resource(root)],
            first=kind == "ioport"))
    return tables


def resource_name(prog: drgn.Program, resource: drgn.Object) -> str:
    name = paths.read_string(prog, resource.name.value_())
    return "(unknown)" if name is None else name


def pci_table(prog: drgn.Program) -> PciTable:
    """crash's do_pci2(): each root bus, its devices and, depth first, its child buses."""
    roots = list(for_each_pci_root_bus(prog))
    if not roots:
        raise CommandError("no PCI devices found on this system.")
    pcie = prog.type("struct pci_dev").has_member("pcie_flags_reg")
    return PciTable([pci_bus(prog, bus, pcie, root=True) for bus in roots], pcie)


def pci_bus(prog: drgn.Program, bus: drgn.Object, pcie: bool, root: bool = False) -> PciBus:
    self_dev = bus.self.read_()
    return PciBus(
        bus.value_(), None if root else bus.parent.value_(),
        kobject_name(prog, bus.dev) if root else None,
        pci_device(prog, self_dev, pcie) if self_dev else None,
        [pci_device(prog, dev, pcie) for dev in pci_bus_for_each_dev(bus)],
        [pci_bus(prog, child, pcie) for child in pci_bus_for_each_child(bus)],
    )


PCIE_TYPES = {0x0: "ENDPOINT", 0x1: "LEG_END", 0x4: "ROOT_PORT", 0x5: "UPSTREAM",
              0x6: "DOWNSTREAM", 0x7: "PCI_BRIDGE", 0x8: "PCIE_BRIDGE", 0x9: "RC_END",
              0xA: "RC_EC"}
HEADER_BRIDGE, HEADER_CARDBUS = 1, 2


def pci_device(prog: drgn.Program, dev: drgn.Object, pcie: bool) -> PciDevice:
    """crash's fill_dev_name/class/id and fill_pcie_type()."""
    kind = PCIE_TYPES.get((dev.pcie_flags_reg.value_() & 0xF0) >> 4, "") if pcie else ""
    if dev.hdr_type.value_() in (HEADER_BRIDGE, HEADER_CARDBUS):
        kind += " [BRIDGE]"
    return PciDevice(dev.value_(), kobject_name(prog, dev.dev), dev.member_("class").value_() >> 8,
                     dev.vendor.value_(), dev.device.value_(), kind)


def kobject_name(prog: drgn.Program, device: drgn.Object) -> str:
    return paths.read_string(prog, device.kobj.name.value_()) or ""


def device_dump_data(session, index: int, path: str | None) -> Iterator[object]:
    """crash's devdump_extract(): the name, then the data as rd -f shows it (64-bit words,
    the count rounded up) or, with a file, its bytes copied there."""
    if session.is_live:
        yield Notice("dev", "-v option not supported on a live system")
        return
    found = dumpnotes.device_dumps(session.vmcore, session.kind)
    if not found:
        raise CommandError("no device dumps found in this dumpfile")
    if index >= len(found):
        raise CommandError(f"no device dump found at index: {index}")
    dump = found[index]
    yield DeviceDumpName(dump.name)
    memory = Memory(session, "file")
    if path is not None:
        yield raw_copy(memory, dump.offset, dump.size, path)
        return
    words = (dump.size + 7) // 8
    yield MemoryDisplay(64, "hex", True,
                        memory_rows(session, memory, dump.offset, words, 64, RdOptions()))


def device_dumps(session) -> DeviceDumps | Notice:
    """crash's kdump/diskdump_device_dump_info()."""
    if session.is_live:
        return Notice("dev", "-V option not supported on a live system")
    found = dumpnotes.device_dumps(session.vmcore, session.kind)
    if not found:
        raise CommandError("no device dumps found in this dumpfile")
    return DeviceDumps(found)
