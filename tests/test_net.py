"""net: devices and addresses against drgn's net helpers, the marker's sockets against the
guest's manifest (its TCP listener and unix socketpair), the ARP cache against drgn's walk,
foreach net and -R, and the pure pieces of crash's formats."""

from __future__ import annotations

import socket

import drgn
import pytest
from drgn.helpers.linux.fs import fget
from drgn.helpers.linux.net import (SOCKET_I, for_each_netdev, neigh_table_for_each_neighbor,
                                    netdev_ipv4_addrs, netdev_ipv6_addrs, netdev_name)
from drgn.helpers.linux.pid import find_task

from crashsh.commands.net import ArpTable, Neighbour, SocketRow
from crashsh.kernel.net import inet_ntoa, inet_ntop6
from crashsh.render.plain import plain
from tests.differential.runner import run_json

AF_UNIX_TYPES = {"STREAM": socket.SOCK_STREAM, "DGRAM": socket.SOCK_DGRAM,
                 "SEQPACKET": socket.SOCK_SEQPACKET}


def marker_sockets(kernel) -> dict[int, int]:
    """The marker's socket fds and their inode numbers, from the guest's /proc."""
    return {int(fd): int(target[len("socket:["):-1])
            for fd, target in kernel.manifest["marker"]["fds"].items()
            if target.startswith("socket:[")}


def test_devices_are_drgns(crashsh):
    prog = crashsh.session.prog
    ours = run_json(crashsh, "net")[0]["devices"]
    net = prog["init_net"].address_of_()
    assert [d["address"] for d in ours] == [hex(dev.value_()) for dev in for_each_netdev(net)]
    for d, dev in zip(ours, for_each_netdev(net)):
        assert d["name"] == netdev_name(dev).decode()
        expected = [str(a) for a in netdev_ipv4_addrs(dev) + netdev_ipv6_addrs(dev)]
        assert d["addresses"] == expected


def test_loopback_has_both_addresses(crashsh):
    (lo,) = [d for d in run_json(crashsh, "net")[0]["devices"] if d["name"] == "lo"]
    assert lo["addresses"] == ["127.0.0.1", "::1"]


def test_marker_namespace_is_the_initial_one(kernel, crashsh):
    pid = kernel.manifest["marker"]["pid"]
    assert run_json(crashsh, f"net -n {pid}") == run_json(crashsh, "net")


def test_marker_sockets_match_the_guest(kernel, crashsh):
    """Every socket fd the guest saw, with its inode number; the TCP listener's address and
    port are the manifest's, and the socket/sock addresses are drgn's SOCKET_I()."""
    prog = crashsh.session.prog
    pid = kernel.manifest["marker"]["pid"]
    (item,) = run_json(crashsh, f"net -s {pid}")
    assert item["header"]["pid"] == pid
    rows = {row["fd"]: row for row in item["sockets"]}
    truth = marker_sockets(kernel)
    assert sorted(rows) == sorted(truth)
    task = find_task(prog, pid)
    for fd, ino in truth.items():
        file = fget(task, fd)
        assert file.f_inode.i_ino.value_() == ino
        sock = SOCKET_I(file.f_inode)
        assert rows[fd]["socket"] == hex(sock.value_())
        assert rows[fd]["sock"] == hex(sock.sk.value_())
    address, port = kernel.manifest["marker"]["tcp_listen"].rsplit(":", 1)
    (tcp,) = [row for row in rows.values() if row["family"] == "INET"]
    assert (tcp["type"], tcp["source"], tcp["source_port"]) == ("STREAM", address, int(port))
    assert (tcp["destination"], tcp["destination_port"]) == ("0.0.0.0", 0)
    pair = [row for row in rows.values() if row["family"] == "UNIX"]
    assert len(pair) == 2
    for row in pair:
        sk = drgn.Object(prog, "struct sock", address=int(row["sock"], 16))
        assert AF_UNIX_TYPES[row["type"]] == sk.sk_type.value_()
        assert row["source"] is None


def test_listener_is_the_guests_tcp_table(kernel, crashsh):
    """/proc/net/tcp's listening line (local address and port in hex) is the INET row."""
    line = next(l for l in kernel.manifest["net_tcp"][1:] if l.split()[3] == "0A")
    local = line.split()[1]
    (item,) = run_json(crashsh, f"net -s {kernel.manifest['marker']['pid']}")
    (tcp,) = [row for row in item["sockets"] if row["family"] == "INET"]
    hex_address, hex_port = local.split(":")
    assert inet_ntoa(int(hex_address, 16)) == tcp["source"]
    assert int(hex_port, 16) == tcp["source_port"]


def test_reference_keeps_one_socket(kernel, crashsh):
    pid = kernel.manifest["marker"]["pid"]
    (item,) = run_json(crashsh, f"net -s {pid}")
    for row in item["sockets"]:
        for ref in (row["sock"][2:], row["socket"][2:], str(row["fd"])):
            (found,) = run_json(crashsh, f"net -s -R {ref} {pid}")
            assert [s["fd"] for s in found["sockets"]] == [row["fd"]]
            assert found["header"]["pid"] == pid


def test_foreach_net_is_net_s(kernel, crashsh):
    pid = kernel.manifest["marker"]["pid"]
    (task,) = [t for t in run_json(crashsh, f"foreach {pid} net -s") if "header" in t]
    assert task["outputs"][0]["sockets"] == run_json(crashsh, f"net -s {pid}")[0]["sockets"]


def test_net_S_prints_both_structures(kernel, crashsh):
    pid = kernel.manifest["marker"]["pid"]
    (item,) = run_json(crashsh, f"net -S {pid}")
    for entry in item["sockets"]:
        assert [s["name"] for s in entry["structs"]] == ["socket", "inet_sock"]
        assert [s["address"] for s in entry["structs"]] == [entry["socket"], entry["sock"]]
        assert f"sk = {entry['sock']}" in entry["structs"][0]["text"]


def test_arp_cache_is_drgns_walk(crashsh):
    prog = crashsh.session.prog
    walked = list(neigh_table_for_each_neighbor(prog["arp_tbl"].nht))
    (table,) = run_json(crashsh, "net -a")
    assert sorted(n["address"] for n in table["neighbours"]) == sorted(hex(n.value_()) for n in walked)


# -- pure pieces ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["::", "::1", "fe80::1", "1::", "2001:db8::ff00:42:8329",
                                  "::ffff:192.0.2.1", "::192.0.2.1", "1:0:0:1::1",
                                  "1:0:1:0:1:0:1:0", "0:0:1::", "fe80::5054:ff:fe12:3456"])
def test_inet_ntop6_is_the_c_librarys(text):
    raw = socket.inet_pton(socket.AF_INET6, text)
    assert inet_ntop6(raw) == socket.inet_ntop(socket.AF_INET6, raw)


def test_inet_ntoa_reads_network_order():
    assert inet_ntoa(0x0100007F) == "127.0.0.1"
    assert inet_ntoa(1) == "1.0.0.0"


def test_arp_rows_as_crash_prints_them():
    """print_neighbour_q(): "%-16lx %-16s", "%-10s " type, the hardware address (ether:
    "%02x:" with a blank after the last; others "%02x " each), " %-6s  " device, states."""
    ether = Neighbour(0xffff888001234500, "10.0.2.2", "ETHER", "52:55:0a:00:02:02", "eth0",
                      ["REACHABLE"])
    other = Neighbour(0xffff888001234600, "10.0.2.3", "UNKNOWN", "01:02", "tun0", [])
    text = "".join(plain(ArpTable([ether, other])))
    assert text.splitlines(True) == [
        "NEIGHBOUR        IP ADDRESS      HW TYPE    HW ADDRESS         DEVICE  STATE\n",
        "%-16x %-16s%-10s %s %-6s  %s\n" % (ether.address, "10.0.2.2", "ETHER",
                                           "52:55:0a:00:02:02 ", "eth0", "REACHABLE"),
        "%-16x %-16s%-10s %s %-6s  \n" % (other.address, "10.0.2.3", "UNKNOWN", "01 02 ", "tun0"),
    ]


def test_inet6_row_as_crash_prints_it():
    """get_sock_info() for INET6: "%*s " of the source (width 12), the destination centered
    in the source's width; dump_in6_addr_port() prints every word."""
    row = SocketRow(3, 0xffff888000001000, 0xffff888000002000, "INET6", "STREAM", "::1", 22,
                    "::", 0)
    line = "".join(plain_sockets([row])).splitlines()[1]
    source, destination = "0:0:0:0:0:0:0:1-22", "0:0:0:0:0:0:0:0-0"
    pad = len(source) - len(destination)
    assert line == (" 3 ffff888000001000 ffff888000002000 INET6:STREAM "
                    f"{source:>12} " + " " * (pad // 2) + destination + " " * (pad - pad // 2))


def plain_sockets(rows: list[SocketRow]) -> list[str]:
    from crashsh.commands.net import TaskSockets

    return list(plain(TaskSockets(None, rows)))
