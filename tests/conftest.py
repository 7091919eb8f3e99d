"""Shared pytest fixtures: the real fixture dumps, one crashsh session per dump, the oracle."""

from __future__ import annotations

import os

import pytest

from tests.differential.fixtures import KINDS, SERIES, Fixture, available, find_fixture
from tests.differential.oracle import find_oracle

# In CI (and with CRASHSH_REQUIRE_VMCORE=1) a missing fixture or oracle is a failure, not a skip.
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("CRASHSH_REQUIRE_VMCORE") == "1"


def missing(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} (required in CI)")
    pytest.skip(what)


@pytest.fixture(scope="session", params=SERIES)
def kernel(request) -> Fixture:
    """A built fixture (vmlinux, modules, dumps, manifest) for each kernel series."""
    fixture = find_fixture(request.param)
    if fixture is None:
        missing(f"no {request.param} fixture: run tests/fixtures/build.sh {request.param}")
    return fixture


def built(series: str, kind: str) -> Fixture:
    """The fixture of *series* and panic *kind*, or a skip/failure when it is not built."""
    fixture = find_fixture(series, kind)
    if fixture is None:
        missing(f"no {series} {kind} fixture: run tests/fixtures/build.sh {series}")
    return fixture


@pytest.fixture(scope="session", params=[(s, k) for s in SERIES for k in KINDS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def panic_dump(request) -> Fixture:
    """Every fixture of every kernel series and panic kind (sysrq, oops, bug, hung_task,
    soft_lockup, oom): its manifest's "panic" says what the pipeline did."""
    return built(*request.param)


@pytest.fixture(scope="session", params=[(s, k) for s in SERIES for k in ("oops", "bug")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def faulting_dump(request) -> Fixture:
    """The fixtures whose panic is a fault in a known function: an oops and a BUG per series."""
    return built(*request.param)


@pytest.fixture(scope="session")
def crashsh(kernel):
    """An in-process crashsh session on the fixture's kdump, plain output."""
    from tests.differential.runner import CrashshRunner

    return CrashshRunner(kernel)


@pytest.fixture(scope="session")
def oracle() -> str:
    path = find_oracle()
    if path is None:
        missing("no crash >= 9 oracle (set CRASHSH_ORACLE_CRASH)")
    return path


@pytest.fixture(scope="session")
def any_kernel() -> Fixture:
    """The first built fixture, for checks that need a dump but not a particular kernel."""
    fixture = next(iter(available()), None)
    if fixture is None:
        missing("no fixture: run tests/fixtures/build.sh")
    return fixture
