"""The first commands on every other panic kind's dump (oops, BUG, hung task, soft lockup, OOM)
print exactly what crash prints there (tests/differential/kinds.py)."""

from __future__ import annotations

import pytest

from tests.conftest import built
from tests.differential.fixtures import KINDS, SERIES
from tests.differential.kinds import KIND_CASES
from tests.differential.runner import compare


@pytest.fixture(scope="session", params=[(s, k) for s in SERIES for k in KINDS if k != "sysrq"],
                ids=lambda p: f"{p[0]}-{p[1]}")
def kind_comparisons(request, oracle):
    fixture = built(*request.param)
    return fixture.series, compare(fixture, KIND_CASES, values={})


@pytest.mark.parametrize("index", range(len(KIND_CASES)), ids=[c.line for c in KIND_CASES])
def test_kind_matches_crash(kind_comparisons, index):
    series, comparisons = kind_comparisons
    assert comparisons[index].matches(series), comparisons[index].first_difference(series)
