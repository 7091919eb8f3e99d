"""Every command line marked compatible must print exactly what crash prints on the same dump,
for both dump formats the fixture pipeline makes (kdump-compressed and ELF)."""

from __future__ import annotations

import pytest

from tests.differential.runner import CrashshRunner, compare
from tests.differential.suite import SUITE

COMPATIBLE = [case for case in SUITE if case.compatible]


@pytest.fixture(scope="session")
def comparisons(kernel, crashsh, oracle):
    return compare(kernel, tuple(COMPATIBLE), runner=crashsh)


@pytest.fixture(scope="session")
def elf_comparisons(kernel, oracle):
    return compare(kernel, tuple(COMPATIBLE), dump="elf", runner=CrashshRunner(kernel, "elf"))


def check(comparison, series: str) -> None:
    assert comparison.matches(series), comparison.first_difference(series)


@pytest.mark.parametrize("index", range(len(COMPATIBLE)), ids=[c.line for c in COMPATIBLE])
def test_matches_crash(kernel, comparisons, index):
    check(comparisons[index], kernel.series)


@pytest.mark.parametrize("index", range(len(COMPATIBLE)), ids=[c.line for c in COMPATIBLE])
def test_matches_crash_on_elf_dump(kernel, elf_comparisons, index):
    check(elf_comparisons[index], kernel.series)
