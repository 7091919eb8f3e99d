"""python -m tests.differential [SERIES...] [scale]: print the crashsh-vs-crash table per fixture,
then how crashsh does on crash-test's acceptance lists (tests/acceptance.py) there; "scale" runs
the scale subset (tests/differential/scale.py) on the scale fixtures."""

from __future__ import annotations

import sys

from tests.acceptance import LISTS, run_list
from tests.differential.fixtures import SCALE, SCALE_SERIES, SERIES, find_fixture
from tests.differential.oracle import find_oracle
from tests.differential.runner import compare, table


def main(argv: list[str]) -> int:
    status = 0
    for series in argv or SERIES:
        if series == SCALE:
            status |= scale()
            continue
        fixture = find_fixture(series)
        if fixture is None:
            print(f"{series}: no fixture (run tests/fixtures/build.sh {series})")
            status = 1
            continue
        print(table(series, compare(fixture)))
        print()
        for name in LISTS:
            outcome = run_list(fixture, find_oracle(), name)
            print(outcome.summary(series))
        print()
    return status


def scale() -> int:
    """The scale subset's table on each scale fixture."""
    from tests.differential.scale import SCALE_CASES, scale_values

    status = 0
    for series in SCALE_SERIES:
        fixture = find_fixture(series, SCALE)
        if fixture is None:
            print(f"{series}: no scale fixture (run tests/fixtures/build.sh {series} scale)")
            status = 1
            continue
        print(table(f"{series} scale", compare(fixture, SCALE_CASES, values=scale_values(fixture))))
        print()
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
