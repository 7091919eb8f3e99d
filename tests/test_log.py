"""log on the fixtures: the panic record is there, and -T's clock agrees with the dump's."""

from __future__ import annotations

import re
import time

from crashsh.commands.log import records
from crashsh.render.jsonout import jsonable
from tests import dumptruth


def test_log_ends_with_the_panic(crashsh):
    lines = crashsh.run("log -t").splitlines()
    assert any("Kernel panic - not syncing: sysrq triggered crash" in line for line in lines)
    assert any("sysrq: Trigger a crash" in line for line in lines)


def test_log_ctime_uses_the_true_hz(kernel, crashsh):
    """crash's -T times are off on 6.12 (HZ guessed as 1000). As crash computes them, a
    record's time is the boot date (the dump's wall clock minus its uptime in whole seconds,
    at the kernel's true HZ) plus the record's own seconds."""
    prog = crashsh.session.prog
    hz = kernel.manifest["hz"]
    boot = dumptruth.wall_clock(prog) - dumptruth.uptime_ticks(prog, hz) // hz
    last = crashsh.run("log -T").splitlines()[-1]
    stamp = re.match(r"\[(.*?)\] ", last).group(1)
    logged = boot + int(dumptruth.last_log_seconds(prog))
    assert stamp == time.strftime("%a %b %e %T %Z %Y", time.localtime(logged))


def test_log_json_records(crashsh):
    data = jsonable(list(records(crashsh.session.prog))[-1])
    assert set(data) == {"timestamp", "level", "caller", "text", "subsystem", "device"}
    assert data["caller"][0] in "TC"


def test_log_audit_prints_the_queued_records(kernel):
    """The fixtures' audit queues are empty (crash's message is a differential case); two
    records queued in memory laid out with the dump's own struct sk_buff_head, sk_buff and
    nlmsghdr print as crash's dump_audit_skb_queue() prints them."""
    import drgn

    from crashsh.commands.log import AuditLog, audit_queue
    from crashsh.render.log import plain

    prog = drgn.Program()
    prog.set_core_dump(kernel.dump())
    prog.load_debug_info([kernel.vmlinux])
    base, memory = 0x10000, bytearray(0x1000)  # a user address no kernel read reaches

    def put(address: int, type_name: str, member: str, value: int) -> None:
        at = address - base + drgn.offsetof(prog.type(type_name), member)
        size = drgn.sizeof(prog.type(type_name).member(member).type)
        memory[at:at + size] = value.to_bytes(size, "little")

    head, skbs = base, (base + 0x100, base + 0x400)
    hdrlen = (drgn.sizeof(prog.type("struct nlmsghdr")) + 3) & ~3
    texts = (b"audit(1.2:3): first\0garbage", b"audit(4.5:6): second")
    put(head, "struct sk_buff_head", "next", skbs[0])
    put(head, "struct sk_buff_head", "qlen", len(skbs))
    for i, (skb, text) in enumerate(zip(skbs, texts)):
        data = skb + 0x200
        put(skb, "struct sk_buff", "next", skbs[1] if i == 0 else head)
        put(skb, "struct sk_buff", "data", data)
        put(skb, "struct sk_buff", "len", hdrlen + len(text))
        put(data, "struct nlmsghdr", "nlmsg_type", 1300 + i)
        memory[data - base + hdrlen:data - base + hdrlen + len(text)] = text
    prog.add_memory_segment(base, len(memory), lambda a, c, o, p: bytes(memory[o:o + c]))
    records = list(audit_queue(drgn.Object(prog, "struct sk_buff_head", address=head)))
    assert "".join(plain(AuditLog(records))) == (
        "type=1300 audit(1.2:3): first\ntype=1301 audit(4.5:6): second\n")
    assert jsonable(records[0]) == {"type": 1300, "text": "audit(1.2:3): first"}
