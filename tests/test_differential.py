"""Every command line marked compatible must print exactly what crash prints on the same dump."""

from __future__ import annotations

import pytest

from tests.differential.runner import compare
from tests.differential.suite import SUITE

COMPATIBLE = [case for case in SUITE if case.compatible]


@pytest.fixture(scope="session")
def comparisons(kernel, crashsh, oracle):
    return {c.case.line: c for c in compare(kernel, COMPATIBLE, runner=crashsh)}


@pytest.mark.parametrize("case", COMPATIBLE, ids=[c.line for c in COMPATIBLE])
def test_matches_crash(kernel, comparisons, case):
    comparison = comparisons[case.line]
    assert comparison.normalised(comparison.ours, kernel.series) == comparison.normalised(
        comparison.theirs, kernel.series
    ), comparison.first_difference(kernel.series)
