"""Many dumps: find them and their vmlinux, triage each (a process pool or a Dask cluster), and
group them by signature."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import drgn

from crashsh import dumpfile
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError
from crashsh.kernel.vmcoreinfo import dump_osrelease
from crashsh.triage.report import Report

DUMP_KINDS = (FileKind.KDUMP, FileKind.ELF_CORE)
# where a distribution's debuginfo packages put a release's vmlinux, under each root
VMLINUX_PLACES = ("usr/lib/debug/boot/vmlinux-{0}", "usr/lib/debug/lib/modules/{0}/vmlinux",
                  "boot/vmlinux-{0}")
MODULE_DEBUG = "usr/lib/debug/lib/modules/{0}"


@dataclass
class DumpVerdict:
    """One dump's outcome: its report, or why there is none."""

    dump: str
    report: Report | None = None
    error: str | None = None


@dataclass
class Cluster:
    signature: str
    count: int
    kernels: list[str]
    dumps: list[str]


@dataclass
class FleetReport:
    dumps: list[DumpVerdict]
    clusters: list[Cluster] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """What a worker needs to triage one dump: plain strings, cheap to send to a process."""

    dump: str
    vmlinux: str | None
    roots: tuple[str, ...]
    debug_dirs: tuple[str, ...]


def kind_of(path: str) -> FileKind | None:
    try:
        return dumpfile.identify(path)
    except (CrashshError, OSError):
        return None


def find_dumps(paths: Iterable[str]) -> Iterator[str]:
    """The dump files among *paths*, and those under directories (kdump's
    ``/var/crash/<host-date>/vmcore``), in a stable order."""
    for path in paths:
        if os.path.isdir(path):
            for directory, subdirs, files in os.walk(path):
                subdirs.sort()
                for name in sorted(files):
                    candidate = os.path.join(directory, name)
                    if name.startswith("vmcore") and kind_of(candidate) in DUMP_KINDS:
                        yield candidate
        else:
            yield path


def dump_release(path: str) -> str | None:
    """The kernel release in the dump's VMCOREINFO (no debuginfo needed)."""
    prog = drgn.Program()
    try:
        prog.set_core_dump(path)
    except (OSError, ValueError, drgn.FaultError):
        return None
    return dump_osrelease(prog)


def find_vmlinux(release: str, roots: Iterable[str]) -> str | None:
    for root in roots:
        for place in VMLINUX_PLACES:
            candidate = Path(root) / place.format(release)
            if candidate.is_file():
                return str(candidate)
    return None


def triage_job(job: Job) -> DumpVerdict:
    """Triage one dump; every failure becomes the verdict's error (a fleet run never stops)."""
    from crashsh.registry import load_builtin_commands
    from crashsh.session import DebugInfoSources, Session
    from crashsh.triage.report import triage

    vmlinux, debug_dirs = job.vmlinux, list(job.debug_dirs)
    if vmlinux is None:
        release = dump_release(job.dump)
        if release is None:
            return DumpVerdict(job.dump, error="not a readable kernel dump (no VMCOREINFO release)")
        vmlinux = find_vmlinux(release, job.roots)
        if vmlinux is None:
            return DumpVerdict(job.dump, error=f"no vmlinux for {release} under "
                                               f"{', '.join(job.roots) or 'any root (-r)'}")
        debug_dirs += [str(Path(root) / MODULE_DEBUG.format(release)) for root in job.roots]
    try:
        load_builtin_commands()
        session = Session.open(job.dump, DebugInfoSources(vmlinux, debug_dirs))
        return DumpVerdict(job.dump, triage(session))
    except CrashshError as e:
        return DumpVerdict(job.dump, error=str(e))
    except Exception as e:  # noqa: BLE001 - one bad dump must not stop the fleet
        return DumpVerdict(job.dump, error=f"triage failed: {e}")


def run_pool(jobs: list[Job], workers: int, progress: Callable[[], None]) -> list[DumpVerdict]:
    """Triage in a local process pool (in this process with one worker), in the jobs' order."""
    if workers <= 1:
        verdicts = []
        for job in jobs:
            verdicts.append(triage_job(job))
            progress()
        return verdicts
    with ProcessPoolExecutor(max_workers=workers) as pool:
        verdicts = []
        for verdict in pool.map(triage_job, jobs):
            verdicts.append(verdict)
            progress()
        return verdicts


def run_dask(jobs: list[Job], scheduler: str, progress: Callable[[], None]) -> list[DumpVerdict]:
    """Triage on an existing Dask cluster (``pip install 'crashsh[fleet]'``), in the jobs' order."""
    try:
        from distributed import Client, as_completed
    except ImportError as e:
        raise CrashshError("--scheduler needs Dask's distributed: pip install 'crashsh[fleet]'") from e
    with Client(scheduler) as client:
        futures = client.map(triage_job, jobs, pure=False)
        for _ in as_completed(futures):
            progress()
        return client.gather(futures)


def clusters(verdicts: list[DumpVerdict]) -> list[Cluster]:
    """Dumps grouped by signature, the largest group first."""
    found: dict[str, Cluster] = {}
    for verdict in verdicts:
        if verdict.report is None:
            continue
        cluster = found.setdefault(verdict.report.signature,
                                   Cluster(verdict.report.signature, 0, [], []))
        cluster.count += 1
        cluster.dumps.append(verdict.dump)
        release = verdict.report.kernel.release
        if release not in cluster.kernels:
            cluster.kernels.append(release)
    return sorted(found.values(), key=lambda c: (-c.count, c.signature))
