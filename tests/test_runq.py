"""runq: the running tasks and clocks against drgn and the manifest, and the queue walks on
queues built over the dump's own tasks (the fixtures' queues hold only the running tasks, so
the walks are exercised by laying a small RT list, CFS tree and two task groups over the
dump's memory in a separate drgn Program)."""

from __future__ import annotations

import drgn
import pytest
from drgn.helpers.linux.pid import find_task
from drgn.helpers.linux.sched import cpu_curr, cpu_rq, rq_for_each_fair_task, task_cpu

from crashsh.commands.runq import RunqView, RunQueues, RunqTaskGroups
from crashsh.kernel import tasks
from crashsh.render.plain import plain
from tests.differential.runner import run_json, run_rich
from tests.overlay import FAKE, Overlay


def test_each_cpus_current_task_and_queue(kernel, crashsh):
    prog = crashsh.session.prog
    for row in run_json(crashsh, "runq")["cpus"]:
        rq = cpu_rq(prog, row["cpu"])
        assert row["runqueue"] == hex(rq.value_())
        assert row["current_task"] == hex(cpu_curr(prog, row["cpu"]).value_())
        assert row["nr_running"] == rq.nr_running.value_()
        # crash lists the CFS tree, which the running task is not in, and the RT queues
        fair = {hex(t.value_()) for t in rq_for_each_fair_task(rq)} - {row["current_task"]}
        assert {entry["task"]["task"] for entry in row["cfs"]} == fair
        assert len(row["rt"]) == rq.rt.rt_nr_running.value_()


def test_the_panic_task_is_current_on_its_cpu(kernel, crashsh):
    prog = crashsh.session.prog
    panic = find_task(prog, kernel.manifest["panic"]["pid"])
    cpu = task_cpu(panic)
    row = run_json(crashsh, "runq")["cpus"][cpu]
    assert row["current"]["pid"] == kernel.manifest["panic"]["pid"]
    groups = run_json(crashsh, "runq -g")["cpus"][cpu]
    assert groups["cfs_rq"] == hex(cpu_rq(prog, cpu).cfs.address_)
    entry = next(item for item in groups["cfs"] if "task" in item)
    assert entry["task"]["task"] == hex(panic.value_()) and entry["current"]


def test_timestamps_and_run_times(kernel, crashsh):
    prog = crashsh.session.prog
    stamps = run_json(crashsh, "runq -t")["cpus"]
    times = run_json(crashsh, "runq -m")["cpus"]
    for stamp, run_time in zip(stamps, times):
        rq = cpu_rq(prog, stamp["cpu"])
        last = rq.curr.sched_info.last_arrival.value_()
        assert stamp["clock"] == rq.clock.value_() and stamp["last_run"] == last
        assert run_time["run_time"] == max(rq.clock.value_() - last, 0)
    lags = run_json(crashsh, "runq -T")["cpus"]
    assert lags[0]["seconds"] == 0 and [lag["seconds"] for lag in lags] == sorted(
        lag["seconds"] for lag in lags)
    latest = max(stamp["clock"] for stamp in stamps)
    for lag in lags:
        assert lag["seconds"] == pytest.approx((latest - stamps[lag["cpu"]]["clock"]) / 1e9)


def test_on_rq_lists_every_queued_task_of_crashs_table(kernel, crashsh):
    prog = crashsh.session.prog
    listed = {row["cpu"]: [int(t["task"]["task"], 16) for t in row["tasks"]]
              for row in run_json(crashsh, "runq -d")["cpus"]}
    for cpu, found in listed.items():
        expected = [tc.address for tc in tasks.task_contexts(prog)
                    if tc.cpu == cpu and tc.task.on_rq.value_()]
        assert found == expected and cpu_curr(prog, cpu).value_() in found


# -- queues laid over the dump ------------------------------------------------------------------
@pytest.fixture(scope="module")
def laid(kernel):
    """A Program on the kdump with: one task on an RT queue of the panic CPU, a CFS tree
    B < A > group G (holding D), and a throttled group H off the tree (holding E)."""
    prog = drgn.Program()
    prog.set_core_dump(kernel.dump())
    prog.load_debug_info([kernel.vmlinux])
    panic = find_task(prog, kernel.manifest["panic"]["pid"])
    cpu = task_cpu(panic)
    busy = {cpu_curr(prog, c).value_() for c in tasks.online_cpus(prog)}
    a, b, d, e, f = [tc.task for tc in tasks.task_contexts(prog)
                     if tc.pid and tc.address not in busy][:5]
    off = lambda type_name, member: drgn.offsetof(prog.type(type_name), member)  # noqa: E731
    node = lambda task: task.value_() + off("struct task_struct", "se.run_node")  # noqa: E731
    o = Overlay(prog)
    rq = cpu_rq(prog, cpu)
    root = prog["root_task_group"]
    g_se, g_cfs, g_tg = (o.alloc("struct sched_entity"), o.alloc("struct cfs_rq"),
                         o.alloc("struct task_group"))
    h_cfs, h_tg = o.alloc("struct cfs_rq"), o.alloc("struct task_group")
    g_rqs, h_rqs = FAKE + 0x3000, FAKE + 0x3800
    g_node = g_se + off("struct sched_entity", "run_node")
    # the root tree: A with B on its left and group G's entity on its right
    o.put(rq.cfs.tasks_timeline.address_, node(a), node(b))
    o.put(node(a), 1, g_node, node(b))
    o.put(node(b), node(a) | 1, 0, 0)
    o.put(g_node, node(a) | 1, 0, 0)
    o.put(g_se + off("struct sched_entity", "my_q"), g_cfs)
    # the groups: G holds D on its tree, H (throttled, not on the root tree) holds E
    for tg, cfs, rqs, task in ((g_tg, g_cfs, g_rqs, d), (h_tg, h_cfs, h_rqs, e)):
        o.put(cfs + off("struct cfs_rq", "tg"), tg)
        o.put(cfs + off("struct cfs_rq", "tasks_timeline"), node(task), node(task))
        o.put(node(task), 1, 0, 0)
        o.put(rqs + 8 * cpu, cfs)
        o.put(tg + off("struct task_group", "cfs_rq"), rqs)
        children = tg + off("struct task_group", "children")
        o.put(children, children, children)
    o.put(h_cfs + off("struct cfs_rq", "nr_running"), 1)
    o.put(h_cfs + off("struct cfs_rq", "throttled"), 1)
    siblings = lambda tg: tg + off("struct task_group", "siblings")  # noqa: E731
    head = root.children.address_
    o.put(head, siblings(g_tg), siblings(h_tg))
    o.put(siblings(g_tg), siblings(h_tg), head)
    o.put(siblings(h_tg), head, siblings(g_tg))
    # task F on RT queue 10
    queue = rq.rt.active.queue[10].address_
    run_list = f.value_() + off("struct task_struct", "rt.run_list")
    o.put(queue, run_list, run_list)
    o.put(run_list, queue, queue)
    o.install()
    return prog, cpu, panic, dict(a=a, b=b, d=d, e=e, f=f, g=(g_tg, g_cfs), h=(h_tg, h_cfs))


def ident(task: drgn.Object) -> str:
    return (f'PID: {task.pid.value_():<5d}  TASK: {task.value_():x}  '
            f'COMMAND: "{task.comm.string_().decode()}"')


def text(data) -> list[str]:
    return "".join(plain(data)).splitlines()


def test_runq_lists_the_laid_queues(laid):
    prog, cpu, panic, t = laid
    view = RunqView(prog, [cpu])
    lines = text(RunQueues([view.queue(cpu)]))
    prio = lambda task: task.prio.value_()  # noqa: E731
    rq = cpu_rq(prog, cpu)
    assert lines[2:] == [
        f"  RT PRIO_ARRAY: {rq.rt.active.address_:x}",
        f"     [ 10] {ident(t['f'])}",
        f"  CFS RB_ROOT: {rq.cfs.tasks_timeline.address_:x}",
        f"     [{prio(t['b']):3d}] {ident(t['b'])}",
        f"     [{prio(t['a']):3d}] {ident(t['a'])}",
        f"     [{prio(t['d']):3d}] {ident(t['d'])}",
    ]


def test_runq_g_walks_the_laid_groups(laid):
    prog, cpu, panic, t = laid
    view = RunqView(prog, [cpu])
    lines = text(RunqTaskGroups(view.task_groups()))
    prio = lambda task: task.prio.value_()  # noqa: E731
    (g_tg, g_cfs), (h_tg, h_cfs) = t["g"], t["h"]
    assert lines[3:] == [
        f"     [{prio(panic):3d}] {ident(panic)} [CURRENT]",
        f"     [{prio(t['b']):3d}] {ident(t['b'])}",
        f"     [{prio(t['a']):3d}] {ident(t['a'])}",
        f"     TASK_GROUP: {g_tg:x}  CFS_RQ: {g_cfs:x} ",
        f"        [{prio(t['d']):3d}] {ident(t['d'])}",
        f"     TASK_GROUP: {h_tg:x}  CFS_RQ: {h_cfs:x}  (THROTTLED)",
        f"        [{prio(t['e']):3d}] {ident(t['e'])}",
    ]


def test_rich_view_marks_the_busiest_cpu(kernel, crashsh):
    prog = crashsh.session.prog
    counts = {cpu: cpu_rq(prog, cpu).nr_running.value_() for cpu in tasks.online_cpus(prog)}
    top = max(counts.values())
    marked = [line for line in run_rich(crashsh, "runq").splitlines() if "(busiest)" in line]
    busiest = [cpu for cpu, count in counts.items() if count == top]
    if top and len(busiest) == 1:
        assert len(marked) == 1 and marked[0].startswith(f"CPU {busiest[0]} ")
    else:
        assert not marked
