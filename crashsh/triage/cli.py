"""`crashsh triage`: one dump's report, or a fleet's clusters (see --help)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from crashsh import dumpfile
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError
from crashsh.triage.fleet import (DumpVerdict, FleetReport, Job, clusters, find_dumps, run_dask,
                                  run_pool, triage_job)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="crashsh triage",
        description="Why did it die, where, and which dumps share the cause: a report for one "
                    "dump, or clusters of dumps by signature for many.",
        epilog="One dump (with its vmlinux, or found under -r ROOT by the dump's release) gives "
               "its report; several dumps or directories give the clusters, then one line per "
               "dump. Exit status 1 when a dump could not be triaged.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="vmlinux, vmcore files, or directories searched for vmcore* files")
    p.add_argument("-d", "--debuginfo-dir", action="append", default=[], metavar="DIR",
                   help="directory searched for module (.ko) debug files")
    p.add_argument("-r", "--root", action="append", default=[], metavar="ROOT",
                   help="root holding usr/lib/debug/boot/vmlinux-RELEASE (or "
                        "usr/lib/debug/lib/modules/RELEASE/vmlinux, boot/vmlinux-RELEASE)")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--jobs", type=int, metavar="N",
                        help="dumps triaged at once in local processes (default: CPU count)")
    engine.add_argument("--scheduler", metavar="ADDR",
                        help="run on the Dask cluster at ADDR (tcp://HOST:PORT)")
    p.add_argument("--json", action="store_true", help="one JSON document")
    return p


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_OK
    try:
        jobs, fleet = plan(args)
        verdicts = run(jobs, args)
    except CrashshError as e:
        return failed({"error": str(e)}, args.json)
    if not fleet:
        (verdict,) = verdicts
        if verdict.error:
            return failed({"dump": verdict.dump, "error": verdict.error}, args.json)
        output(verdict.report, args.json)
        return EXIT_OK
    output(FleetReport(verdicts, clusters(verdicts)), args.json)
    return EXIT_FAILED if any(v.error for v in verdicts) else EXIT_OK


def plan(args: argparse.Namespace) -> tuple[list[Job], bool]:
    """The jobs, and whether this is a fleet run (several dumps, a directory, or an engine)."""
    vmlinux, others = None, []
    for path in args.paths:
        if not os.path.exists(path):
            raise CrashshError(f"{path}: No such file or directory")
        if os.path.isfile(path) and dumpfile.identify(path) is FileKind.VMLINUX:
            if vmlinux is not None:
                raise CrashshError(f"{path}: a second kernel image (one vmlinux at most)")
            vmlinux = path
        else:
            others.append(path)
    dumps = list(find_dumps(others))
    if not dumps:
        raise CrashshError("no dump files given or found")
    fleet = (len(dumps) > 1 or any(os.path.isdir(p) for p in others)
             or args.jobs is not None or args.scheduler is not None)
    jobs = [Job(dump, vmlinux, tuple(args.root), tuple(args.debuginfo_dir)) for dump in dumps]
    return jobs, fleet


def run(jobs: list[Job], args: argparse.Namespace) -> list[DumpVerdict]:
    if len(jobs) == 1 and args.scheduler is None:
        return [triage_job(jobs[0])]
    with progress_bar(len(jobs)) as advance:
        if args.scheduler:
            return run_dask(jobs, args.scheduler, advance)
        return run_pool(jobs, args.jobs or os.cpu_count() or 1, advance)


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[], None]]:
    """A function to call per finished dump: it advances a bar on stderr at a terminal."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("triage", total=total)
        yield lambda: bar.advance(task)


def failed(error: dict[str, str], as_json: bool) -> int:
    """A run that could not triage: with --json the error object on stdout, else crash's
    style of line on stderr; exit status 1."""
    if as_json:
        json.dump(error, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print("crashsh triage: " + ": ".join(error.values()), file=sys.stderr)
    return EXIT_FAILED


def output(data: object, as_json: bool) -> None:
    from crashsh.render import render
    from crashsh.render.jsonout import jsonable

    if as_json:
        json.dump(fleet_json(data) if isinstance(data, FleetReport) else jsonable(data),
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    render(data, "rich" if sys.stdout.isatty() else "plain", sys.stdout)


def fleet_json(fleet: FleetReport) -> dict:
    """docs/json.md's fleet document: each dump's report (or error) under its path."""
    from crashsh.render.jsonout import jsonable

    dumps = [jsonable(v.report) if v.report else {"dump": v.dump, "error": v.error}
             for v in fleet.dumps]
    return {"dumps": dumps, "clusters": jsonable(fleet.clusters)}
