"""Networking as crash's net.c reads it: devices and their addresses, the ARP table, and the
socket behind an open file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.net import for_each_netdev, netdev_name

from crashsh.records import Address

S_IFMT, S_IFSOCK = 0o170000, 0o140000

# <sys/socket.h> families and types, with crash's names for them (get_sock_info).
FAMILIES = {
    0: "UNSPEC", 1: "UNIX", 2: "INET", 3: "AX25", 4: "IPX", 5: "APPLETALK", 6: "NETROM",
    7: "BRIDGE", 8: "ATMPVC", 9: "X25", 10: "INET6", 11: "ROSE", 12: "DECnet", 13: "NETBEUI",
    14: "SECURITY/KEY", 16: "NETLINK/ROUTE", 17: "PACKET", 18: "ASH", 19: "ECONET",
    20: "ATMSVC", 22: "SNA", 23: "IRDA", 24: "PPPOX",
}
TYPES = {1: "STREAM", 2: "DGRAM", 3: "RAW", 4: "RDM", 5: "SEQPACKET", 10: "PACKET"}
AF_INET, AF_INET6 = 2, 10


def inet_ntoa(value: int) -> str:
    """An IPv4 address as it lies in memory (network order), read as a little-endian int."""
    return ".".join(str(b) for b in (value & 0xFFFFFFFF).to_bytes(4, "little"))


def ntohs(value: int) -> int:
    return int.from_bytes((value & 0xFFFF).to_bytes(2, "little"), "big")


def inet_ntop6(raw: bytes) -> str:
    """glibc's inet_ntop(AF_INET6): the longest run of two or more zero words (the first of
    equals) as ``::``, an IPv4-compatible or -mapped tail in dotted form."""
    words = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, 16, 2)]
    best, length = -1, 0
    i = 0
    while i < 8:
        if words[i]:
            i += 1
            continue
        j = i
        while j < 8 and not words[j]:
            j += 1
        if j - i > length:
            best, length = i, j - i
        i = j
    if length < 2:
        best = -1
    parts: list[str] = []
    i = 0
    while i < 8:
        if i == best:
            parts.append(":" if i == 0 else "")
            i += length
            if i == 8:
                parts.append("")
            continue
        if i == 6 and best == 0 and (length == 6 or (length == 5 and words[5] == 0xFFFF)):
            parts.append(".".join(str(b) for b in raw[12:]))
            break
        parts.append(f"{words[i]:x}")
        i += 1
    return ":".join(parts)


def task_net_namespace(task: drgn.Object) -> drgn.Object:
    """``task->nsproxy->net_ns`` (crash's show_net_devices_v3)."""
    return task.nsproxy.net_ns.read_()


@dataclass(frozen=True)
class Device:
    """A net_device: its address, name and addresses (IPv4 from ifa_list, then IPv6)."""

    address: Address
    name: str
    addresses: list[str]


def devices(net: drgn.Object) -> Iterator[Device]:
    """The devices of a network namespace in dev_base_head order."""
    for dev in for_each_netdev(net):
        yield Device(dev.value_(), netdev_name(dev).decode(errors="replace"),
                     ipv4_addresses(dev) + ipv6_addresses(dev))


def ipv4_addresses(dev: drgn.Object) -> list[str]:
    in_dev = dev.ip_ptr.read_()
    if not in_dev:
        return []
    found = []
    ifa = in_dev.ifa_list.read_()
    while ifa:
        found.append(inet_ntoa(ifa.ifa_address.value_()))
        ifa = ifa.ifa_next.read_()
    return found


def ipv6_addresses(dev: drgn.Object) -> list[str]:
    idev = dev.ip6_ptr.read_()
    if not idev:
        return []
    prog = dev.prog_
    return [inet_ntop6(prog.read(ifa.addr.address_, 16)) for ifa in
            list_for_each_entry("struct inet6_ifaddr", idev.addr_list.address_of_(), "if_list")]


def arp_buckets(prog: drgn.Program) -> list[drgn.Object]:
    """The non-empty hash buckets of ``arp_tbl`` in index order (crash's dump_arp): its
    hash table is ``1 << hash_shift`` pointers (heads of hlists since 6.13)."""
    nht = prog["arp_tbl"].nht.read_()
    count = 1 << nht.hash_shift.value_()
    try:
        heads = nht.hash_heads  # 6.13: hlist_head array, neighbour.hash links them
    except AttributeError:
        return [b for b in nht.hash_buckets[:count] if b]
    return [drgn.container_of(h.first, "struct neighbour", "hash")
            for h in heads[:count] if h.first]


def bucket_chain(neigh: drgn.Object) -> Iterator[drgn.Object]:
    """A bucket's neighbours: the ``next`` chain (the ``hash`` hlist since 6.13)."""
    while neigh:
        yield neigh
        if hasattr(neigh, "hash"):
            node = neigh.hash.next.read_()
            neigh = drgn.container_of(node, "struct neighbour", "hash") if node else node
        else:
            neigh = neigh.next.read_()


@dataclass(frozen=True)
class SocketRef:
    """The socket of an open file: its ``struct socket`` and ``struct sock`` addresses."""

    socket: Address
    sock: Address


def file_socket(file: drgn.Object) -> SocketRef | None:
    """The socket behind *file*, or None when its inode is not a socket (crash's
    sym_socket_dump: dentry -> inode, S_ISSOCK, then the socket_alloc around the inode)."""
    dentry = file.f_path.dentry.read_()
    if not dentry:
        return None
    inode = dentry.d_inode.read_()
    if not inode or inode.i_mode.value_() & S_IFMT != S_IFSOCK:
        return None
    socket = drgn.container_of(inode, "struct socket_alloc", "vfs_inode").socket
    return SocketRef(socket.address_, socket.sk.value_())


@dataclass(frozen=True)
class SockInfo:
    """What crash's get_sock_info() prints of a sock: family and type numbers, and for
    INET and INET6 the local and remote address (text) and port."""

    family: int
    type: int
    source: str | None = None
    source_port: int | None = None
    destination: str | None = None
    destination_port: int | None = None


def sock_info(prog: drgn.Program, address: int) -> SockInfo:
    """crash reads every sock as an inet_sock (a unix sock too: it only uses the common part)."""
    inet = drgn.Object(prog, "struct inet_sock", address=address)
    common = inet.sk.__sk_common
    family, kind = common.skc_family.value_(), inet.sk.sk_type.value_()
    sport = ntohs(inet.inet_sport.value_())
    dport = ntohs(common.skc_dport.value_())
    if family == AF_INET:
        return SockInfo(family, kind, inet_ntoa(common.skc_rcv_saddr.value_()), sport,
                        inet_ntoa(common.skc_daddr.value_()), dport)
    if family == AF_INET6:
        try:
            source = prog.read(common.skc_v6_rcv_saddr.address_, 16)
            destination = prog.read(common.skc_v6_daddr.address_, 16)
        except drgn.FaultError:  # crash prints the family and type alone
            return SockInfo(family, kind)
        return SockInfo(family, kind, inet_ntop6(source), sport, inet_ntop6(destination), dport)
    return SockInfo(family, kind)
