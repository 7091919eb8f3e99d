"""Time crashsh, crash 9 and drgn's crash mode on the same fixture dump, side by side.

    python -m bench.run [--series 6.1] [--fixture main|scale] [--repeat N] [--timeout S] [COMMAND ...]

Each cold measurement is one process: the tool opens the dump, runs one command line from stdin,
and quits; the best of --repeat runs is kept, with its peak memory (maximum resident set, MB).
"startup" runs no command. The in-session time of a
command is measured inside one session per tool that runs it four times with `!date` between the
runs (every tool has crash's `!`): the best of the last three runs (start-up and first-use caches
excluded), less the time of a `!date` alone. Ratios are the other tool's time divided by crashsh's (above 1: crashsh is faster).

A run that takes longer than --timeout seconds is stopped and shown as "timeout".

--fixture scale times the scale fixture (tests/fixtures/scale/: 10,000 tasks, a 100,000-object
cache) with the commands of issue 13's table, one run each by default.

Command lines may name values taken from the dump: {task} (the panic task's address),
{biggest_function} (the largest function in vmlinux's text), {free_list} (the buddy allocator's
longest free list head), {direct_map} (the start of the kernel's direct map of memory) and
{scale_cache} (the scale fixture's big cache).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time

from tests.differential.fixtures import MAIN_KIND, SCALE, find_fixture
from tests.differential.oracle import find_oracle

DEFAULT_COMMANDS = ("startup", "sys", "ps", "bt -a", "foreach bt", "log", "kmem -i", "kmem -s",
                    "kmem -S", "mod", "files", "foreach files", "runq", "timer", "irq", "net",
                    "foreach net -s", "foreach sig", "mach",
                    "struct task_struct {task}", "p *(struct task_struct *){task}",
                    "dis {biggest_function}", "list -H {free_list}",
                    "search -s {direct_map} -l 0x4000000 0xdeadbeefcafef00d")
SCALE_COMMANDS = ("startup", "sys", "ps", "ps -t", "bt -a", "foreach bt", "foreach files",
                  "kmem -s", "kmem -S {scale_cache}", "log")
REPEATS_IN_SESSION = 3
STAMP = "!date +%s.%N\n"  # a shell escape between in-session runs: the time it printed
STAMP_LINE = re.compile(rb"(\d{10}\.\d{9})\s*$", re.M)
# output that says the tool did not do the command (drgn's crash mode stops a command at the
# first memory it cannot read: on the scale fixture, foreach bt at a zombie)
UNSUPPORTED = ("command not found", "not supported", "No such command", "Traceback",
               "drgn: crash: error:")


def tools(fixture) -> dict[str, tuple[list[str], str]]:
    """name -> (argv, stdin prologue) for each tool that is available."""
    found = {"crashsh": ([sys.executable, "-m", "crashsh", "-s", "-d", fixture.moddir,
                          fixture.vmlinux, fixture.dump()], "")}
    oracle = find_oracle()
    if oracle:
        found["crash"] = ([oracle, "-s", fixture.vmlinux, fixture.dump()],
                          f"set scroll off\nmod -S {fixture.moddir} > /dev/null\n")
    found["drgn-crash"] = ([sys.executable, "-m", "drgn.internal.crashcli", fixture.vmlinux,
                            fixture.dump()], "")
    return found


def dump_values(fixture) -> dict[str, str]:
    """The values command lines may name, read from the fixture's dump with drgn."""
    import drgn
    from drgn.helpers.linux.list import list_count_nodes
    from drgn.helpers.linux.nodemask import for_each_online_node

    prog = drgn.Program()
    prog.set_core_dump(fixture.dump())
    prog.load_debug_info([fixture.vmlinux])
    text = [s for s in prog.symbols() if s.kind == drgn.SymbolKind.FUNC]
    biggest = max(text, key=lambda s: s.size).name
    nodes = ([prog["node_data"][n] for n in for_each_online_node(prog)]
             if prog["node_data"] else [prog["contig_page_data"].address_of_()])
    heads = (area.free_list[kind].address_of_() for node in nodes for zone in node.node_zones
             if zone.present_pages for area in zone.free_area for kind in range(len(area.free_list)))
    longest = max(heads, key=list_count_nodes)
    scale = fixture.manifest.get("scale")
    return {"task": hex(prog.crashed_thread().object.value_()), "biggest_function": biggest,
            "free_list": hex(longest.value_()),
            "direct_map": hex(prog["page_offset_base"].value_()),
            "scale_cache": scale["cache"]["name"] if scale else "crashsh_test_cache"}


class Run:
    """One run of a tool: wall seconds, peak resident memory in MB, and whether it ran the
    command (False: unsupported, failed or stopped at the timeout)."""

    def __init__(self, seconds: float, rss_mb: float, ok: bool, timed_out: bool = False) -> None:
        self.seconds, self.rss_mb, self.ok, self.timed_out = seconds, rss_mb, ok, timed_out
        self.stamps: list[float] = []


def measure(argv: list[str], prologue: str, command: str, times: int = 1,
            timeout: float = 1800) -> Run:
    """One cold run of *command* (*times* over in one session, stamped between the runs: the
    Run's `stamps` are the times the stamps printed)."""
    if command == "startup":
        body = ""
    elif times == 1:
        body = command + "\n"
    else:
        body = STAMP * 2 + (command + "\n" + STAMP) * times  # first: a stamp's own time
    script = prologue + body + "q\n"
    stamps: list[float] = []
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        proc.kill()

    timer = threading.Timer(timeout, stop)
    timer.start()
    seen = False
    try:
        proc.stdin.write(script.encode())
        proc.stdin.close()
        tail = b""
        while chunk := proc.stdout.read(1 << 16):  # scanned, not kept: outputs can be large
            seen = seen or any(m.encode() in tail + chunk for m in UNSUPPORTED)
            text, cut = tail + chunk, (tail + chunk).rfind(b"\n") + 1
            stamps += [float(m) for m in STAMP_LINE.findall(text[:cut])]
            tail = text[cut:][-256:]
    except BrokenPipeError:
        pass
    finally:
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here for its rusage (peak memory)
        proc.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
    elapsed = time.perf_counter() - start
    run = Run(elapsed, usage.ru_maxrss / 1024, not seen and not stopped.is_set(),
              stopped.is_set())
    run.stamps = stamps
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="6.1")
    parser.add_argument("--fixture", choices=(MAIN_KIND, SCALE), default=MAIN_KIND,
                        help=f"the series' main ({MAIN_KIND}) fixture or its scale fixture")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement, the best kept (default 3; 1 for scale)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a run stops")
    parser.add_argument("commands", nargs="*")
    args = parser.parse_args(argv)
    scale = args.fixture == SCALE
    repeat = args.repeat or (1 if scale else 3)
    commands = args.commands or list(SCALE_COMMANDS if scale else DEFAULT_COMMANDS)
    fixture = find_fixture(args.series, args.fixture)
    if fixture is None:
        print(f"no {args.series} {args.fixture} fixture: run tests/fixtures/build.sh {args.series}"
              + (" scale" if scale else ""))
        return 1
    available = tools(fixture)
    values = dump_values(fixture)
    print(f"fixture {args.series} {args.fixture}: {fixture.dump()}  (best of {repeat} runs, "
          "seconds and peak MB; cold, then in session; timeout {:.0f} s)".format(args.timeout))
    for command in commands:
        line = command.format(**values)
        cold = best_runs(available, line, repeat, 1, args.timeout)
        print(row(f"{command} (cold)", cold, memory=True), flush=True)
        if command != "startup":
            again = best_runs(available, line, 1, 1 + REPEATS_IN_SESSION, args.timeout)
            warm = {n: in_session(run) for n, run in again.items()}
            print(row(f"{command} (in session)", warm), flush=True)
    return 0


def in_session(session: Run) -> Run:
    """A command's in-session time: the best of its runs after the first in one session, from
    the stamps printed between them, less a stamp's own time."""
    spans = [b - a for a, b in zip(session.stamps, session.stamps[1:])]
    if not (session.ok and len(spans) == 2 + REPEATS_IN_SESSION):
        return Run(0, 0, False, session.timed_out)
    return Run(max(min(spans[2:]) - spans[0], 0.0), 0, True)


def best_runs(available: dict, line: str, repeat: int, times: int, timeout: float) -> dict[str, Run]:
    """tool -> the fastest of *repeat* cold runs of *line* run *times* over (failed: not ok).
    A tool that timed out is not run again."""
    best: dict[str, Run] = {}
    for name, (argv, prologue) in available.items():
        runs = []
        for _ in range(repeat):
            runs.append(measure(argv, prologue, line, times, timeout))
            if not runs[-1].ok:
                break
        best[name] = min(runs, key=lambda r: r.seconds) if all(r.ok for r in runs) else runs[-1]
    return best


def row(label: str, runs: dict[str, Run], memory: bool = False) -> str:
    """One table row: each tool's time (and peak memory), then each other tool's time as a
    multiple of crashsh's."""
    def cell(run: Run) -> str:
        if not run.ok:
            return "timeout" if run.timed_out else "n/a"
        return f"{run.seconds:.3f}" + (f" {run.rss_mb:.0f}MB" if memory else "")

    cells = "".join(f"  {n} {cell(r)}" for n, r in runs.items())
    base = runs.get("crashsh")
    ratios = "".join(f"  {n}/crashsh {r.seconds / base.seconds:.1f}x" for n, r in runs.items()
                     if n != "crashsh" and base and base.ok and r.ok and base.seconds > 0)
    return f"{label:<44}{cells}{ratios}"


if __name__ == "__main__":
    raise SystemExit(main())
