"""crashsh triage: the verdict on each fixture against the pipeline's manifest and drgn's own
view of the dump; a fleet of copies triaged in this process, in a pool and on a local Dask
cluster with the same answers; the pure classification rules."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields

import pytest
from drgn.helpers.linux.sched import task_cpu

from crashsh.triage import classify
from crashsh.triage.classify import StackFrame
from crashsh.kernel.stack.records import ExceptionFrame, Frame, Registers
from crashsh.records import Address, Word
from crashsh.triage.report import Panic, looping, triage
from tests.test_json import walk

pytestmark = pytest.mark.vmcore


def run_triage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crashsh", "triage", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def report(crashsh):
    return triage(crashsh.session)


def drgn_cause(prog) -> str:
    """The first frame of the crashing thread, by drgn's unwinder, that is not machinery."""
    thread = prog.crashed_thread()
    names = [frame.name for frame in thread.stack_trace() if frame.name]
    return next(classify.base_name(n) for n in names if not classify.is_machinery(n))


def test_sysrq_verdict(kernel, crashsh, report):
    prog = crashsh.session.prog
    panic = kernel.manifest["panic"]
    assert report.panic.kind == "sysrq"
    assert (report.panic.pid, report.panic.comm) == (panic["pid"], panic["comm"])
    assert report.panic.cpu == task_cpu(prog.crashed_thread().object)
    assert report.panic.function is None  # nothing faulted
    assert report.signature == f"sysrq: {drgn_cause(prog)}"
    assert report.kernel.release == kernel.manifest["release"]
    assert report.kernel.cpus == kernel.manifest["nr_cpus"]


def test_taint_names_the_test_module(kernel, crashsh, report):
    mask = crashsh.session.prog["tainted_mask"].value_()
    assert report.taint.value == mask
    assert [r.bit for r in report.taint.reasons] == [b for b in range(64) if mask >> b & 1]
    expected = {m["name"]: m["taint"] for m in kernel.manifest["modules"] if m["taint"]}
    assert {m.name: m.taints for m in report.taint.modules} == expected


def test_memory_and_log(kernel, crashsh, report):
    assert report.memory.total == kernel.manifest["meminfo"]["MemTotal"]
    assert 0 < report.memory.available <= report.memory.total
    sizes = [c.size for c in report.memory.top_slab_caches]
    assert sizes == sorted(sizes, reverse=True) and sizes
    assert any("Kernel panic" in line.text for line in report.warnings)
    assert report.log_tail and report.hung_tasks == [] and report.oom is None


def test_signature_is_the_same_on_every_kernel(kernel):
    """The same cause (sysrq c) on the 6.1 and 6.12 kernels gives one signature."""
    from tests.differential.fixtures import available

    fixtures = available()
    if len(fixtures) < 2:
        pytest.skip("needs both kernel series")
    signatures = set()
    for fixture in fixtures:
        proc = run_triage("--json", "-d", fixture.moddir, fixture.vmlinux, fixture.dump())
        assert proc.returncode == 0, proc.stderr
        signatures.add(json.loads(proc.stdout)["signature"])
    assert len(signatures) == 1


def test_every_panic_kind_gets_the_manifests_verdict(panic_dump):
    """Each pipeline panic kind (sysrq, oops, BUG, hung task, soft lockup, OOM) on each kernel:
    kind, crashed task, faulting function and module, and a signature naming the function the
    pipeline made panic (for a hung task, the blocked task's)."""
    proc = run_triage("--json", "-d", panic_dump.moddir, panic_dump.vmlinux, panic_dump.dump())
    assert proc.returncode == 0, proc.stderr
    report, want = json.loads(proc.stdout), panic_dump.manifest["panic"]
    panic = report["panic"]
    assert panic["kind"] == want["kind"] == panic_dump.kind
    assert (panic["pid"], panic["comm"]) == (want["pid"], want["comm"])
    module = f" [{want['module']}]" if want["module"] else ""
    if want["kind"] in ("oops", "bug", "soft_lockup"):
        assert (panic["function"], panic["module"]) == (want["function"], want["module"])
        assert report["signature"] == f"{want['kind']}: {want['function']}{module}"
    if want["kind"] == "bug":
        assert (panic["file"].rsplit("/", 1)[-1], panic["line"]) == (want["file"], want["line"])
    if want["kind"] == "hung_task":
        blocked = want["blocked"]
        first = report["hung_tasks"][0]["tasks"][0]
        assert (first["pid"], first["comm"]) == (blocked["pid"], blocked["comm"])
        timeout = int(want["sysctl"]["kernel.hung_task_timeout_secs"])
        assert first["blocked"] >= timeout  # the detector panics after the timeout
        assert report["signature"] == f"hung_task: {blocked['function']} [{blocked['module']}]"
    if want["kind"] == "soft_lockup":
        assert [lockup["pid"] for lockup in report["lockups"]] == [want["pid"]]
    if want["kind"] == "oom":
        assert report["signature"] == "oom: page_fault"  # the workload faults in user memory
        assert report["oom"]["report"]


def test_one_dump_plain_and_json(kernel):
    proc = run_triage("-d", kernel.moddir, kernel.vmlinux, kernel.dump())
    assert proc.returncode == 0 and not proc.stderr
    assert "\x1b[" not in proc.stdout  # piped: plain text
    assert proc.stdout.startswith(f"KERNEL     {kernel.manifest['release']} ")
    document = json.loads(run_triage("--json", "-d", kernel.moddir, kernel.vmlinux,
                                     kernel.dump("elf")).stdout)
    assert document["panic"]["kind"] == "sysrq"
    assert document["panic"]["pid"] == kernel.manifest["panic"]["pid"]
    problems: list[str] = []
    walk(document, "triage", problems)  # the JSON rules of every command's documents
    assert not problems
    if document["panic"]["address"] is not None:
        assert document["panic"]["address"].startswith("0x")


# -- fleet ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """/var/crash-style directories with two links to every fixture dump (both formats of the
    sysrq fixtures, the kdump of every other panic kind), a debug root with each release's vmlinux and
    modules, and a file that is no dump."""
    from tests.conftest import missing
    from tests.differential.fixtures import KINDS, MAIN_KIND, SERIES, find_fixture, fleet_layout

    dumps = []
    for series in SERIES:
        for kind in KINDS:
            fixture = find_fixture(series, kind)
            if fixture is None:
                missing(f"no {series} {kind} fixture: run tests/fixtures/build.sh {series}")
            dumps += [(fixture, dump) for dump in ("kdump", "elf")
                      if dump == "kdump" or kind == MAIN_KIND]
    base = tmp_path_factory.mktemp("fleet")
    crash_dir, root, expected = fleet_layout(base, dumps, copies=2)  # tens of dumps
    (base / "vmcore.txt").write_text("not a dump\n")
    return crash_dir, root, base / "vmcore.txt", expected


def fleet_run(fleet, *engine: str) -> tuple[int, dict]:
    crash_dir, root, junk, _expected = fleet
    proc = run_triage("--json", *engine, "-r", str(root), str(crash_dir), str(junk))
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def in_pool(fleet):
    return fleet_run(fleet, "--jobs", "2")


def test_fleet_in_process_and_pool_agree(fleet, in_pool):
    """Every dump triaged, the junk file an error entry, and one cluster per panic kind that
    holds that kind's dumps of both kernels."""
    _crash, _root, junk, expected = fleet
    rc, one = fleet_run(fleet, "--jobs", "1")
    assert rc == 1  # the junk file could not be triaged; the run went on
    errors = {d["dump"]: d["error"] for d in one["dumps"] if "error" in d}
    assert list(errors) == [str(junk)]
    good = [d for d in one["dumps"] if "error" not in d]
    assert {d["dump"]: d["kernel"]["release"] for d in good} == {
        path: fixture.manifest["release"] for path, fixture in expected.items()}
    by_kind = {}
    for path, fixture in expected.items():
        by_kind.setdefault(fixture.kind, set()).add(path)
    assert sorted(sorted(c["dumps"]) for c in one["clusters"]) == sorted(
        sorted(paths) for paths in by_kind.values())
    for cluster in one["clusters"]:
        releases = {expected[path].manifest["release"] for path in cluster["dumps"]}
        assert sorted(cluster["kernels"]) == sorted(releases)
    assert in_pool == (rc, one)


def test_fleet_on_a_dask_cluster(fleet, in_pool):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        on_dask = fleet_run(fleet, "--scheduler", cluster.scheduler_address)
    assert on_dask == in_pool


def test_a_dump_without_its_vmlinux_gets_an_error_entry(kernel, tmp_path):
    (tmp_path / "host/").mkdir()
    (tmp_path / "host/vmcore").symlink_to(kernel.dump())
    (tmp_path / "root").mkdir()
    proc = run_triage("--json", "--jobs", "1", "-r", str(tmp_path / "root"), str(tmp_path / "host"))
    assert proc.returncode == 1
    (entry,) = json.loads(proc.stdout)["dumps"]
    assert entry == {"dump": str(tmp_path / "host/vmcore"),
                     "error": f"no vmlinux for {kernel.manifest['release']} under "
                              f"{tmp_path / 'root'}"}


def test_missing_path_is_one_line():
    proc = run_triage("/nonexistent/vmcore")
    assert proc.returncode == 1
    assert proc.stderr == "crashsh triage: /nonexistent/vmcore: No such file or directory\n"


def test_json_failures_are_error_objects(kernel, tmp_path):
    """With --json a run that triaged nothing gives an error object on stdout, exit status 1."""
    proc = run_triage("--json", "/nonexistent/vmcore")
    assert (proc.returncode, proc.stderr) == (1, "")
    assert json.loads(proc.stdout) == {"error": "/nonexistent/vmcore: No such file or directory"}
    (tmp_path / "root").mkdir()
    proc = run_triage("--json", "-r", str(tmp_path / "root"), kernel.dump())
    assert (proc.returncode, proc.stderr) == (1, "")
    assert json.loads(proc.stdout) == {
        "dump": kernel.dump(),
        "error": f"no vmlinux for {kernel.manifest['release']} under {tmp_path / 'root'}"}


# -- the rules (pure logic) ----------------------------------------------------------------------
@pytest.mark.parametrize("message, log, stack, kind", [
    ("Kernel panic - not syncing: sysrq triggered crash", [], [], "sysrq"),
    ("Kernel panic - not syncing: hung_task: blocked tasks", [], [], "hung_task"),
    ("Kernel panic - not syncing: softlockup: hung tasks", [], [], "soft_lockup"),
    ("Kernel panic - not syncing: Hard LOCKUP", [], [], "hard_lockup"),
    ("Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled", [], [],
     "oom"),
    ("Kernel panic - not syncing: Fatal exception",
     ["kernel BUG at drivers/x.c:12!", "invalid opcode: 0000 [#1] SMP"], [], "bug"),
    ("Kernel panic - not syncing: Fatal exception",  # 6.12's BUG report
     ["kernel BUG at drivers/x.c:12!", "Oops: invalid opcode: 0000 [#1] PREEMPT SMP"], [], "bug"),
    ("Kernel panic - not syncing: Fatal exception",
     ["BUG: kernel NULL pointer dereference, address: 0000000000000000", "Oops: 0002 [#1]"], [],
     "oops"),
    ("Kernel panic - not syncing: kernel: panic_on_warn set ...", [], [], "warn"),
    ("Kernel panic - not syncing: something new", [], [StackFrame("watchdog_timer_fn")],
     "soft_lockup"),
    ("Kernel panic - not syncing: something new", [], [], "other"),
])
def test_panic_kind(message, log, stack, kind):
    assert classify.panic_kind(message, log, stack) == kind


def test_signature_skips_machinery_and_clone_suffixes():
    stack = [StackFrame("machine_kexec"), StackFrame("__crash_kexec"), StackFrame("panic"),
             StackFrame("oops_end"), StackFrame("page_fault_oops"), StackFrame("exc_page_fault"),
             StackFrame("asm_exc_page_fault"), StackFrame("my_func.isra.0", "mymod")]
    cause = classify.first_cause(stack)
    assert classify.signature("oops", cause) == "oops: my_func [mymod]"
    assert classify.signature("other", None) == "other"
    blocked = [StackFrame("__schedule"), StackFrame("schedule"), StackFrame("schedule_timeout"),
               StackFrame("mutex_lock"), StackFrame("stuck_fn", "mymod")]
    assert classify.signature("hung_task", classify.first_cause(blocked)) == \
        "hung_task: stuck_fn [mymod]"


def test_oom_cause_is_the_allocating_caller_or_a_user_page_fault():
    def frames(*names):
        return [StackFrame(n) for n in names]

    head = ("machine_kexec", "__crash_kexec", "panic", "out_of_memory.cold",
            "__alloc_pages_slowpath.constprop.0")
    # the same user fault on 6.1 (do_anonymous_page inlined) and on 6.12
    for tail in (("__alloc_pages", "__folio_alloc", "vma_alloc_folio", "__handle_mm_fault"),
                 ("__alloc_pages_noprof", "alloc_pages_mpol_noprof", "vma_alloc_folio_noprof",
                  "do_anonymous_page", "__handle_mm_fault")):
        stack = frames(*head, *tail, "handle_mm_fault", "do_user_addr_fault", "exc_page_fault")
        assert classify.signature("oom", classify.oom_cause(stack)) == "oom: page_fault"
    leak = frames(*head, "__alloc_pages", "allocate_slab", "___slab_alloc", "__kmalloc",
                  "kmalloc_trace") + [StackFrame("leaky_fn", "mymod"), StackFrame("kthread")]
    assert classify.signature("oom", classify.oom_cause(leak)) == "oom: leaky_fn [mymod]"


def test_a_lockup_caught_in_what_its_loop_polls_names_the_looping_caller():
    """The watchdog's interrupt lands in the loop or in what it polls (completion_done, a
    spinlock's slow path), depending on the moment: the verdict is the loop's function."""
    regs = Registers(*[Word(0)] * len(fields(Registers)))
    caught = ExceptionFrame(Address(0x1000), regs, function="completion_done")
    caller = Frame(1, Address(0x2000), Address(0xc000), "spin_fn.isra.0", 4, "mymod", "m.c", 7)
    walk = [caught, Frame(2, Address(0x2008), Address(0xc100), "_raw_spin_lock", 9), caller,
            Frame(3, Address(0x2010), Address(0xd000), "kthread", 0)]
    for kind, function, module in (("soft_lockup", "spin_fn", "mymod"),
                                   ("oops", "completion_done", None)):
        panic = Panic(kind, "", 1, "spin", 0, function="completion_done")
        if kind in classify.LOCKUP_KINDS:
            looping(panic, walk[1:])
        assert (panic.function, panic.module) == (function, module)
    assert panic.line is None
    assert classify.is_polled("native_queued_spin_lock_slowpath")
    assert not classify.is_polled("spin_fn")


def test_log_readers():
    log = ["INFO: task kworker/0:1:42 blocked for more than 120 seconds.",
           "foo invoked oom-killer: gfp_mask=0x0", "Mem-Info:",
           "Out of memory: Killed process 77 (hog) total-vm:1kB",
           "RIP: 0010:bad_func+0x12/0x40 [badmod]"]
    assert classify.hung_task_pids(log) == [42]
    report, victim = classify.oom_report(log)
    assert report[0].startswith("foo invoked") and victim == (77, "hog")
    assert classify.rip_from_log(log) == StackFrame("bad_func", "badmod")
