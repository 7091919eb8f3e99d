"""net: network devices, the ARP table and the sockets of tasks (crash's cmd_net, net.c)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.commands.task import StructValue
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import dtol, htol, is_number, stol
from crashsh.conventions.tasks import invalid_task, task_table
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import fs, net, tasks
from crashsh.parsing import PID_OR_TASK, CommandParser, Ordered, completes
from crashsh.records import LAYOUT, Address, TaskHeader
from crashsh.registry import TaskRun, command, foreach_check, foreach_handler

# neighbour.nud_state bits (include/net/neighbour.h) and ARPHRD_* names crash knows
NUD_STATES = ("INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP",
              "PERMANENT")
HW_TYPES = {1: "ETHER", 0: "NETROM", 2: "EETHER", 3: "AX25", 4: "PRONET", 5: "CHAOS",
            6: "IEEE802", 7: "ARCNET", 8: "APPLETLK", 15: "DLCI", 23: "METRICOM"}


@dataclass
class NetDevices:
    """`net` (and -n): each net_device of a network namespace: ``{address, name,
    addresses}``, the IPv4 addresses first, then the IPv6 ones."""

    devices: list[net.Device]


@dataclass
class Neighbour:
    """An ARP entry: the neighbour's address, its IPv4 address, the device's hardware type
    (crash's name, "UNKNOWN" for others), hardware address, device name and NUD states."""

    address: Address
    ip: str
    hw_type: str
    hw_address: str
    device: str
    states: list[str]


@dataclass
class ArpTable:
    """`net -a`: the neighbours of arp_tbl, bucket by bucket."""

    neighbours: list[Neighbour]


@dataclass
class NetAddress:
    """`net -N`: a 32-bit value in network byte order as an IPv4 address."""

    value: int
    address: str


@dataclass
class SocketRow:
    """`net -s`: an open socket. ``family`` and ``type`` are crash's names (a number as text
    for one it does not name); INET and INET6 sockets have their local and remote address
    and port (IPv6 in standard notation)."""

    fd: int
    socket: Address
    sock: Address
    family: str
    type: str
    source: str | None = None
    source_port: int | None = None
    destination: str | None = None
    destination_port: int | None = None


@dataclass
class SocketStructs:
    """`net -S`: an open socket, then its struct socket and struct inet_sock as gdb prints
    them."""

    fd: int
    socket: Address
    sock: Address
    structs: list[StructValue]


@dataclass
class TaskSockets:
    """The sockets of one task: under its task line (none in foreach, and with -R until a
    socket matches); ``empty`` where crash prints "No open sockets."."""

    header: TaskHeader | None
    sockets: list[SocketRow | SocketStructs] = field(default_factory=list)
    empty: bool = False
    subsequent: bool = field(default=False, metadata=LAYOUT)  # a blank line before the header
    blank_after: bool = field(default=False, metadata=LAYOUT)  # -R: after a found socket


NET_HELP = """\
Network data. Without options: the network devices of the namespace of pid 0 (or, with -n,
of the current task or the task given) with their IPv4 and IPv6 addresses. -a shows the ARP
(IPv4 neighbour) cache. -s and -S show the open sockets of the current task or of each pid
or task given: -s one line each with family, type, and for INET/INET6 the local and remote
address and port; -S the struct socket and struct inet_sock in full (-x or -d for the radix).
-R keeps only the sockets whose fd, socket or sock address is the reference. -N prints a
32-bit value in network byte order as an IPv4 address.
"""
NET_EXAMPLES = """\
examples:
  net                the devices:
                          NET_DEVICE     NAME       IP ADDRESS(ES)
                       ffff8d1bc137c000  lo         127.0.0.1, ::1
  net -s 110         the sockets of pid 110:
                       FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT
                        6 ffff8d1bc144e3c0 ffff8d1bc25fe300 INET:STREAM  127.0.0.1-7777 0.0.0.0-0
                        7 ffff8d1bc2150340 ffff8d1bc106bc00 UNIX:DGRAM
  foreach net -s     every task's sockets
"""


def net_parser() -> CommandParser:
    p = CommandParser("net", NET_HELP, epilog=NET_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, text in (("-a", "the ARP cache"),
                       ("-s", "each socket of the tasks, one line each"),
                       ("-S", "each socket of the tasks as its structures"),
                       ("-x", "-S in hexadecimal"), ("-d", "-S in decimal")):
        p.add_argument(flag, dest="options", action=Ordered, nargs=0, help=text)
    p.add_argument("-R", dest="options", action=Ordered, metavar="ref",
                   help="only the sockets with this fd, socket or sock address")
    p.add_argument("-N", dest="options", action=Ordered, metavar="addr",
                   help="a network-order 32-bit value as an IPv4 address")
    completes(p.add_argument("-n", dest="options", action=Ordered, nargs="?",
                             metavar="pid | task",
                             help="the devices of this task's network namespace"), PID_OR_TASK)
    completes(p.add_argument("tasks", nargs="*", metavar="pid | task"), PID_OR_TASK)
    p.set_defaults(options=[])
    return p


@dataclass
class NetOptions:
    """What crash's getopt loop leaves: the socket mode ("s", "S" or None), radix letter
    ("x", "d" or None), -R text, and whether -a or -n ran."""

    mode: str | None = None
    radix: str | None = None
    reference: str | None = None
    arp: bool = False
    namespace: bool = False
    task: drgn.Object | None = None


@command("net", "network command", net_parser,
         synopsis="[[-s | -S] [-xd] [-R ref] [pid | task]] [-a] [ -n [pid | task]] [-N addr]")
def run_net(session, args) -> Iterator[object]:
    opts = NetOptions(task=tasks.task_contexts(session.prog)[0].task)
    for option, value in args.options:  # in order, as crash's getopt loop acts
        letter = option[1]
        if letter == "R":
            if opts.reference is not None:
                yield Notice("net", "only one -R option allowed")
            else:
                opts.reference = value
        elif letter == "a":
            yield arp_table(session.prog)
            opts.arp = True
        elif letter == "N":
            number = stol(value)
            yield NetAddress(number, net.inet_ntoa(number))
            return
        elif letter in "sS":
            if opts.mode is not None and opts.mode != letter:
                yield Notice("net", "only one -s or -S option allowed")
            else:
                opts.mode = letter
        elif letter in "xd":
            if opts.radix is not None and opts.radix != letter:
                raise CommandError("-d and -x are mutually exclusive")
            opts.radix = letter
        else:
            opts.namespace = True
            opts.task = session.context if value is None else task_table(session.prog).get(
                value).tasks[0]
    if opts.mode:
        yield from socket_listing(session, opts, args.tasks)
    elif opts.namespace or not (args.options or args.tasks):
        yield NetDevices(list(net.devices(net.task_net_namespace(opts.task))))
    elif not opts.arp:
        raise UsageError("", "")


def arp_table(prog: drgn.Program) -> ArpTable:
    """crash's dump_arp(): every neighbour of each non-empty bucket of arp_tbl."""
    try:
        prog["arp_tbl"]
    except KeyError:
        raise CommandError("arp_tbl does not exist in this kernel") from None
    return ArpTable([neighbour(n) for bucket in net.arp_buckets(prog)
                     for n in net.bucket_chain(bucket)])


def neighbour(neigh: drgn.Object) -> Neighbour:
    prog = neigh.prog_
    dev = neigh.dev.read_()
    length = dev.addr_len.value_()
    hw = prog.read(neigh.ha.address_, length)
    state = neigh.nud_state.value_()
    key = int.from_bytes(prog.read(neigh.primary_key.address_, 4), "little")
    return Neighbour(
        address=neigh.value_(),
        ip=net.inet_ntoa(key),
        hw_type=HW_TYPES.get(dev.type.value_(), "UNKNOWN"),
        hw_address=":".join(f"{b:02x}" for b in hw),
        device=dev.name.string_().decode(errors="replace"),
        states=[name for bit, name in enumerate(NUD_STATES) if state & (1 << bit)],
    )


# -- sockets ----------------------------------------------------------------------------------
@dataclass
class SocketReference:
    """crash's struct reference for net -R: how the text reads against a task's file table
    (flags that, as in crash, accumulate over the tasks of one command) and what was shown."""

    text: str
    hexval: int = 0
    decval: int = 0
    hexnum: bool = False
    decnum: bool = False
    found: bool = False
    header_shown: bool = False

    def read_for(self, max_fds: int) -> None:
        """dump_sockets_workhorse(): a number with hex letters is an address; a decimal one
        an fd when it is below the table's size, else an address in hex."""
        if not is_number(self.text):
            return
        if any(c in "abcdefABCDEFxX" for c in self.text) or dtol(self.text) > max_fds:
            self.hexval, self.hexnum = htol(self.text), True
        else:
            self.decval, self.decnum = dtol(self.text), True

    def matches(self, fd: int, found: net.SocketRef) -> bool:
        return ((self.hexnum and self.hexval in (found.sock, found.socket))
                or (self.decnum and self.decval == fd) or (self.hexnum and self.hexval == fd))


def socket_listing(session, opts: NetOptions, words: list[str]) -> Iterator[object]:
    """crash's dump_sockets(): the current task, or each pid (all its tasks) or task given."""
    ref = SocketReference(opts.reference) if opts.reference is not None else None
    radix = radix_of(session, opts.radix)
    if not words:
        yield task_sockets(session, session.context, opts.mode, radix, ref, header=ref is None)
        return
    table = task_table(session.prog)
    subsequent = 0
    for word in words:
        found = table.find(word)
        if found is None:
            yield Notice("net", invalid_task(word), blank_before=subsequent > 0)
            subsequent += 1
            continue
        for task in found.tasks:
            item = task_sockets(session, task, opts.mode, radix, ref, header=ref is None)
            item.subsequent = subsequent > 0 and ref is None
            subsequent += 1
            yield item


def radix_of(session, letter: str | None) -> int:
    return {"x": 16, "d": 10}.get(letter or "", session.settings.radix)


def task_sockets(session, task: drgn.Object, mode: str, radix: int,
                 ref: SocketReference | None, header: bool) -> TaskSockets:
    """crash's dump_sockets_workhorse() for one task."""
    result = TaskSockets(tasks.task_header(task) if header else None)
    files = fs.open_files(task)
    if files is None:
        result.empty = ref is None
        return result
    if ref is not None:
        ref.read_for(task.files.fdt.max_fds.value_())
    prog = session.prog
    for fd, file in files:
        found = net.file_socket(file)
        if found is None:
            continue
        if ref is not None:
            if not ref.matches(fd, found):
                continue
            ref.found = True
            if not ref.header_shown:
                result.header, ref.header_shown = tasks.task_header(task), True
        if mode == "S":
            printer = session.value_printer(radix)
            structs = [StructValue(name, address, printer.format(prog.type(f"struct {name}"),
                                                                 address))
                       for name, address in (("socket", found.socket), ("inet_sock", found.sock))]
            result.sockets.append(SocketStructs(fd, found.socket, found.sock, structs))
        else:
            result.sockets.append(socket_row(prog, fd, found))
    result.empty = not result.sockets and ref is None
    result.blank_after = ref is not None and ref.found
    return result


def socket_row(prog: drgn.Program, fd: int, found: net.SocketRef) -> SocketRow:
    info = net.sock_info(prog, found.sock)
    return SocketRow(fd, found.socket, found.sock, net.FAMILIES.get(info.family, str(info.family)),
                     net.TYPES.get(info.type, str(info.type)), info.source, info.source_port,
                     info.destination, info.destination_port)


@foreach_check("net")
def check_foreach_net(flags: dict) -> Iterator[Notice]:
    """foreach's checks of net's flags before any task: -s or -S, and not -x with -d."""
    if flags.get("s") and flags.get("S"):
        yield Notice("WARNING", "net -s and -S options are mutually exclusive!")
        kept = {k: v for k, v in flags.items() if k == "R"}
        flags.clear()
        flags.update(kept, s=1)  # crash sets the flags to -s alone
    elif not (flags.get("s") or flags.get("S")):
        yield Notice("WARNING", "net command requires -s or -S option", blank_after=True)
        flags["s"] = 1
    if flags.get("x") and flags.get("d"):
        raise CommandError("net: -x and -d options are mutually exclusive")


@foreach_handler("net")
def foreach_net(session, flags) -> TaskRun:
    """`foreach ... net -s|-S [-x|-d] [-R ref]`: foreach prints the task line, except
    with -R, where a task with a matching socket carries its own."""
    mode = "S" if flags.get("S") else "s"
    radix = radix_of(session, "x" if flags.get("x") else "d" if flags.get("d") else None)
    text = flags.get("R")

    def run(task: drgn.Object, subsequent: bool) -> TaskSockets:
        ref = SocketReference(text) if text is not None else None  # crash's, cleared per task
        return task_sockets(session, task, mode, radix, ref, header=False)

    return run
