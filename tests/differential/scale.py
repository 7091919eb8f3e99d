"""The differential subset run on the scale fixture (10,000 tasks, a 100,000-object cache):
the commands whose cost grows with tasks and objects, exact against crash. Not part of SUITE,
which runs on the main fixtures."""

from __future__ import annotations

from tests.differential.fixtures import Fixture
from tests.differential.suite import Case

SCALE_CASES: tuple[Case, ...] = (
    Case("ps", True),
    Case("ps -t", True),
    Case("foreach bt", True),
    Case("foreach files", True),
    Case("kmem -s", True),
    Case("kmem -S {scale_cache}", True),
    Case("log", True),
)


def scale_values(fixture: Fixture) -> dict[str, str]:
    """The placeholders of SCALE_CASES, from the scale fixture's manifest."""
    return {"scale_cache": fixture.manifest["scale"]["cache"]["name"]}
