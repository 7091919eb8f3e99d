"""crash's acceptance lists (tests/acceptance.py): crashsh runs every line of each list in one
session on each fixture dump with exit status 0, and flags no error or warning line (by
crash-test's own patterns) that crash does not flag on the same dump."""

from __future__ import annotations

import pytest

from tests.acceptance import LISTS, run_list

pytestmark = [pytest.mark.vmcore, pytest.mark.oracle]


@pytest.mark.parametrize("name", LISTS)
def test_crash_test_list(kernel, oracle, name):
    outcome = run_list(kernel, oracle, name)
    print(outcome.summary(kernel.series))
    assert not outcome.not_found
    assert outcome.returncode == 0, outcome.ours[-2000:]
    assert not outcome.new_errors and not outcome.new_warnings
