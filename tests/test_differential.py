"""Every command line marked compatible must print exactly what crash prints on the same dump."""

from __future__ import annotations

import pytest

from tests.differential.runner import compare
from tests.differential.suite import SUITE

COMPATIBLE = [case for case in SUITE if case.compatible]


@pytest.fixture(scope="session")
def comparisons(kernel, crashsh, oracle):
    return compare(kernel, tuple(COMPATIBLE), runner=crashsh)


@pytest.mark.parametrize("index", range(len(COMPATIBLE)), ids=[c.line for c in COMPATIBLE])
def test_matches_crash(kernel, comparisons, index):
    comparison = comparisons[index]
    assert comparison.normalised(comparison.ours, kernel.series) == comparison.normalised(
        comparison.theirs, kernel.series
    ), comparison.first_difference(kernel.series)
