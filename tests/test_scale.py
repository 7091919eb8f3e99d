"""The scale fixture (tests/fixtures/scale/): its 10,000 workload tasks and 100,000-object cache
are all in crashsh's output, the commands that grow with them match crash exactly, and every dump
format the pipeline writes opens with the same `sys` and `bt` as the zlib kdump, or (a split
kdump) fails with one line that says how to join the parts."""

from __future__ import annotations

import struct

import pytest

from crashsh import dumpfile
from crashsh.cli import classify
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError
from crashsh.session import _check_dump
from tests.conftest import missing
from tests.differential.fixtures import SCALE, SCALE_SERIES, find_fixture
from tests.differential.runner import CrashshRunner, compare
from tests.differential.scale import SCALE_CASES, scale_values

# disk_dump_header.status compression bits (makedumpfile's diskdump_mod.h)
COMPRESSION = {"zlib": 0x1, "lzo": 0x2, "snappy": 0x4, "zstd": 0x20}


@pytest.fixture(scope="session", params=SCALE_SERIES)
def scale(request):
    fixture = find_fixture(request.param, SCALE)
    if fixture is None:
        missing(f"no {request.param} scale fixture: run tests/fixtures/build.sh {request.param} scale")
    return fixture


@pytest.fixture(scope="session")
def scale_crashsh(scale) -> CrashshRunner:
    return CrashshRunner(scale)


@pytest.fixture(scope="session")
def scale_comparisons(scale, scale_crashsh, oracle):
    return compare(scale, SCALE_CASES, runner=scale_crashsh, values=scale_values(scale))


@pytest.mark.parametrize("index", range(len(SCALE_CASES)), ids=[c.line for c in SCALE_CASES])
def test_scale_matches_crash(scale, scale_comparisons, index):
    comparison = scale_comparisons[index]
    assert comparison.matches(scale.series), comparison.first_difference(scale.series)


def test_every_workload_task_is_listed(scale, scale_crashsh):
    workload = scale.manifest["scale"]
    listed = set()
    for line in scale_crashsh.run("ps").splitlines()[1:]:
        fields = line.lstrip(">").split()
        if fields and fields[-1] == workload["comm"]:
            listed.add(int(fields[0]))
    assert len(workload["tids"]) == workload["nr_tasks"] >= 10_000
    assert listed == set(workload["tids"])


def test_every_workload_file_is_listed(scale, scale_crashsh):
    with_files = scale.manifest["scale"]["with_files"]
    assert with_files
    out = scale_crashsh.run(f"foreach {' '.join(map(str, with_files))} files")
    assert out.count("PID: ") == len(with_files)
    assert out.count("/file-") == len(with_files)


def test_big_cache_holds_every_object(scale, scale_crashsh):
    cache = scale.manifest["scale"]["cache"]
    rows = [line.split() for line in scale_crashsh.run(f"kmem -s {cache['name']}").splitlines()]
    (row,) = [r for r in rows if r and r[-1] == cache["name"]]
    assert int(row[2]) == cache["objects"] >= 100_000  # ALLOCATED


@pytest.fixture(scope="session")
def zlib_output(scale) -> tuple[str, str]:
    return outputs(scale, scale.format_files("zlib")[0])


def outputs(fixture, path: str) -> tuple[str, str]:
    """`sys` (without its DUMPFILE line, which names the file) and `bt` on the dump *path*."""
    runner = CrashshRunner(fixture, path=path)
    sys_lines = [line for line in runner.run("sys").splitlines()
                 if not line.lstrip().startswith("DUMPFILE:")]
    return "\n".join(sys_lines), runner.run("bt")


@pytest.mark.parametrize("name", ["lzo", "snappy", "zstd", "elf"])
def test_format_opens_as_the_zlib_dump(scale, zlib_output, name):
    (path,) = scale.format_files(name)
    if name == "elf":
        assert dumpfile.identify(path) is FileKind.ELF_CORE
    else:
        assert compression(path) == COMPRESSION[name]
    assert outputs(scale, path) == zlib_output


def test_zlib_dump_is_zlib(scale, zlib_output):
    sys_text, bt = zlib_output
    assert compression(scale.format_files("zlib")[0]) == COMPRESSION["zlib"]
    assert "PANIC:" in sys_text and bt.startswith("PID: ")


def compression(path: str) -> int:
    with open(path, "rb") as f:
        head = f.read(428)
    assert head.startswith(dumpfile.KDUMP_SIGNATURE)
    return struct.unpack_from("<i", head, 424)[0] & sum(COMPRESSION.values())


def test_split_kdump_is_one_line_saying_how_to_join_it(scale):
    parts = scale.format_files("split")
    ranges = [dumpfile.split_part(p) for p in parts]
    assert len(parts) > 1 and all(ranges)
    assert all(a.end_pfn == b.start_pfn for a, b in zip(ranges, ranges[1:]))
    for part in parts:
        with pytest.raises(CrashshError, match=r"one part of a split kdump .*--reassemble"):
            _check_dump(part)
    with pytest.raises(CrashshError) as e:
        classify([scale.vmlinux, *parts])
    assert str(e.value).startswith(" ".join(parts) + ": a split kdump (makedumpfile --split)")
    assert f"makedumpfile --reassemble {' '.join(parts)} vmcore" in str(e.value)
    assert "\n" not in str(e.value)
