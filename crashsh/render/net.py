"""Plain text of net (crash's show_net_devices, dump_arp, dump_sockets_workhorse, net.c)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from crashsh.commands.net import (ArpTable, NetAddress, NetDevices, SocketRow, SocketStructs,
                                  TaskSockets)
from crashsh.render.common import centered, task_header_line
from crashsh.render.plain import plain

DEVICES_HEADER = "   NET_DEVICE     NAME       IP ADDRESS(ES)\n"
ARP_HEADER = "NEIGHBOUR        IP ADDRESS      HW TYPE    HW ADDRESS         DEVICE  STATE\n"
SOCKETS_HEADER = "FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT\n"
STRUCTS_HEADER = f"FD  {centered('SOCKET', 16)}  {centered('SOCK', 16)}\n"


@plain.register
def _(table: NetDevices) -> Iterator[str]:
    yield DEVICES_HEADER
    for dev in table.devices:
        yield f"{dev.address:>16x}  {dev.name:<10} {', '.join(dev.addresses)}\n"


@plain.register
def _(table: ArpTable) -> Iterator[str]:
    if table.neighbours:
        yield ARP_HEADER
    for n in table.neighbours:
        octets = n.hw_address.split(":") if n.hw_address else []
        if n.hw_type == "ETHER":  # dump_ether_hw(): the last byte ends with a blank
            hw = ":".join(octets) + " " if octets else ""
        else:
            hw = "".join(f"{o} " for o in octets)
        yield (f"{n.address:<16x} {n.ip:<16}{n.hw_type:<10} {hw} {n.device:<6}  "
               f"{'|'.join(n.states)}\n")


@plain.register
def _(item: NetAddress) -> Iterator[str]:
    yield item.address + "\n"


def in6_port(address: str, port: int) -> str:
    """crash's dump_in6_addr_port(): every 16-bit word in hex, then the port."""
    raw = ipaddress.IPv6Address(address).packed
    words = ":".join(f"{int.from_bytes(raw[i:i + 2], 'big'):x}" for i in range(0, 16, 2))
    return f"{words}-{port}"


def sock_text(row: SocketRow) -> str:
    """crash's get_sock_info(): FAMILY:TYPE, a blank, and the INET/INET6 endpoints."""
    text = f"{row.family}:{row.type}{' ' if row.type == 'DGRAM' else ''} "
    if row.source is None:
        return text
    if row.family == "INET":
        return text + f" {row.source}-{row.source_port} {row.destination}-{row.destination_port}"
    source = in6_port(row.source, row.source_port)
    destination = in6_port(row.destination, row.destination_port)
    return text + f"{source:>12} " + centered(destination, len(source))


@plain.register
def _(item: TaskSockets) -> Iterator[str]:
    if item.header is not None:
        yield ("\n" if item.subsequent else "") + task_header_line(item.header) + "\n"
    for i, sock in enumerate(item.sockets):
        if isinstance(sock, SocketStructs):
            yield ("\n" if i else "") + STRUCTS_HEADER
            yield f"{sock.fd:2d}  {sock.socket:>16x}  {sock.sock:>16x}\n\n"
            for value in sock.structs:
                yield f"struct {value.name} {value.text}\n"
        else:
            if not i:
                yield SOCKETS_HEADER
            yield f"{sock.fd:2d} {sock.socket:>16x} {sock.sock:>16x} {sock_text(sock)}\n"
    if item.empty:
        yield "No open sockets.\n"
    if item.blank_after:
        yield "\n"
