"""JSON output for scripts (issue 12): addresses and 64-bit words as "0x…" strings, no
layout fields, one JSON Lines document per command, failures as error objects.

The walk runs every command line of the differential suite (and the commands it leaves out)
on each fixture dump in JSON mode, then one line of each command through the installed
`crashsh --json` on stdin."""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import pkgutil
import re
import shutil
import subprocess
import typing

import pytest

import crashsh
from crashsh.render.jsonout import (UNIONS, JsonDocument, is_hex, jsonable, record_fields,
                                    record_hints)

SAFE_INTEGER = 2**53  # the largest integer a JSON reader using doubles keeps exactly
KERNEL_SPACE = 0xFFFF000000000000  # x86-64 kernel addresses (and sign-extended words) are above
HEX = re.compile(r"0x[0-9a-f]+")
# field names that hold an address in every record that has them
ADDRESS_NAMES = {
    "address", "task", "page", "physical", "virtual", "mapping", "dentry", "inode",
    "superblock", "mount", "module", "base", "sp", "pc", "mm", "pgd", "cache", "slab",
    "kmem_cache_cpu", "pgdat", "mem_map", "directory", "kstackp", "thread_info", "start",
    "end", "vm", "start_paddr", "location", "block", "offsets", "zone_addresses", "blocks",
    "socket", "sock", "gendisk", "object", "operations",
}
NOT_ADDRESSES = {"RdOptions.slab", "MemoryUsage.slab"}  # counts named like an address
LAYOUT_NAMES = re.compile(r"_width$|^width$|^style$|digits$|^radix$|^subsequent$|^blank_|"
                          r"_column$|^verbose$")
# lines for the commands the differential suite leaves out (crash has no py, extend runs none)
EXTRA_LINES = ["py task.pid", "gdb p jiffies", "extend", "help", "help ps", "alias"]


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
    """Collect kernel addresses and other integers a double cannot hold, address fields that
    are numbers, layout keys."""
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
    elif isinstance(value, int) and not isinstance(value, bool):
        if value >= KERNEL_SPACE:
            problems.append(f"{path}: kernel address as a number ({value:#x})")
        elif abs(value) > SAFE_INTEGER:
            problems.append(f"{path}: {value} > 2**53")


def tasks_in(value) -> list[dict]:
    """The objects that name a task by pid and task_struct (task headers, ps rows, set)."""
    if isinstance(value, list):
        return [t for item in value for t in tasks_in(item)]
    if not isinstance(value, dict):
        return []
    found = [value] if isinstance(value.get("pid"), int) and isinstance(value.get("task"), str) \
        else []
    return found + tasks_in(list(value.values()))


@dataclasses.dataclass
class Ran:
    line: str
    output: str
    failed: bool  # the session counted a failure

    @property
    def document(self) -> dict:
        return json.loads(self.output)


def run_lines(crashsh, lines: list[str]) -> list[Ran]:
    """*lines* in JSON mode in the fixture's session, each with its output and failure."""
    shell, settings = crashsh.shell, crashsh.session.settings
    settings.output = "json"
    try:
        ran = []
        for line in lines:
            before = shell.failures
            output = crashsh.run(line)
            ran.append(Ran(line, output, shell.failures > before))
        return ran
    finally:
        settings.output = "plain"


@pytest.fixture(scope="module")
def suite_json(kernel, crashsh) -> list[Ran]:
    """Every suite line (placeholders from the dump) and EXTRA_LINES, run in JSON mode."""
    from tests.differential.oracle import BANNER
    from tests.differential.runner import placeholders
    from tests.differential.suite import SUITE

    values = placeholders(crashsh, kernel)
    lines = [case.line.format(**values) for case in SUITE if case.line != BANNER]
    return run_lines(crashsh, lines + EXTRA_LINES)


def command_of(line: str) -> str:
    return re.split(r"[\s/]", line, maxsplit=1)[0]


def test_the_walk_runs_every_command(suite_json):
    from crashsh.registry import command_names

    assert set(command_names()) <= {command_of(ran.line) for ran in suite_json}


def test_every_line_is_one_document_with_hex_addresses_and_no_layout(suite_json):
    problems = []
    for ran in suite_json:
        documents = ran.output.splitlines()
        if len(documents) != 1:
            problems.append(f"{ran.line}: {len(documents)} lines of output")
            continue
        try:
            doc = json.loads(documents[0])
        except json.JSONDecodeError as e:
            problems.append(f"{ran.line}: not JSON ({e})")
            continue
        if doc.get("command") != ran.line or not {"data", "error"} & doc.keys() \
                or not doc.keys() <= {"command", "data", "error"}:
            problems.append(f"{ran.line}: document {sorted(doc)}")
        walk(doc.get("data"), ran.line, problems)
    assert not problems, "\n".join(problems[:40])


def test_a_document_has_an_error_exactly_when_its_command_failed(suite_json):
    """The error is crash's text (a string); a command that failed with nothing to show has
    no data; one that did not fail always has its data."""
    wrong = []
    for ran in suite_json:
        doc = ran.document
        if ("error" in doc) != ran.failed or not isinstance(doc.get("error", ""), str) \
                or ("data" not in doc and not ran.failed):
            wrong.append(f"{ran.line}: failed={ran.failed} {sorted(doc)}")
    assert not wrong, "\n".join(wrong[:40])


def test_tasks_are_drgns(suite_json, crashsh):
    """Every {pid, task} in the documents is drgn's task_struct of that pid, as "0x…" (pid 0:
    a CPU's idle task)."""
    from drgn.helpers.linux.pid import find_task
    from drgn.helpers.linux.sched import idle_task

    prog = crashsh.session.prog
    checked = 0
    for ran in suite_json:
        for found in tasks_in(ran.document.get("data")):
            if found["pid"] == 0:
                cpus = [found["cpu"]] if isinstance(found.get("cpu"), int) else []
                expected = {hex(idle_task(prog, cpu).value_()) for cpu in cpus}
                assert not expected or found["task"] in expected, ran.line
            else:
                assert found["task"] == hex(find_task(prog, found["pid"]).value_()), ran.line
            checked += 1
    assert checked > 1000


def keys_in(value) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*map(keys_in, value.values()))
    if isinstance(value, list):
        return set().union(*map(keys_in, value))
    return set()


def test_docs_name_every_key(suite_json):
    """docs/json.md is the schema: each key the walk met is named there (keys of a mapping
    by the kernel's own names, such as vm_stat's NR_FREE_PAGES, are left out)."""
    import pathlib

    docs = (pathlib.Path(__file__).parent.parent / "docs" / "json.md").read_text()
    named = set(re.findall(r"\w+", docs))
    keys = set().union(*(keys_in(ran.document) for ran in suite_json))
    assert {k for k in keys if not re.fullmatch(r"[A-Z0-9_]+", k)} - named == set()


def test_every_commands_bad_option_is_an_error_document(crashsh):
    """A command that cannot run gives {command, error} alone, and counts as a failure;
    help reads on past the bad option, as crash's does (its data too)."""
    from crashsh.registry import command_names

    for ran in run_lines(crashsh, [f"{name} -Z" for name in sorted(command_names())]):
        doc = ran.document
        keys = {"command", "error"} | ({"data"} if ran.line == "help -Z" else set())
        assert ran.failed and doc.keys() == keys, ran.line
        assert doc["error"] and doc["command"] == ran.line


def test_json_lines_of_every_command_on_stdin(kernel, suite_json):
    """One line of each command that ran cleanly in the walk, fed to `crashsh --json` on its
    stdin: one document per line in order, exit status 0; then one failing line more: its
    error document and exit status 1."""
    exe = shutil.which("crashsh")
    assert exe, "crashsh is not installed (pip install -e .)"
    first: dict[str, str] = {}
    for ran in suite_json:
        if not ran.failed and "$" not in ran.line and ">" not in ran.line:
            first.setdefault(command_of(ran.line), ran.line)
    lines = list(first.values())

    def crashsh_json(lines: list[str]) -> tuple[int, list[dict]]:
        proc = subprocess.run([exe, "-s", "--json", "-d", kernel.moddir, kernel.vmlinux,
                               kernel.dump()], input="".join(f"{l}\n" for l in lines),
                              capture_output=True, text=True, timeout=600)
        return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]

    status, docs = crashsh_json(lines)
    assert [d["command"] for d in docs] == lines
    assert [d for d in docs if "error" in d] == [] and status == 0
    status, docs = crashsh_json(lines[:2] + ["bt -Z"] + lines[2:4])
    assert status == 1 and [d["command"] for d in docs] == lines[:2] + ["bt -Z"] + lines[2:4]
    assert docs[2].keys() == {"command", "error"}
    assert docs[2]["error"].startswith("bt: invalid option -- 'Z'\n")
