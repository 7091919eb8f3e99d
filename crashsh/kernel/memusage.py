"""crash's per-task memory figures: VSZ, RSS and %MEM (memory.c get_task_mem_usage()).

crash's RSS is not the kernel's VmRSS: on kernels with SPLIT_RSS_COUNTING (6.1) it adds the
unflushed per-thread counters of every thread in the group, each clamped at 0; from 6.2 the
counters are percpu counters, summed over the CPUs and clamped. %MEM divides by the pages of
the direct map below ``high_memory``, not by totalram.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import drgn
from drgn.helpers.linux.mm import virt_to_phys
from drgn.helpers.linux.percpu import percpu_counter_sum_positive

from crashsh.dumpfacts import facts, per_dump
from crashsh.kernel.tasks import (EXIT_ZOMBIE, PF_EXITING, TaskContext, task_contexts,
                                  thread_groups)

RSS_COUNTERS = ("MM_FILEPAGES", "MM_ANONPAGES", "MM_SHMEMPAGES")


@dataclass(frozen=True)
class TaskMemory:
    """One task's memory as crash's ps shows it (pages; percent of physical memory)."""

    total_vm: int = 0
    rss: int = 0
    percent: float = 0.0


class MemoryUsage:
    """Computes TaskMemory for the tasks of one task table, reading each mm and each thread
    group's counters once."""

    def __init__(self, prog: drgn.Program, table: list[TaskContext]) -> None:
        self.prog = prog
        self.table = table
        self._unflushed: dict[int, int] = {}
        self._mm: dict[int, tuple[int, int]] = {}  # mm address -> (total_vm, its own RSS)
        self._tasks: dict[int, TaskMemory] = {}  # task address -> its memory

    @cached_property
    def total_pages(self) -> int:
        """crash's vt->total_pages: the direct map up to ``high_memory``, in pages."""
        high_memory = virt_to_phys(self.prog["high_memory"]).value_()
        return high_memory >> facts(self.prog).page_shift

    @cached_property
    def counters(self) -> list[int]:
        """The rss_stat indexes crash adds up (MM_SHMEMPAGES exists from 4.5)."""
        indexes = []
        for name in RSS_COUNTERS:
            try:
                indexes.append(self.prog.constant(name).value_())
            except LookupError:
                pass
        return indexes

    @cached_property
    def threads_by_tgid(self) -> dict[int, list[TaskContext]]:
        return thread_groups(self.table)

    def of(self, tc: TaskContext) -> TaskMemory:
        """VSZ, RSS and %MEM of *tc*; zero for zombies, kernel threads and exited mms."""
        found = self._tasks.get(tc.address)
        if found is None:
            found = self._tasks[tc.address] = self.usage(tc)
        return found

    def usage(self, tc: TaskContext) -> TaskMemory:
        address = tc.fields.mm
        if tc.state & EXIT_ZOMBIE or not address:
            return TaskMemory()
        if tc.flags & PF_EXITING and tc.mm.mm_count.counter.value_() <= 0:
            return TaskMemory()
        if address not in self._mm:
            self._mm[address] = tc.mm.total_vm.value_(), self.mm_rss(tc.mm)
        total_vm, rss = self._mm[address]
        if self.split_rss_counting:
            rss += self.unflushed_rss(tc.tgid)
        if tc.is_kthread and not rss:
            return TaskMemory(total_vm, 0)
        return TaskMemory(total_vm, rss, rss * 100 / self.total_pages)

    def mm_rss(self, mm: drgn.Object) -> int:
        """The mm's own counters, each clamped at 0."""
        stat = mm.rss_stat
        try:
            counts = stat.count  # atomic_long_t count[] before 6.2
        except AttributeError:  # 6.2 made rss_stat an array of percpu_counter
            return sum(percpu_counter_sum_positive(stat[i].address_of_()) for i in self.counters)
        return sum(max(counts[i].counter.value_(), 0) for i in self.counters)

    @cached_property
    def split_rss_counting(self) -> bool:
        """Whether tasks cache RSS deltas in ``task->rss_stat`` (removed in 6.2)."""
        return self.prog.type("struct task_struct").has_member("rss_stat")

    def unflushed_rss(self, tgid: int) -> int:
        """The per-thread RSS deltas of every task of the thread group, each clamped at 0."""
        if tgid not in self._unflushed:
            self._unflushed[tgid] = sum(
                max(tc.fields.rss_counts[i], 0)
                for tc in self.threads_by_tgid[tgid]
                for i in self.counters
            )
        return self._unflushed[tgid]


@per_dump
def memory_usage(prog: drgn.Program) -> MemoryUsage:
    """The MemoryUsage of the dump's task table (a dump's mms and counters do not change)."""
    return MemoryUsage(prog, task_contexts(prog))
