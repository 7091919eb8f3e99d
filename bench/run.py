"""Time crashsh, crash 9 and drgn's crash mode on the same fixture dump, side by side.

    python -m bench.run [--series 6.1] [--repeat 3] [COMMAND ...]

Each measurement is a cold process: the tool opens the dump, runs one command line from stdin,
and quits; the best of --repeat runs is kept. "startup" runs no command. Ratios are the other
tool's time divided by crashsh's (above 1: crashsh is faster).
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
                    "foreach net -s")
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


def measure(argv: list[str], prologue: str, command: str) -> tuple[float, bool]:
    """Wall time of one cold run, and whether the tool ran the command successfully."""
    script = prologue + ("" if command == "startup" else command + "\n") + "q\n"
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
    names = list(available)
    print(f"fixture {args.series}: {fixture.dump()}  (best of {args.repeat} cold runs, seconds)")
    header = f"{'command':<14}" + "".join(f"{n:>12}" for n in names)
    header += "".join(f"{n + '/crashsh':>20}" for n in names if n != "crashsh")
    print(header)
    for command in args.commands:
        times: dict[str, float | None] = {}
        for name in names:
            runs = [measure(*available[name], command) for _ in range(args.repeat)]
            times[name] = min(t for t, _ in runs) if all(ok for _, ok in runs) else None
        cells = "".join(f"{'n/a' if times[n] is None else f'{times[n]:.2f}':>12}" for n in names)
        base = times.get("crashsh")
        for n in names:
            if n == "crashsh":
                continue
            ratio = f"{times[n] / base:.1f}x" if base and times[n] else "n/a"
            cells += f"{ratio:>20}"
        print(f"{command:<14}{cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
