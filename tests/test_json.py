"""JSON output for scripts (issue 12): addresses and 64-bit words as "0x…" strings, no
layout fields, one JSON Lines document per command, failures as error objects.

The walk runs every command line of the differential suite on a fixture dump in JSON mode."""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import pkgutil
import re
import typing

import pytest

import crashsh
from crashsh.render.jsonout import (UNIONS, JsonDocument, is_hex, jsonable, record_fields,
                                    record_hints)

SAFE_INTEGER = 2**53  # the largest integer a JSON reader using doubles keeps exactly
# field names that hold an address in every record that has them
ADDRESS_NAMES = {
    "address", "task", "page", "physical", "virtual", "mapping", "dentry", "inode",
    "superblock", "mount", "module", "base", "sp", "pc", "mm", "pgd", "cache", "slab",
    "kmem_cache_cpu", "pgdat", "mem_map", "directory", "kstackp", "thread_info", "start",
    "end", "vm", "start_paddr", "location", "block", "offsets", "zone_addresses", "blocks",
}
NOT_ADDRESSES = {"RdOptions.slab", "MemoryUsage.slab"}  # counts named like an address
LAYOUT_NAMES = re.compile(r"_width$|^width$|^style$|_digits$|^radix$|^subsequent$|^blank_")


def record_classes() -> list[type]:
    """Every dataclass that crashsh's commands, kernel helpers and shared records define."""
    found = []
    for info in pkgutil.walk_packages(crashsh.__path__, "crashsh."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [cls for cls in vars(module).values()
                  if isinstance(cls, type) and dataclasses.is_dataclass(cls)
                  and cls.__module__ == module.__name__]
    return found


def test_every_record_annotation_resolves():
    """The JSON writer reads annotations: a name it cannot resolve would silently turn an
    Address field back into a number."""
    for cls in record_classes():
        record_hints(cls)


def test_address_named_fields_are_annotated():
    """A JSON field named like an address must not hold a plain int."""
    unmarked = []
    for cls in record_classes():
        if not cls.__module__.startswith(("crashsh.commands.", "crashsh.kernel.",
                                          "crashsh.records", "crashsh.conventions.",
                                          "crashsh.triage.")):
            continue
        hints = record_hints(cls)
        for name, _ in record_fields(cls):
            hint = hints[name]
            arms = typing.get_args(hint) if typing.get_origin(hint) in UNIONS else ()
            plain_int = hint is int or (int in arms and not any(map(is_hex, arms)))
            if name in ADDRESS_NAMES and plain_int \
                    and f"{cls.__qualname__}.{name}" not in NOT_ADDRESSES:
                unmarked.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert not unmarked


def test_hex_nested_and_layout_left_out():
    @dataclasses.dataclass
    class Sample:
        address: crashsh.records.Address
        pairs: list[tuple[int, crashsh.records.Address]]
        maybe: crashsh.records.Word | None
        count: int
        width: int = dataclasses.field(default=3, metadata=crashsh.records.LAYOUT)

    assert jsonable(Sample(0xFFFF888000000000, [(1, 16)], None, 7)) == {
        "address": "0xffff888000000000", "pairs": [[1, "0x10"]], "maybe": None, "count": 7}


def test_error_notices_leave_the_data_for_the_error():
    from crashsh.conventions.notices import Notice, error_log
    from crashsh.commands.ps import TaskListing

    out = io.StringIO()
    with error_log() as errors:
        doc = JsonDocument(out, "ps 99999")
        doc.write_data(TaskListing([], notices=[Notice("ps", "invalid task or pid value: 99999"),
                                                Notice("WARNING", "just so")]))
    doc.errors += [n.line for n in errors]
    doc.close()
    assert json.loads(out.getvalue()) == {
        "command": "ps 99999", "data": {"rows": [], "notices": [
            {"prefix": "WARNING", "message": "just so"}]},
        "error": "ps: invalid task or pid value: 99999"}


def test_a_stream_that_fails_part_way_still_closes_its_line():
    def items():
        yield {"a": 1}
        raise KeyboardInterrupt

    out = io.StringIO()
    doc = JsonDocument(out, "forever")
    with pytest.raises(KeyboardInterrupt):
        doc.write_data(items())
    doc.fail("forever: interrupted\n")
    doc.close()
    assert json.loads(out.getvalue()) == {"command": "forever", "data": [{"a": 1}],
                                          "error": "forever: interrupted"}


def walk(value, path: str, problems: list[str]) -> None:
    """Collect integers a double cannot hold, address fields that are numbers, layout keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            if LAYOUT_NAMES.search(key):
                problems.append(f"{path}/{key}: layout field")
            if key in ADDRESS_NAMES and isinstance(item, int) and not isinstance(item, bool):
                problems.append(f"{path}/{key}: address as a number ({item})")
            walk(item, f"{path}/{key}", problems)
    elif isinstance(value, list):
        for item in value:
            walk(item, f"{path}[]", problems)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > SAFE_INTEGER:
        problems.append(f"{path}: {value} > 2**53")


@pytest.fixture(scope="module")
def suite_json(kernel, crashsh):
    """Every suite line's JSON output on the fixture dump: [(line, output)]."""
    from tests.differential.oracle import BANNER
    from tests.differential.runner import placeholders
    from tests.differential.suite import SUITE

    values = placeholders(crashsh, kernel)
    settings = crashsh.session.settings
    settings.output = "json"
    try:
        return [(line, crashsh.run(line)) for line in
                (case.line.format(**values) for case in SUITE if case.line != BANNER)]
    finally:
        settings.output = "plain"


def test_every_suite_line_gives_one_document_with_hex_addresses(suite_json):
    problems = []
    for line, output in suite_json:
        documents = output.splitlines()
        if len(documents) != 1:
            problems.append(f"{line}: {len(documents)} lines of output")
            continue
        try:
            doc = json.loads(documents[0])
        except json.JSONDecodeError as e:
            problems.append(f"{line}: not JSON ({e})")
            continue
        if doc.get("command") != line or not {"data", "error"} & doc.keys():
            problems.append(f"{line}: document {sorted(doc)}")
        walk(doc.get("data"), line, problems)
    assert not problems, "\n".join(problems[:40])
