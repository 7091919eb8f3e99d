"""Find the fixture dumps built by tests/fixtures/build.sh and read their manifests.

Each kernel series has its main fixture (a sysrq panic, kdump and ELF dumps) and one kdump-only
fixture per extra panic kind (oops, bug, hung_task, ...: tests/fixtures/README.md); 6.1 also has
the scale fixture (10,000 tasks, a 100,000-object cache, every dump format)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from tests.fixtures import fixture_tool

SERIES = ("6.1", "6.12")
MAIN_KIND = "sysrq"
KINDS = tuple(fixture_tool.KINDS)  # every panic kind, the main fixture's first
SCALE = "scale"  # the scale fixture (tests/fixtures/scale/), built by `build.sh SERIES scale`
SCALE_SERIES = ("6.1",)  # the series whose scale fixture scripts/setup.sh and CI build


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "crashsh" / "fixtures"
    return Path(os.environ.get("CRASHSH_FIXTURE_CACHE", default))


@dataclass(frozen=True)
class Fixture:
    """One kernel's fixture: vmlinux, module debuginfo, dumps and the guest's ground truth."""

    series: str
    root: Path
    kind: str = MAIN_KIND

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.root / "manifest.json").read_text())

    @property
    def vmlinux(self) -> str:
        return str(self.root / self.manifest.get("vmlinux", "vmlinux"))

    @property
    def moddir(self) -> str:
        return str(self.root / self.manifest.get("moddir", "modules"))

    def dump(self, kind: str = "kdump") -> str:
        dumps = self.manifest.get("dumps", {"kdump": "vmcore.kdump", "elf": "vmcore.elf"})
        return str(self.root / dumps[kind])

    def format_files(self, name: str) -> list[str]:
        """The files of dump format *name* (the scale fixture's manifest "formats": zlib, lzo,
        snappy, zstd, elf, split)."""
        return [str(self.root / f) for f in self.manifest["formats"][name]["files"]]

    @property
    def oracle_cache(self) -> Path:
        return self.root / "oracle"


def find_fixture(series: str, kind: str = MAIN_KIND) -> Fixture | None:
    """The fixture of *series* ("6.1" or "6.12") that panicked as *kind* (one of KINDS), or its
    scale fixture (kind SCALE), if it has been built and is complete."""
    if kind not in KINDS and kind != SCALE:
        raise ValueError(f"unknown fixture kind {kind!r} (want one of {', '.join(KINDS)}, {SCALE})")
    root = cache_dir() / series
    if kind == SCALE:
        root = cache_dir() / f"{SCALE}-{series}"
    elif kind != MAIN_KIND:
        root = root / "kinds" / kind
    if not (root / "manifest.json").is_file():
        return None
    return Fixture(series, root.resolve(), kind)


def available() -> list[Fixture]:
    return [f for f in map(find_fixture, SERIES) if f is not None]


def fleet_layout(base: Path, dumps: list[tuple[Fixture, str]], copies: int = 1) -> tuple[
        Path, Path, dict[str, Fixture]]:
    """A fleet as kdump leaves it: base/crash/<host>/vmcore links to each (fixture, dump format)
    *copies* times, and a debug root base/root with each release's vmlinux and modules where
    `crashsh triage -r` finds them. Returns (crash dir, root, vmcore path -> its fixture)."""
    crash_dir, debug = base / "crash", base / "root" / "usr/lib/debug"
    (debug / "boot").mkdir(parents=True, exist_ok=True)
    (debug / "lib/modules").mkdir(parents=True, exist_ok=True)
    expected = {}
    for fixture, dump in dumps:
        release = fixture.manifest["release"]
        if not (debug / f"boot/vmlinux-{release}").exists():
            (debug / f"boot/vmlinux-{release}").symlink_to(fixture.vmlinux)
            (debug / f"lib/modules/{release}").symlink_to(fixture.moddir)
        for copy in range(copies):
            host = crash_dir / f"host{copy}-{release}-{fixture.kind}-{dump}"
            host.mkdir(parents=True)
            (host / "vmcore").symlink_to(fixture.dump(dump))
            expected[str(host / "vmcore")] = fixture
    return crash_dir, base / "root", expected
