"""Fleet triage throughput: dumps per minute of `crashsh triage` over every fixture dump.

    python -m bench.triage [--copies 2] [--jobs 1 2 ...]

The fleet holds every built fixture of every kernel series and panic kind (kdump files), each
--copies times, in kdump's /var/crash layout with a debug root; each --jobs value is one cold run
of `crashsh triage --json --jobs N -r ROOT DIR`. crash has no fleet mode to compare with.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    args = parser.parse_args(argv)
    fixtures = [f for s in SERIES for k in KINDS if (f := find_fixture(s, k)) is not None]
    if not fixtures:
        print("no fixtures: run tests/fixtures/build.sh 6.1")
        return 1
    with tempfile.TemporaryDirectory() as base:
        crash_dir, root, expected = fleet_layout(Path(base), [(f, "kdump") for f in fixtures],
                                                 args.copies)
        print(f"{len(expected)} dumps ({len(fixtures)} fixtures x {args.copies} copies)")
        for jobs in args.jobs:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "crashsh", "triage", "--json", "--jobs",
                                   str(jobs), "-r", str(root), str(crash_dir)],
                                  capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            dumps = json.loads(proc.stdout)["dumps"] if proc.stdout else []
            failed = sum("error" in d for d in dumps) + len(expected) - len(dumps)
            print(f"--jobs {jobs}: {elapsed:7.1f} s  {len(expected) / elapsed * 60:6.1f} dumps/min"
                  f"  {elapsed / len(expected):5.2f} s/dump  failed {failed}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
