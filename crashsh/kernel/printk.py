"""The printk ring buffer as crash's dump_lockless_record_log() (printk.c) reads it: the
descriptor, info and text rings in one read each, then the records one at a time, so that a
listing streams. Kernels before 5.10 (no lockless ring buffer) use drgn's helper.
"""

from __future__ import annotations

from collections.abc import Iterator

import drgn
from drgn.helpers.linux.printk import PrintkRecord, get_printk_records

ULONG_SIZE = 8
DESC_FLAGS_SHIFT = 62
DESC_ID_MASK = (1 << DESC_FLAGS_SHIFT) - 1
CPU_CALLER = 0x80000000  # a caller_id with this bit is a CPU, else a thread id


def printk_records(prog: drgn.Program) -> Iterator[PrintkRecord]:
    """The log's records, oldest first."""
    try:
        prb = prog["prb"]
    except KeyError:
        yield from get_printk_records(prog)
        return
    yield from LocklessLog(prog, prb).records()


class LocklessLog:
    """One read of a lockless ring buffer (5.10+)."""

    def __init__(self, prog: drgn.Program, prb: drgn.Object) -> None:
        desc_ring, data_ring = prb.desc_ring, prb.text_data_ring
        self.count = 1 << desc_ring.count_bits.value_()
        self.text_size = 1 << data_ring.size_bits.value_()
        desc, info = prog.type("struct prb_desc"), prog.type("struct printk_info")
        self.desc_size, self.info_size = drgn.sizeof(desc), drgn.sizeof(info)
        self.descs = prog.read(desc_ring.descs.value_(), self.desc_size * self.count)
        self.infos = prog.read(desc_ring.infos.value_(), self.info_size * self.count)
        self.text = prog.read(data_ring.data.value_(), self.text_size)
        self.tail = desc_ring.tail_id.counter.value_()
        self.head = desc_ring.head_id.counter.value_()
        self.committed = {prog["desc_committed"].value_(), prog["desc_finalized"].value_()}
        self.log_cont = prog["LOG_CONT"].value_()
        self.desc_fields = {name: field(desc, name)
                            for name in ("state_var", "text_blk_lpos.begin", "text_blk_lpos.next")}
        self.info_fields = {name: field(info, name)
                            for name in ("seq", "ts_nsec", "text_len", "facility", "flags", "level",
                                         "caller_id", "dev_info.subsystem", "dev_info.device")}

    def records(self) -> Iterator[PrintkRecord]:
        """crash's loop: from the tail to the head, the head included."""
        current = self.tail
        while current != self.head:
            yield from self.record(current)
            current = (current + 1) & DESC_ID_MASK
        yield from self.record(current)

    def record(self, current: int) -> Iterator[PrintkRecord]:
        """crash's dump_record(): nothing for a record not committed or without a text block.
        A text block that wraps lies at the ring's start."""
        index = current % self.count
        desc = Fields(self.descs, index * self.desc_size, self.desc_fields)
        state = desc.number("state_var")
        if state & DESC_ID_MASK != current or state >> DESC_FLAGS_SHIFT not in self.committed:
            return
        begin = desc.number("text_blk_lpos.begin") % self.text_size
        end = desc.number("text_blk_lpos.next") % self.text_size
        if begin == end:
            return  # crash prints an empty line here
        if begin > end:
            begin = 0
        begin += ULONG_SIZE
        info = Fields(self.infos, index * self.info_size, self.info_fields)
        text_len = max(min(info.number("text_len"), end - begin), 0)
        caller = info.number("caller_id")
        context = {key: value for key, value in ((b"SUBSYSTEM", info.string("dev_info.subsystem")),
                                                 (b"DEVICE", info.string("dev_info.device")))
                   if value}
        yield PrintkRecord(
            text=self.text[begin:begin + text_len],
            facility=info.number("facility"),
            level=info.number("level"),
            seq=info.number("seq"),
            timestamp=info.number("ts_nsec"),
            caller_tid=None if caller & CPU_CALLER else caller,
            caller_cpu=caller & ~CPU_CALLER if caller & CPU_CALLER else None,
            continuation=bool(info.number("flags") & self.log_cont),
            context=context,
        )


# a member's byte offset and size, and for a bit-field its bit shift and width (else 0, 0)
Layout = tuple[int, int, int, int]


def field(type_: drgn.Type, designator: str) -> Layout:
    """Where the member named by *designator* (``a.b``) lies in *type_*."""
    bit = 0
    for name in designator.split("."):
        member = type_.member(name)
        bit += member.bit_offset
        type_ = member.type
    if member.bit_field_size:
        return bit // 8, 1, bit % 8, member.bit_field_size
    return bit // 8, drgn.sizeof(type_), 0, 0


class Fields:
    """The members of one struct inside a buffer read from the dump."""

    def __init__(self, data: bytes, start: int, layout: dict[str, Layout]) -> None:
        self.data, self.start, self.layout = data, start, layout

    def raw(self, name: str) -> bytes:
        offset, size, _, _ = self.layout[name]
        return self.data[self.start + offset:self.start + offset + size]

    def number(self, name: str) -> int:
        _, _, shift, width = self.layout[name]
        value = int.from_bytes(self.raw(name), "little")
        return (value >> shift) & ((1 << width) - 1) if width else value

    def string(self, name: str) -> bytes:
        """A char array up to its first NUL."""
        return self.raw(name).split(b"\0", 1)[0]
