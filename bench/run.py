"""Time crashsh, crash 9 and drgn's crash mode on the same fixture dump, side by side.

    python -m bench.run [--series 6.1] [--repeat 3] [COMMAND ...]

Each cold measurement is one process: the tool opens the dump, runs one command line from stdin,
and quits; the best of --repeat runs is kept. "startup" runs no command. The in-session time of a
command is the difference between a session that runs it four times and one that runs it once,
divided by three (start-up and first-use caches excluded; on a loaded machine it is noisy). Ratios are the other tool's time divided by crashsh's (above 1: crashsh is
faster).

Command lines may name values taken from the dump: {task} (the panic task's address),
{biggest_function} (the largest function in vmlinux's text), {free_list} (the buddy allocator's
longest free list head) and {direct_map} (the start of the kernel's direct map of memory).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from tests.differential.fixtures import find_fixture
from tests.differential.oracle import find_oracle

DEFAULT_COMMANDS = ("startup", "sys", "ps", "bt -a", "foreach bt", "log", "kmem -i", "kmem -s",
                    "kmem -S", "mod", "files", "foreach files", "runq", "timer", "irq", "net",
                    "foreach net -s", "foreach sig", "mach",
                    "struct task_struct {task}", "p *(struct task_struct *){task}",
                    "dis {biggest_function}", "list -H {free_list}",
                    "search -s {direct_map} -l 0x4000000 0xdeadbeefcafef00d")
REPEATS_IN_SESSION = 3
UNSUPPORTED = ("command not found", "not supported", "No such command", "Traceback")


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
    return {"task": hex(prog.crashed_thread().object.value_()), "biggest_function": biggest,
            "free_list": hex(longest.value_()),
            "direct_map": hex(prog["page_offset_base"].value_())}


def measure(argv: list[str], prologue: str, command: str, times: int = 1) -> tuple[float, bool]:
    """Wall time of one cold run of *command* (*times* over), and whether the tool ran it."""
    script = prologue + ("" if command == "startup" else command + "\n") * times + "q\n"
    start = time.perf_counter()
    proc = subprocess.run(argv, input=script, capture_output=True, text=True, errors="replace",
                          timeout=1800)
    elapsed = time.perf_counter() - start
    output = proc.stdout + proc.stderr
    return elapsed, not any(marker in output for marker in UNSUPPORTED)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="6.1")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("commands", nargs="*", default=list(DEFAULT_COMMANDS))
    args = parser.parse_args(argv)
    fixture = find_fixture(args.series)
    if fixture is None:
        print(f"no {args.series} fixture: run tests/fixtures/build.sh {args.series}")
        return 1
    available = tools(fixture)
    values = dump_values(fixture)
    print(f"fixture {args.series}: {fixture.dump()}  (best of {args.repeat} runs, seconds; "
          "cold, then in session)")
    for command in args.commands:
        line = command.format(**values)
        cold = best_times(available, line, args.repeat, 1)
        print(row(f"{command} (cold)", cold), flush=True)
        if command != "startup":
            again = best_times(available, line, args.repeat, 1 + REPEATS_IN_SESSION)
            warm = {n: None if t is None or cold[n] is None
                    else max((t - cold[n]) / REPEATS_IN_SESSION, 0.001)
                    for n, t in again.items()}
            print(row(f"{command} (in session)", warm), flush=True)
    return 0


def best_times(available: dict, line: str, repeat: int, times: int) -> dict[str, float | None]:
    """tool -> best wall time of *repeat* cold runs of *line* run *times* over (None: failed)."""
    best: dict[str, float | None] = {}
    for name, (argv, prologue) in available.items():
        runs = [measure(argv, prologue, line, times) for _ in range(repeat)]
        best[name] = min(t for t, _ in runs) if all(ok for _, ok in runs) else None
    return best


def row(label: str, times: dict[str, float | None]) -> str:
    """One table row: each tool's time, then each other tool's time as a multiple of crashsh's."""
    cells = "".join(f"  {n} {'n/a' if t is None else f'{t:.3f}'}" for n, t in times.items())
    base = times.get("crashsh")
    ratios = "".join(f"  {n}/crashsh {t / base:.1f}x" for n, t in times.items()
                     if n != "crashsh" and base and t)
    return f"{label:<44}{cells}{ratios}"


if __name__ == "__main__":
    raise SystemExit(main())
