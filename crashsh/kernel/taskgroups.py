"""`runq -g`: the task_group hierarchy and crash's walk of each CPU's queues through it
(task.c dump_tasks_by_task_group and the dump_tasks_in_*_rq functions it calls).

crash prints a group's header when it first reaches one of its queues. A group whose queue is
not on its parent's queue (a throttled, dequeued group) is found through the group list
instead, and its unprinted ancestors' headers are printed first. The walk below keeps that
order in a list of records; "use" marks a header not printed yet on this CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.list import list_for_each

from crashsh.kernel import runqueue
from crashsh.kernel.paths import read_string
from crashsh.records import Address, TaskHeader


@dataclass
class QueuedTask:
    """A task on a run queue: its priority (RT: the queue index; CFS: task->prio), whether it
    is the CPU's running task (`runq -g` [CURRENT]) and its depth below the root group."""

    prio: int
    task: TaskHeader
    current: bool = False
    depth: int = 0


@dataclass
class GroupHeader:
    """A task group met on a CPU: kind "CFS" or "RT" (the queue's class), depth below the root,
    the group, its queue on this CPU, its cgroup name, whether that queue is throttled, and
    for RT the priority crash prints before it."""

    kind: str
    depth: int
    task_group: Address
    queue: Address
    name: str | None
    throttled: bool
    prio: int | None = None


@dataclass
class EmptyQueue:
    """crash's "[no tasks queued]" for a queue (kind CFS or RT) at that depth."""

    kind: str
    depth: int


@dataclass(eq=False)
class TaskGroup:
    """One entry of crash's task_group_info array."""

    group: drgn.Object  # struct task_group
    depth: int
    name: str | None
    parent: TaskGroup | None
    use: bool = False

    @property
    def address(self) -> int:
        return self.group.address_


def root_task_group(prog: drgn.Program) -> tuple[str, drgn.Object]:
    """crash's label and object of the root group: ``init_task_group`` (INIT) on old
    kernels, ``root_task_group`` (ROOT) since."""
    for name, label in (("init_task_group", "INIT"), ("root_task_group", "ROOT")):
        try:
            return label, prog[name]
        except KeyError:
            continue
    raise LookupError("cannot determine root task_group")


def task_groups(root: drgn.Object) -> list[TaskGroup]:
    """Every task group under *root* in pre-order, then stably by depth (crash's
    fill_task_group_info_array and its bubble sort)."""
    found: list[TaskGroup] = []

    def visit(group: drgn.Object, depth: int, parent: TaskGroup | None) -> None:
        entry = TaskGroup(group, depth, task_group_name(group), parent)
        found.append(entry)
        for node in list_for_each(group.children.address_of_()):
            visit(drgn.container_of(node, "struct task_group", "siblings")[0], depth + 1, entry)

    visit(root, 0, None)
    found.sort(key=lambda g: g.depth)
    return found


def task_group_name(group: drgn.Object) -> str | None:
    """crash's get_task_group_name(): the cgroup's kernfs name, "/" for the root cgroup,
    None without a cgroup (an autogroup) or a name."""
    cgroup = group.css.cgroup.read_()
    if not cgroup:
        return None
    node = cgroup.kn.read_()
    if not node:
        return None
    try:
        parent = node.parent.read_()
    except AttributeError:  # 6.15 renamed kernfs_node.parent to __parent
        parent = node.member_("__parent").read_()
    if not parent:
        return "/"
    name = node.name.value_()
    return (read_string(group.prog_, name) or None) if name else None


def flag(obj: drgn.Object, member: str) -> bool:
    """An int member as crash's test of it; False where the kernel lacks the member."""
    try:
        return bool(obj.member_(member).value_())
    except LookupError:
        return False


Queued = Callable[..., "QueuedTask | None"]


class GroupWalk:
    """crash's walk of one CPU's queues through the task groups; *queued* makes a
    QueuedTask for a task address (None for a task not in crash's task table)."""

    def __init__(self, queued: Queued, groups: list[TaskGroup]) -> None:
        self.queued = queued
        self.groups = groups
        self.by_address: dict[int, TaskGroup] = {}
        for group in groups:
            self.by_address.setdefault(group.address, group)

    def reset(self) -> None:
        """crash's reuse_task_group_info_array(): every header but the root's is unprinted."""
        for group in self.groups:
            group.use = group.depth != 0

    # -- CFS ------------------------------------------------------------------------------------
    def cfs(self, cfs_rq: drgn.Object, cpu: int, current: int | None) -> list:
        """The records of the root cfs_rq of *cpu*; *current* is the running task."""
        self.reset()
        out: list = []
        self.cfs_queue(0, cfs_rq, cpu, current, out)
        return out

    def cfs_header(self, group: TaskGroup, cfs_rq: drgn.Object) -> GroupHeader:
        group.use = False
        return GroupHeader("CFS", group.depth, group.address, cfs_rq.value_(), group.name,
                           flag(cfs_rq, "throttled"))

    def cfs_queue(self, depth: int, cfs_rq: drgn.Object, cpu: int, current: int | None,
                  out: list) -> int:
        """dump_tasks_in_task_group_cfs_rq(): the number of entries found."""
        total = 0
        if depth and (group := self.by_address.get(cfs_rq.tg.value_())) is not None:
            out.append(self.cfs_header(group, cfs_rq))
        curr = cfs_rq.curr.read_()
        inner = runqueue.group_queue(curr) if curr else None
        if inner is not None:
            total += 1 + self.cfs_queue(depth + 1, inner, cpu, current, out)
        elif current and curr and runqueue.task_of_entity(curr) == current:
            out.append(self.queued(current, current=True, depth=depth))  # not in the tree
            total += 1
        for entity in runqueue.cfs_entities(cfs_rq):
            inner = runqueue.group_queue(entity)
            if inner is not None:
                total += 1 + self.cfs_queue(depth + 1, inner, cpu, current, out)
            elif (task := self.queued(runqueue.task_of_entity(entity), depth=depth)) is not None:
                out.append(task)
                total += 1
        total += self.cfs_dequeued(depth, cfs_rq, cpu, current, out)
        if not total:
            out.append(EmptyQueue("CFS", depth))
        return total

    def cfs_dequeued(self, depth: int, cfs_rq: drgn.Object, cpu: int, current: int | None,
                     out: list) -> int:
        """dump_tasks_in_lower_dequeued_cfs_rq(): child groups not on this queue's tree."""
        total = 0
        for group in self.groups:
            if not group.use or group.depth - depth != 1:
                continue
            if cfs_rq.tg.value_() != group.parent.address:
                continue
            child = group.group.cfs_rq[cpu].read_()
            if child == cfs_rq:
                continue
            if not queued_count(child):
                total += self.cfs_dequeued(depth + 1, child, cpu, current, out)
                continue
            self.cfs_parents(group, cpu, out)
            total += 1 + self.cfs_queue(depth + 1, child, cpu, current, out)
        return total

    def cfs_parents(self, group: TaskGroup, cpu: int, out: list) -> None:
        """print_parent_task_group_fair(): the unprinted ancestors' headers, outermost first."""
        parent = group.parent
        if parent is None or not parent.use:
            return
        self.cfs_parents(parent, cpu, out)
        out.append(self.cfs_header(parent, parent.group.cfs_rq[cpu].read_()))

    # -- RT (CONFIG_RT_GROUP_SCHED) -------------------------------------------------------------
    def rt(self, rt_rq: drgn.Object, cpu: int) -> list:
        """The records of the root rt_rq of *cpu*."""
        self.reset()
        out: list = []
        self.rt_queue(0, rt_rq, cpu, out, None)
        return out

    def rt_header(self, group: TaskGroup, rt_rq: drgn.Object, prio: int | None) -> GroupHeader:
        group.use = False
        return GroupHeader("RT", group.depth, group.address, rt_rq.value_(), group.name,
                           flag(rt_rq, "rt_throttled"), prio)

    def rt_queue(self, depth: int, rt_rq: drgn.Object, cpu: int, out: list,
                 prio: int | None) -> None:
        """dump_tasks_in_task_group_rt_rq(); *prio* is what the caller printed before the
        group's header."""
        if depth and (group := self.by_address.get(rt_rq.tg.value_())) is not None:
            out.append(self.rt_header(group, rt_rq, prio))
        total = 0
        for index, entity in runqueue.rt_entities(rt_rq.active):
            inner = runqueue.group_queue(entity)
            if inner is not None:
                total += 1
                self.rt_queue(depth + 1, inner, cpu, out, index)
            elif (task := self.queued(runqueue.task_of_rt_entity(entity), index,
                                      depth=depth)) is not None:
                out.append(task)
                total += 1
        total += self.rt_dequeued(depth, rt_rq, cpu, out)
        if not total:
            out.append(EmptyQueue("RT", depth))

    def rt_dequeued(self, depth: int, rt_rq: drgn.Object, cpu: int, out: list) -> int:
        """dump_tasks_in_lower_dequeued_rt_rq()."""
        total = 0
        for group in self.groups:
            delta = group.depth - depth
            if delta > 1:
                break
            if not group.use or delta < 1 or rt_rq.tg.value_() != group.parent.address:
                continue
            child = group.group.rt_rq[cpu].read_()
            if child == rt_rq:
                continue
            if not child.rt_nr_running.value_():
                total += self.rt_dequeued(depth + 1, child, cpu, out)
                continue
            self.rt_parents(group, cpu, out)
            total += 1
            self.rt_queue(depth + 1, child, cpu, out, child.highest_prio.curr.value_())
        return total

    def rt_parents(self, group: TaskGroup, cpu: int, out: list) -> None:
        """print_parent_task_group_rt(): crash prints the grandparents with the fair
        function, then the parent's RT header."""
        parent = group.parent
        if parent is None or not parent.use:
            return
        self.cfs_parents(parent, cpu, out)
        rt_rq = parent.group.rt_rq[cpu].read_()
        out.append(self.rt_header(parent, rt_rq, rt_rq.highest_prio.curr.value_()))


def queued_count(cfs_rq: drgn.Object) -> int:
    """cfs_rq's count of queued entities: ``nr_running``, ``nr_queued`` since 6.14."""
    try:
        return cfs_rq.nr_running.value_()
    except AttributeError:
        return cfs_rq.nr_queued.value_()
