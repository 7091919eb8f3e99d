"""The fixtures' ground truth (what the guest saw) against what crashsh reads from the dump.

These also check the lines where crash itself is wrong (UPTIME on 6.12): crashsh must agree
with the guest, not with crash.
"""

from __future__ import annotations

import re

from drgn.helpers.linux.list import list_count_nodes
from drgn.helpers.linux.pid import find_task
from drgn.helpers.linux.slab import find_slab_cache, slab_cache_for_each_allocated_object

from crashsh.commands.system import sys_info
from crashsh.kernel.system import hz
from tests import dumptruth


def test_manifest_processes_are_in_the_dump(kernel, crashsh):
    prog = crashsh.session.prog
    for task in kernel.manifest["tasks"]:
        if task["kthread"] and task["comm"].startswith("kworker"):
            continue  # short-lived workers may come and go in the second before the panic
        found = find_task(prog, task["pid"])
        assert found, task
        assert found.comm.string_().decode() == task["comm"][:15]  # TASK_COMM_LEN - 1


def test_marker_threads_and_panic_task(kernel, crashsh):
    prog = crashsh.session.prog
    threads = kernel.manifest["threads_proc"]
    for tid in threads["tids"]:
        assert find_task(prog, tid).tgid.value_() == threads["pid"]
    panic = crashsh.session.panic_task
    assert panic.comm.string_().decode() == kernel.manifest["panic"]["comm"]
    assert panic.pid.value_() == kernel.manifest["panic"]["pid"]


def test_test_module_state(kernel, crashsh):
    prog = crashsh.session.prog
    truth = kernel.manifest["test_module"]
    cache = find_slab_cache(prog, truth["cache"])
    assert sum(1 for _ in slab_cache_for_each_allocated_object(cache, "void")) == truth["objects"]
    assert list_count_nodes(prog[truth["list"]].address_of_()) == truth["list_nodes"]
    assert prog[truth["param"]].value_() == truth["param_value"]
    assert find_task(prog, truth["kthread_pid"]).comm.string_().decode() == truth["kthread"]
    loaded = {m.name for m in prog.modules() if m.name != "kernel"}
    assert {m["name"] for m in kernel.manifest["modules"]} <= loaded


def test_sys_agrees_with_the_guest(kernel, crashsh):
    info = sys_info(crashsh.session)
    manifest = kernel.manifest
    assert info.release == manifest["release"]
    assert info.cpus == manifest["nr_cpus"]
    assert info.memory == "1 GB"
    assert hz(crashsh.session.prog) == manifest["hz"]
    # crash's UPTIME is wrong on 6.12 (it assumes HZ=1000): crashsh's is the dump's jiffies at
    # the kernel's true HZ, on the scale of the clock of the last log record (the panic)
    prog = crashsh.session.prog
    h, m, s = map(int, re.fullmatch(r"(\d\d):(\d\d):(\d\d)", info.uptime).groups())
    uptime = h * 3600 + m * 60 + s
    assert uptime == dumptruth.uptime_ticks(prog, manifest["hz"]) // manifest["hz"]
    assert dumptruth.on_log_clock_scale(uptime, prog)
