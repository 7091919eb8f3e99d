"""ps: the guest's ground truth against crashsh's ps, crash's -t bug on 6.12, JSON, and the
pure pieces of crash's ps logic (state codes, argument parsing, text formats)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from drgn.helpers.linux.pid import find_task

from tests import dumptruth
from tests.differential.runner import run_document, run_json
from crashsh.commands.ps import (
    LastRun,
    LastRunAge,
    PsRow,
    TaskArgs,
    parse_policies,
)
from crashsh.conventions.numbers import cpu_list, is_number
from crashsh.conventions.tasks import TaskTable, task_table
from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.records import TaskHeader
from crashsh.render.plain import plain
from crashsh.render.ps import row_line

MANIFEST_STATES = {"S": "IN", "T": "ST", "Z": "ZO", "I": "ID", "D": "UN"}


def rows(crashsh, line: str) -> dict[int, list[str]]:
    """The listing rows of *line* by pid: [ppid, cpu, task, state, %mem, vsz, rss, comm]."""
    found: dict[int, list[str]] = {}
    for text in crashsh.run(line).splitlines()[1:]:
        pid, *rest = text[1:].split()
        found[int(pid)] = rest
    return found


def pids_of(lines: list[str]) -> list[int]:
    """The pids of task header lines."""
    return [int(re.search(r"PID: (\d+)", line).group(1)) for line in lines if line]


def user_tasks(manifest) -> list[dict]:
    return [t for t in manifest["tasks"] if not t["kthread"]]


def test_listing_agrees_with_the_guest(kernel, crashsh):
    listing = rows(crashsh, "ps")
    panic_pid = kernel.manifest["panic"]["pid"]
    workload = dumptruth.workload_tids(kernel.manifest)
    for task in user_tasks(kernel.manifest):
        ppid, _cpu, _task, state, _mem, vsz, rss, comm = listing[task["pid"]]
        assert int(ppid) == task["ppid"]
        assert comm == task["comm"][:15]
        # the workload's sleepers keep their state; the panic task was seen before it wrote to
        # sysrq-trigger, and init's script runs on until the panic
        if task["pid"] in workload and task["pid"] != panic_pid:
            assert state == MANIFEST_STATES[task["state"]], task
        if task["state"] == "Z":
            assert (vsz, rss) == ("0", "0")
        else:
            assert int(vsz) > 0 and int(rss) > 0
    assert listing[panic_pid][3] == "RU"
    kthread = kernel.manifest["test_module"]["kthread_pid"]
    assert listing[kthread][-1] == f"[{kernel.manifest['test_module']['kthread']}]"


def test_every_thread_is_listed_once(kernel, crashsh):
    nr_cpus = kernel.manifest["nr_cpus"]
    lines = crashsh.run("ps -H").splitlines()
    assert len(lines) == dumptruth.task_count(crashsh.session.prog, nr_cpus)
    assert sum(line.startswith(">") for line in lines) == nr_cpus
    listed = [int(line[1:].split()[0]) for line in lines]
    for tid in dumptruth.workload_tids(kernel.manifest):
        assert listed.count(tid) == 1, tid


def test_thread_groups(kernel, crashsh):
    threads = kernel.manifest["threads_proc"]
    listed = rows(crashsh, f"ps {threads['comm']}")
    assert sorted(listed) == sorted(threads["tids"])
    assert list(rows(crashsh, f"ps -G {threads['tids'][-1]}")) == [threads["pid"]]
    group = crashsh.run(f"ps -g {threads['tids'][-1]}").splitlines()
    assert pids_of(group) == threads["tids"]


def test_parents_and_children(kernel, crashsh):
    zombie = kernel.manifest["zombie"]
    chain = crashsh.run(f"ps -p {zombie['pid']}").splitlines()
    assert pids_of(chain) == [0, 1, zombie["parent_pid"], zombie["pid"]]
    children = crashsh.run(f"ps -c {zombie['parent_pid']}").splitlines()
    assert f"PID: {zombie['pid']} " in children[1]


def test_state_summary_counts_every_task(kernel, crashsh):
    counts = {}
    for line in crashsh.run("ps -S").splitlines():
        state, count = line.split(":")
        counts[state.strip()] = int(count)
    prog = crashsh.session.prog
    assert sum(counts.values()) == dumptruth.task_count(prog, kernel.manifest["nr_cpus"])
    assert counts["ZO"] == 1 and counts["ST"] == len(kernel.manifest["stopped"]["pids"])


def test_run_time_uses_the_kernels_hz(kernel, crashsh):
    """crash assumes HZ=1000 on 6.12, so its RUN TIME is minutes too long there; crashsh's
    START TIME must be the guest's, and RUN TIME the dump's uptime at the kernel's true HZ
    (from its .config) minus that start."""
    marker = kernel.manifest["marker"]["pid"]
    truth = next(t for t in kernel.manifest["tasks"] if t["pid"] == marker)
    text = crashsh.run(f"ps -t {marker}")
    h, m, s = map(int, re.search(r"RUN TIME: (\d\d):(\d\d):(\d\d)", text).groups())
    start_ns = int(re.search(r"START TIME: (\d+)", text).group(1))
    assert abs(start_ns / 1e9 - truth["start_time"] / 100) < 0.1  # /proc's clock ticks
    hz = kernel.manifest["hz"]
    ticks = dumptruth.uptime_ticks(crashsh.session.prog, hz) - start_ns // 10**9 * hz
    assert h * 3600 + m * 60 + s == ticks // hz


def test_last_run_ages_match_the_stamps(crashsh):
    stamps = crashsh.run("ps -l 1").split("]")[0].strip("[ ")
    age = re.match(r"\[(\d+) (\d\d):(\d\d):(\d\d)\.(\d{3})\]", crashsh.run("ps -m 1"))
    assert int(stamps) > 0 and age


def test_args_of_filtered_user_pages(kernel, crashsh):
    """The dumps exclude user pages, so crash (and crashsh) report the first unreadable page."""
    marker = kernel.manifest["marker"]["pid"]
    arg_start = task_table(crashsh.session.prog).get(str(marker)).tasks[0].mm.arg_start.value_()
    assert crashsh.run(f"ps -a {marker}").splitlines()[1] == (
        f"ps: cannot access user stack address: {arg_start:x}")
    assert crashsh.run("ps -a 2").splitlines()[1] == "ps: no user stack"


def test_json_listing(kernel, crashsh):
    doc = run_document(crashsh, f"ps {kernel.manifest['marker']['pid']} 99999")
    assert doc["error"] == "ps: invalid task or pid value: 99999"  # the failure, out of the data
    listing = doc["data"]
    assert listing == {"rows": listing["rows"], "notices": []}  # no layout flags
    (row,) = listing["rows"]
    assert row["task"] == hex(find_task(crashsh.session.prog, row["pid"]).value_())
    assert set(row) == {"pid", "ppid", "cpu", "task", "state", "mem_percent", "vsz", "rss",
                        "comm", "kthread", "active", "kstackp"}
    assert row["comm"] == "crashsh_marker" and row["ppid"] == 1 and row["vsz"] > 0


def test_json_last_run_hides_layout(crashsh):
    report = run_json(crashsh, "ps -l 1")
    (entry,) = report["entries"]
    assert set(entry) == {"task", "state", "timestamp"}


def test_foreach_flags_are_ps_options(kernel, crashsh):
    from crashsh.commands.ps import foreach_ps

    task = crashsh.session.panic_task
    for flags, line in (({"s": 1}, "ps -s"), ({"G": 1, "y": "0"}, "ps -G -y 0"),
                        ({"p": 1}, "ps -p")):
        data = foreach_ps(crashsh.session, flags)(task, False)
        assert "".join(plain(data)) == crashsh.run(f"{line} {task.pid.value_()}")
    quiet = foreach_ps(crashsh.session, {})(task, True)
    assert "".join(plain(quiet)) == crashsh.run(f"ps -H {task.pid.value_()}")


# -- pure logic -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "state, code",
    [
        (0, "RU"), (0x1, "IN"), (0x2, "UN"), (0x402, "ID"), (0x20, "ZO"), (0x4, "ST"),
        (0x8, "TR"), (0x10, "DE"), (0x80, "DE"), (0x90, "DE"), (0x110, "DE"), (0x101, "IN"),
        (0x40, "PA"), (0x200, "WA"), (0x800, "NE"), (0x100, "??"), (0x21, "ZO"),
    ],
)
def test_state_codes(state, code):
    assert tasks.state_code_of(state) == code


def test_task_arguments_as_crash_reads_them():
    contexts = [SimpleNamespace(pid=pid, address=0x1000 * (pid + 1))
                for pid in (0, 1, 10, 16, 26, 109)]
    contexts.append(SimpleNamespace(pid=200, address=0xFFFF8D40C2638000))
    table = TaskTable(contexts)

    def read(text: str) -> tuple[str, int] | None:
        found = table.find(text)
        return found and (found.kind, found.value)

    assert read("10") == ("pid", 10)  # decimal beats hex
    assert read("1a") == ("pid", 26)
    assert read("0x6d") == ("pid", 109)
    assert read("ffff8d40c2638000") == ("task", 0xFFFF8D40C2638000)
    assert read("0x") == read("0X") == ("pid", 0)  # crash reads 0x as 0
    assert read("2000") == ("task", 0x2000)
    assert read("99999") is None and read("1" * 20) is None and read("１０") is None
    assert is_number("dd") and not is_number("bash") and not is_number("１０")


def test_policies():
    assert parse_policies("normal,FIFO") == 0b11
    assert parse_policies("0x6") == 1 << 6
    assert parse_policies("idle") == 1 << 5
    for bad in ("01", "", "bogus"):
        with pytest.raises(CommandError, match="invalid scheduling policy"):
            parse_policies(bad)


def test_cpu_lists():
    assert cpu_list("1,0", 2) == [0, 1]
    assert cpu_list("0-1", 2) == cpu_list("a", 2) == cpu_list("all", 2) == [0, 1]
    assert cpu_list("4294967297", 2) == [1]  # sscanf's %d keeps the low 32 bits
    with pytest.raises(CommandError, match="invalid cpu specification: 0-5"):
        cpu_list("0-5", 2)
    with pytest.raises(CommandError, match='x: "x" is not a digit 0 - 9'):
        cpu_list("x", 2)
    with pytest.raises(CommandError, match="received NULL string"):
        cpu_list("-", 2)


def row(**changes) -> PsRow:
    values = dict(pid=1, ppid=0, cpu=0, task=0xFFFF8D40C11FC180, state="IN", mem_percent=0.2,
                  vsz=2260, rss=1816, comm="init", kthread=False, active=False)
    return PsRow(**(values | changes))


def test_listing_columns():
    assert row_line(row(), False) == (
        "        1       0   0  ffff8d40c11fc180  IN   0.2     2260     1816  init\n")
    assert row_line(row(mem_percent=12.34, active=True, kthread=True), False).startswith(
        ">       1       0   0  ffff8d40c11fc180  IN  12.3 ")
    assert row_line(row(mem_percent=100.0), False)[43:50] == "  100.0"
    assert row_line(row(active=True), True)[23:39] == "       --       "


def test_last_run_formats():
    header = TaskHeader(1, 0xFFFF8D40C11FC180, 0, "init")
    assert "".join(plain(LastRun(header, "IN", 255, 4, True))).startswith("[  ff] [IN]  PID: 1 ")
    age = LastRunAge(header, "IN", 90061_002_000_000, 2)
    assert "".join(plain(age)).startswith("[ 1 01:01:01.002] [IN]  ")


def test_args_and_environment_text():
    header = TaskHeader(7, 0x1000, 0, "sh")
    text = "".join(plain(TaskArgs(header, ["/bin/sh", "-c", "x", ""], ["A=1", "B=2", ""])))
    assert text.splitlines()[1:] == ["ARG: /bin/sh -c x ", "ENV: A=1", "     B=2", ""]
    empty = "".join(plain(TaskArgs(header, [""], [""])))
    assert empty.endswith("ARG: \nENV: \n\n")
