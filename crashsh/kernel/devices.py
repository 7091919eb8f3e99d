"""Character and block devices, disks and their requests in flight, as crash's dev.c finds
them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.cpumask import for_each_possible_cpu
from drgn.helpers.linux.device import class_to_subsys
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu_ptr
from drgn.helpers.linux.sbitmap import sbitmap_for_each_set
from drgn.helpers.linux.xarray import xa_for_each

from crashsh.records import Address

MAX_DEV = 255  # crash reads this many entries of chrdevs[] and major_names[]
MINORBITS = 20
MQ_RQ_IN_FLIGHT = 1
REQ_OP_MASK = 0xFF


@dataclass(frozen=True)
class DeviceEntry:
    """A registered major: its number and name, the cdev or gendisk crash shows for it and
    that object's file or block operations (0 for none)."""

    major: int
    name: str
    object: Address
    operations: Address


def char_devices(prog: drgn.Program) -> Iterator[DeviceEntry]:
    """crash's dump_chrdevs(): each char_device_struct of chrdevs[] and its chain; the
    operations are the cdev's, else those of the cdev_map probe of the same first dev_t."""
    for head in prog["chrdevs"][:MAX_DEV]:
        cd = head.read_()
        while cd:
            major, minor = cd.major.value_(), cd.baseminor.value_()
            cdev = cd.cdev.read_()
            ops = cdev.ops.value_() if cdev else 0
            if not ops:
                found = probed_cdev(prog, major, minor)
                if found is not None:
                    cdev, ops = found, found.ops.value_()
            yield DeviceEntry(major, cd.name.string_().decode(errors="replace"), cdev.value_(),
                              ops)
            cd = cd.next.read_()


def probed_cdev(prog: drgn.Program, major: int, minor: int) -> drgn.Object | None:
    """crash's search_cdev_map_probes(): the cdev of the probe for exactly major:minor."""
    try:
        probe = prog["cdev_map"].probes[major % MAX_DEV].read_()
    except (KeyError, drgn.FaultError):
        return None
    dev = (major << MINORBITS) | minor
    while probe:
        if probe.dev.value_() == dev:
            return drgn.cast("struct cdev *", probe.data)
        probe = probe.next.read_()
    return None


def block_devices(prog: drgn.Program) -> Iterator[DeviceEntry]:
    """crash's dump_blkdevs_v3(): the first blk_major_name of each major_names[] slot and the
    first gendisk of that major among the block device inodes."""
    disks = disks_by_major(prog)
    for entry in prog["major_names"][:MAX_DEV]:
        name = entry.read_()
        if not name:
            continue
        major = name.major.value_()
        disk = disks.get(major)
        yield DeviceEntry(major, name.name.string_().decode(errors="replace"),
                          disk.value_() if disk is not None else 0,
                          disk.fops.value_() if disk is not None else 0)


def disks_by_major(prog: drgn.Program) -> dict[int, drgn.Object]:
    """crash's search_blockdev_inodes() for every major at once: walking the inodes of the
    block device superblock (5.11+: each is the inode after its struct block_device), the
    first gendisk of each major that has block operations."""
    found: dict[int, drgn.Object] = {}
    sb = prog["blockdev_superblock"].read_()
    bdev_size = prog.type("struct block_device").size
    for inode in list_for_each_entry("struct inode", sb.s_inodes.address_of_(), "i_sb_list"):
        try:
            bdev = drgn.Object(prog, "struct block_device", address=inode.value_() - bdev_size)
            disk = bdev.bd_disk.read_()
            if not disk:
                continue
            major = disk.major.value_()
            if major not in found and disk.fops:
                found[major] = disk
        except drgn.FaultError:
            continue
    return found


def class_devices(prog: drgn.Program, name: str) -> Iterator[drgn.Object]:
    """The devices of a class in its klist order, skipping dead nodes (crash's
    next_disk_klist)."""
    subsys = class_to_subsys(prog[name].address_of_())
    head = subsys.klist_devices.k_list.address_of_()
    for node in list_for_each_entry("struct klist_node", head, "n_node"):
        if node.n_klist.value_() & 1:
            continue
        yield drgn.container_of(node, "struct device_private", "knode_class").device.read_()


def disks(prog: drgn.Program) -> Iterator[drgn.Object]:
    """crash's display_all_diskio() walk: the block class's devices of type disk_type."""
    disk_type = prog["disk_type"].address_
    for device in class_devices(prog, "block_class"):
        if device.type.value_() == disk_type:
            bdev = drgn.container_of(device, "struct block_device", "bd_device")
            yield bdev.bd_disk.read_()


def hw_contexts(q: drgn.Object) -> list[drgn.Object]:
    """A queue's hardware contexts: the hctx_table xarray (5.18 to 6.18), else the
    queue_hw_ctx array."""
    try:
        table = q.hctx_table
    except AttributeError:
        return list(q.queue_hw_ctx[:q.nr_hw_queues.value_()])
    kind = q.prog_.type("struct blk_mq_hw_ctx *")
    return [drgn.cast(kind, entry) for _, entry in xa_for_each(table.address_of_())]


def mq_in_flight(q: drgn.Object) -> tuple[int, int]:
    """crash's get_mq_diskio_from_hw_queues(): the queue's requests in flight (reads,
    writes), found through the tags' bitmaps of each hardware context (or the tag set's
    shared tags)."""
    counts = [0, 0]
    tag_set = q.tag_set.read_()
    try:
        shared = tag_set.flags.value_() & q.prog_["BLK_MQ_F_TAG_HCTX_SHARED"].value_()
    except KeyError:
        shared = 0
    if shared and tag_set.type_.type.has_member("shared_tags"):
        count_tags(q, tag_set.shared_tags.read_(), counts)
    else:
        for hctx in hw_contexts(q):
            if not count_tags(q, hctx.tags.read_(), counts):
                break
    return counts[0], counts[1]


def count_tags(q: drgn.Object, tags: drgn.Object, counts: list[int]) -> bool:
    """crash's queue_for_each_hw_ctx(): the reserved tags, then the others; False when the
    tags cannot be read."""
    try:
        reserved = tags.nr_reserved_tags.value_()
        maps = [(tags.breserved_tags, 0)] if reserved else []
        maps.append((tags.bitmap_tags, reserved))
        rqs = tags.rqs.read_()
    except drgn.FaultError:
        return False
    for sbq, offset in maps:
        if sbq.type_.kind == drgn.TypeKind.POINTER:  # before 5.16 the tags pointed at them
            sbq = sbq[0]
        try:
            for bit in sbitmap_for_each_set(sbq.sb.address_of_()):
                rq = rqs[bit + offset].read_()
                if not rq:
                    continue
                if rq.q == q and rq.state.value_() == MQ_RQ_IN_FLIGHT:
                    counts[rq.cmd_flags.value_() & REQ_OP_MASK & 1] += 1
        except drgn.FaultError:  # crash stops the bitmap's walk at a read it cannot make
            continue
    return True


def disk_in_flight(disk: drgn.Object) -> tuple[int, int]:
    """crash's get_diskio_1(): reads and writes in flight; a bio-based queue (no mq_ops)
    counts them in the whole disk's per-CPU stats."""
    q = disk.queue.read_()
    if q.mq_ops:
        return mq_in_flight(q)
    stats = disk.part0.bd_stats.read_()
    counts = [0, 0]
    for cpu in for_each_possible_cpu(disk.prog_):
        flight = per_cpu_ptr(stats, cpu).in_flight
        for i in (0, 1):
            counts[i] += flight[i].a.counter.value_()
    return counts[0], counts[1]
