"""Run queues as crash walks them (task.c): the RT priority arrays and the CFS red-black trees."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import drgn
from drgn.helpers.linux.list import list_for_each
from drgn.helpers.linux.rbtree import rbtree_inorder_for_each_entry


def group_queue(entity: drgn.Object) -> drgn.Object | None:
    """A scheduling entity's own queue (``my_q``) when it stands for a group, else None
    (kernels without group scheduling have no ``my_q``)."""
    try:
        queue = entity.my_q.read_()
    except AttributeError:
        return None
    return queue if queue else None


def rt_entities(prio_array: drgn.Object) -> Iterator[tuple[int, drgn.Object]]:
    """(queue index, ``struct sched_rt_entity *``) of every entity of an ``rt_prio_array``, the
    queues in index order; the list heads are read in one block and empty queues skipped."""
    prog = prio_array.prog_
    queues = prio_array.queue
    base = queues.address_
    count = len(queues)
    words = struct.unpack(f"<{2 * count}Q", prog.read(base, 16 * count))
    entity = prog.type("struct sched_rt_entity")
    for i in range(count):
        head = base + 16 * i
        if words[2 * i] == head and words[2 * i + 1] == head:
            continue
        for node in list_for_each(drgn.Object(prog, "struct list_head *", head)):
            yield i, drgn.container_of(node, entity, "run_list")


def cfs_entities(cfs_rq: drgn.Object) -> Iterator[drgn.Object]:
    """The ``struct sched_entity *`` of a cfs_rq's tree in order (none when crash's
    ``rb_leftmost`` test finds the cached leftmost node empty)."""
    timeline = cfs_rq.tasks_timeline
    if not timeline.rb_leftmost:
        return iter(())
    return rbtree_inorder_for_each_entry("struct sched_entity", timeline.rb_root.address_of_(),
                                         "run_node")


def task_of_entity(entity: drgn.Object) -> int:
    """The address of the task around a fair entity (``task_struct.se``)."""
    return drgn.container_of(entity, "struct task_struct", "se").value_()


def task_of_rt_entity(entity: drgn.Object) -> int:
    """The address of the task around an RT entity (``task_struct.rt``)."""
    return drgn.container_of(entity, "struct task_struct", "rt").value_()
