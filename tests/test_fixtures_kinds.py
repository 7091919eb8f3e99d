"""The fixture pipeline's panic kinds: each dump really panicked the way its manifest says (read
with drgn alone), and the main fixture's SysV IPC objects and swap device are in the dump as the
guest saw them."""

from __future__ import annotations

import os
import re

import drgn
import pytest
from drgn import container_of
from drgn.helpers.linux.fs import d_path
from drgn.helpers.linux.idr import idr_for_each
from drgn.helpers.linux.pid import find_task
from drgn.helpers.linux.printk import get_dmesg
from drgn.helpers.linux.sched import task_state_to_char

from tests.differential.fixtures import MAIN_KIND, find_fixture

# where the kernel keeps each sysctl the pipeline sets (kernel/hung_task.c, kernel/watchdog.c,
# kernel/panic.c, mm/oom_kill.c)
SYSCTL_VARIABLES = {
    "kernel.panic_on_oops": "panic_on_oops",
    "kernel.hung_task_panic": "sysctl_hung_task_panic",
    "kernel.hung_task_timeout_secs": "sysctl_hung_task_timeout_secs",
    "kernel.softlockup_panic": "softlockup_panic",
    "kernel.watchdog_thresh": "watchdog_thresh",
    "vm.panic_on_oom": "sysctl_panic_on_oom",
}
IPC_IDS = {"sem": 0, "msg": 1, "shm": 2}  # init_ipc_ns.ids[]: IPC_SEM_IDS, IPC_MSG_IDS, IPC_SHM_IDS


def drgn_program(fixture) -> drgn.Program:
    """The kdump of *fixture* in a plain drgn Program (vmlinux and the test module)."""
    prog = drgn.Program()
    prog.set_core_dump(fixture.dump("kdump"))
    try:
        prog.load_debug_info([fixture.vmlinux,
                              os.path.join(fixture.root, fixture.manifest["test_module_ko"])])
    except drgn.MissingDebugInfoError:
        pass  # the other modules' debug info is not needed here
    return prog


@pytest.fixture(scope="session")
def dump(panic_dump) -> drgn.Program:
    """The kdump of *panic_dump* in a plain drgn Program."""
    return drgn_program(panic_dump)


def frames(trace: drgn.StackTrace) -> list[tuple[str | None, str]]:
    """(function, module) of each frame; the module is "kernel" for vmlinux."""
    prog = trace.prog
    out = []
    for frame in trace:
        try:
            module = prog.module(frame.pc).name
        except LookupError:
            module = "?"
        out.append((frame.name, module))
    return out


def test_manifest_names_the_kind(panic_dump):
    manifest = panic_dump.manifest
    assert manifest["kind"] == manifest["panic"]["kind"] == panic_dump.kind
    want = {"kdump", "elf"} if panic_dump.kind == MAIN_KIND else {"kdump"}
    assert set(manifest["dumps"]) == want
    for name in manifest["dumps"].values():
        assert (panic_dump.root / name).is_file()


def test_kinds_share_the_main_fixtures_kernel(panic_dump):
    main = find_fixture(panic_dump.series)
    assert main is not None
    assert os.path.samefile(panic_dump.vmlinux, main.vmlinux)
    assert panic_dump.manifest["kernel_version"] == main.manifest["kernel_version"]


def test_log_shows_the_panic(panic_dump, dump):
    """Every line the pipeline expects for its kind (the oops/BUG/hung-task/lockup/OOM report
    with the task, and panic()'s own line where it panics) is in the dump's log buffer."""
    log = get_dmesg(dump).decode(errors="replace")
    panic = panic_dump.manifest["panic"]
    for pattern in panic["log"]:
        assert re.search(pattern, log), pattern
    if panic["message"] is None:  # oops/BUG: crash_kexec() before panic("Fatal exception")
        assert "Kernel panic - not syncing" not in log


def test_crashed_task_is_the_manifests(panic_dump, dump):
    panic = panic_dump.manifest["panic"]
    crashed = dump.crashed_thread()
    assert crashed.tid == panic["pid"]
    assert crashed.object.comm.string_().decode() == panic["comm"]


def test_triggering_function_and_module_are_on_the_stack(panic_dump, dump):
    """The function the pipeline made panic is on the crashing task's stack, in its module; for a
    hung task it is on the blocked task's stack, in D state."""
    panic = panic_dump.manifest["panic"]
    blocked = panic.get("blocked")
    if blocked:
        task = find_task(dump, blocked["pid"])
        assert task.comm.string_().decode() == blocked["comm"]
        assert task_state_to_char(task) == blocked["state"]
        trace = dump.stack_trace(task)
    else:
        trace = dump.crashed_thread().stack_trace()
    assert (panic["function"], panic["module"] or "kernel") in frames(trace)


def test_oops_and_bug_fault_in_the_function_itself(faulting_dump):
    """An oops or BUG's registers are the faulting instruction's: the stack starts in the
    function (for a BUG, at the BUG_ON's line)."""
    panic = faulting_dump.manifest["panic"]
    assert panic["kind"] == faulting_dump.kind
    top = drgn_program(faulting_dump).crashed_thread().stack_trace()[0]
    assert top.name == panic["function"]
    if panic["kind"] == "bug":
        filename, line, _column = top.source()
        assert os.path.basename(filename) == panic["file"]
        assert line == panic["line"]


def test_the_kinds_sysctls_are_set_in_the_dump(panic_dump, dump):
    for name, value in panic_dump.manifest["panic"]["sysctl"].items():
        assert dump[SYSCTL_VARIABLES[name]].value_() == int(value), name


# -- the main fixture's workload: SysV IPC and swap ------------------------------------------------
def ipc_objects(prog: drgn.Program, kind: str) -> dict[int, tuple[int, drgn.Object]]:
    """id -> (idr index, struct kern_ipc_perm) of the init IPC namespace's objects of *kind*."""
    ids = prog["init_ipc_ns"].ids[IPC_IDS[kind]]
    perms = ((index, drgn.cast("struct kern_ipc_perm *", entry))
             for index, entry in idr_for_each(ids.ipcs_idr))
    return {perm.id.value_(): (index, perm) for index, perm in perms}


@pytest.mark.parametrize("kind, struct, member, id_column", [
    ("shm", "struct shmid_kernel", "shm_perm", "shmid"),
    ("sem", "struct sem_array", "sem_perm", "semid"),
    ("msg", "struct msg_queue", "q_perm", "msqid"),
])
def test_sysvipc_objects_match_the_guest(kernel, crashsh, kind, struct, member, id_column):
    rows = kernel.manifest["sysvipc"][kind]
    assert rows, f"the workload made no {kind} object"
    objects = ipc_objects(crashsh.session.prog, kind)
    assert sorted(objects) == sorted(row[id_column] for row in rows)
    for row in rows:
        index, perm = objects[row[id_column]]
        assert row[id_column] != index  # the workload made the ids carry a sequence number
        assert perm.key.value_() == row["key"]
        assert perm.uid.val.value_() == row["uid"] and perm.gid.val.value_() == row["gid"]
        assert perm.cuid.val.value_() == row["cuid"]
        assert perm.mode.value_() == int(row["perms"], 8)
        obj = container_of(perm, struct, member)
        if kind == "shm":
            assert obj.shm_segsz.value_() == row["size"]
            assert obj.shm_nattch.value_() == row["nattch"]
            assert obj.shm_cprid.numbers[0].nr.value_() == row["cpid"]
        elif kind == "sem":
            assert obj.sem_nsems.value_() == row["nsems"]
        else:
            assert obj.q_qnum.value_() == row["qnum"] >= 3
            assert obj.q_cbytes.value_() == row["cbytes"]


def test_swap_device_matches_the_guest(kernel, crashsh):
    prog = crashsh.session.prog
    swaps = kernel.manifest["swaps"]
    assert len(swaps) == 1 and swaps[0]["used_kb"] > 0
    areas = [prog["swap_info"][i] for i in range(prog["nr_swapfiles"].value_())]
    used = [si for si in areas if si.flags.value_() & 1]  # SWP_USED
    assert len(used) == 1
    si, want = used[0], swaps[0]
    page_kb = prog["PAGE_SIZE"].value_() // 1024
    assert d_path(si.swap_file.f_path).decode() == want["filename"]
    assert si.pages.value_() * page_kb == want["size_kb"]
    assert si.inuse_pages.value_() * page_kb == want["used_kb"]
    assert si.prio.value_() == want["priority"]
    assert 0 < kernel.manifest["swapper"]["swap_bytes"] <= want["used_kb"] * 1024
