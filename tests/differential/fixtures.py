"""Find the fixture dumps built by tests/fixtures/build.sh and read their manifests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SERIES = ("6.1", "6.12")


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "crashsh" / "fixtures"
    return Path(os.environ.get("CRASHSH_FIXTURE_CACHE", default))


@dataclass(frozen=True)
class Fixture:
    """One kernel's fixture: vmlinux, module debuginfo, dumps and the guest's ground truth."""

    series: str
    root: Path

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

    @property
    def oracle_cache(self) -> Path:
        return self.root / "oracle"


def find_fixture(series: str) -> Fixture | None:
    """The fixture of *series* ("6.1" or "6.12") if it has been built and is complete."""
    root = cache_dir() / series
    if not (root / "manifest.json").is_file():
        return None
    return Fixture(series, root.resolve())


def available() -> list[Fixture]:
    return [f for f in map(find_fixture, SERIES) if f is not None]
