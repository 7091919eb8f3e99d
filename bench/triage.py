"""Fleet triage throughput: dumps per minute of `crashsh triage` over every fixture dump.

    python -m bench.triage [--copies 2] [--jobs 1 2 ...] [--dask-workers 2]

The fleet holds every built fixture of every kernel series and panic kind (kdump files), each
--copies times, in kdump's /var/crash layout with a debug root; each --jobs value is one cold run
of `crashsh triage --json --jobs N -r ROOT DIR`, then one on a local Dask cluster. Then, for one
dump: where its time goes (opening the dump and loading debuginfo, then the analysis), and the
whole `crashsh triage` of it against crash 9 running the commands a person would type for the
same answers (crash has no fleet mode to compare with).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.differential.fixtures import KINDS, SERIES, find_fixture, fleet_layout
from tests.differential.oracle import find_oracle

# what a person types in crash for triage's answers: the panic, the stack, the log, blocked tasks,
# memory and the top caches, the modules
CRASH_TRIAGE = ("sys", "bt", "log", "ps", "foreach UN bt", "kmem -i", "kmem -s", "mod")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--dask-workers", type=int, default=2, help="0: no Dask run")
    args = parser.parse_args(argv)
    fixtures = [f for s in SERIES for k in KINDS if (f := find_fixture(s, k)) is not None]
    if not fixtures:
        print("no fixtures: run tests/fixtures/build.sh 6.1")
        return 1
    with tempfile.TemporaryDirectory() as base:
        crash_dir, root, expected = fleet_layout(Path(base), [(f, "kdump") for f in fixtures],
                                                 args.copies)
        print(f"{len(expected)} dumps ({len(fixtures)} fixtures x {args.copies} copies)")
        engines = [["--jobs", str(jobs)] for jobs in args.jobs]
        for engine in engines:
            fleet_run(engine, " ".join(engine), root, crash_dir, len(expected))
        if args.dask_workers:
            import distributed

            with distributed.LocalCluster(n_workers=args.dask_workers, threads_per_worker=1,
                                          host="127.0.0.1", dashboard_address=None) as cluster:
                fleet_run(["--scheduler", cluster.scheduler_address],
                          f"dask x{args.dask_workers}", root, crash_dir, len(expected))
    one_dump(fixtures[0])
    return 0


def fleet_run(engine: list[str], label: str, root: Path, crash_dir: Path, count: int) -> None:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "crashsh", "triage", "--json", *engine,
                           "-r", str(root), str(crash_dir)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    dumps = json.loads(proc.stdout)["dumps"] if proc.stdout else []
    failed = sum("error" in d for d in dumps) + count - len(dumps)
    print(f"{label:<10} {elapsed:7.1f} s  {count / elapsed * 60:6.1f} dumps/min"
          f"  {elapsed / count:5.2f} s/dump  failed {failed}", flush=True)


def one_dump(fixture) -> None:
    """Where one dump's triage time goes, and the same answers from crash."""
    from crashsh.registry import load_builtin_commands
    from crashsh.session import DebugInfoSources, Session
    from crashsh.triage.report import triage

    load_builtin_commands()
    start = time.perf_counter()
    session = Session.open(fixture.dump(), DebugInfoSources(fixture.vmlinux, [fixture.moddir]))
    opened = time.perf_counter()
    triage(session)
    analysed = time.perf_counter()
    print(f"one dump ({fixture.series} {fixture.kind}): open + debuginfo {opened - start:.2f} s,"
          f" analysis {analysed - opened:.2f} s")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crashsh", "triage", "-d", fixture.moddir,
                    fixture.vmlinux, fixture.dump()], capture_output=True, check=True)
    ours = time.perf_counter() - start
    oracle = find_oracle()
    if oracle is None:
        print(f"crashsh triage {ours:.2f} s; no crash oracle to compare with")
        return
    script = f"mod -S {fixture.moddir} > /dev/null\n" + "\n".join(CRASH_TRIAGE) + "\nq\n"
    start = time.perf_counter()
    subprocess.run([oracle, "-s", fixture.vmlinux, fixture.dump()], input=script,
                   capture_output=True, text=True)
    theirs = time.perf_counter() - start
    print(f"crashsh triage {ours:.2f} s; crash running {', '.join(CRASH_TRIAGE)}: {theirs:.2f} s"
          f" ({theirs / ours:.1f}x)")


if __name__ == "__main__":
    raise SystemExit(main())
