"""The scale fixture (tests/fixtures/scale/): its 10,000 workload tasks and 100,000-object cache
are all in crashsh's output, the commands that grow with them match crash exactly, and every dump
format the pipeline writes opens with the same `sys` and `bt` as the zlib kdump, the split kdump's
parts (in any order) as that whole dump, and a split kdump without one of its parts is one line."""

from __future__ import annotations

import filecmp
import os
import struct

import pytest

from crashsh import dumpfile, splitdump
from crashsh.cli import classify
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError
from crashsh.session import DebugInfoSources, Session
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


@pytest.fixture(scope="module")
def split_cache(tmp_path_factory):
    """crashsh's cache in a directory of this module's own (the joined split kdump)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def split_parts(scale, split_cache) -> list[str]:
    """The parts of the split kdump, in an order other than makedumpfile's."""
    parts = scale.format_files("split")
    assert len(parts) > 2 and all(map(splitdump.read_part, parts))
    return [parts[-1], *parts[:-1]]


@pytest.fixture(scope="module")
def split_crashsh(scale, split_parts) -> CrashshRunner:
    return CrashshRunner(scale, path=split_parts)


def test_split_kdump_joins_into_the_whole_dump(scale, split_parts):
    """The pipeline writes the whole kdump and the split set with the same makedumpfile from
    the same ELF dump: joined as makedumpfile --reassemble does, the parts are that file."""
    joined = splitdump.joined(split_parts)
    assert filecmp.cmp(joined, scale.format_files("zlib")[0], shallow=False)


def test_split_kdump_is_joined_once(split_parts):
    joined = splitdump.joined(split_parts)
    before = os.stat(joined)
    assert splitdump.joined(sorted(split_parts)) == joined
    after = os.stat(joined)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("line", ["ps", "log", "kmem -s"])
def test_split_kdump_reads_as_the_whole_dump(scale_crashsh, split_crashsh, line):
    assert split_crashsh.run(line) == scale_crashsh.run(line)


def test_split_kdump_sys_names_its_parts(scale_crashsh, split_crashsh, split_parts):
    """crash's sys names every part in the order given, each on its own line with its flags
    after one space (diskdump.c: show_split_dumpfiles)."""
    whole = scale_crashsh.run("sys").splitlines()
    (dumpfile,) = [i for i, line in enumerate(whole) if line.startswith("    DUMPFILE: ")]
    flag = " [PARTIAL DUMP]" if whole[dumpfile].endswith("  [PARTIAL DUMP]") else ""
    names = [f"{'   DUMPFILES: ' if i == 0 else ' ' * 14}{part}{flag}"
             for i, part in enumerate(split_parts)]
    assert split_crashsh.run("sys").splitlines() == [
        *whole[:dumpfile], *names, *whole[dumpfile + 1:]]
    assert f"      dumpfile: {split_parts[-1]}" in split_crashsh.run("set -v").splitlines()


def test_missing_split_part_is_one_line(scale, split_parts):
    sources = DebugInfoSources(scale.vmlinux, [scale.moddir])
    given = [split_parts[0], split_parts[2]]
    with pytest.raises(CrashshError) as e:
        Session.open(given, sources)
    start, end = splitdump.read_part(split_parts[1]).pfns
    assert str(e.value) == (f"{' '.join(given)}: a split kdump without its part of pfns "
                            f"{start:#x}-{end:#x} (give every file makedumpfile --split wrote)")
    with pytest.raises(CrashshError, match=f"^{split_parts[1]}: a split kdump without its part "):
        Session.open(split_parts[1], sources)
    with pytest.raises(CrashshError, match="^too many dumpfile arguments"):
        classify([scale.vmlinux, split_parts[0], scale.format_files("zlib")[0]])
