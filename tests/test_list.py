"""list: the walk's stop rules (a looping list ends with crash's duplicate-entry error), the
struct member reader, and values on the fixture dumps checked against the manifest."""

from __future__ import annotations

import pytest

from crashsh.commands.lists import ListOptions, walk
from crashsh.errors import CommandError
from crashsh.kernel.structview import declares_string, fgets_chunks, parse_for_member


def reader(memory: dict[int, int]):
    return lambda address, what: memory[address]


def test_walk_ends_at_null_and_at_start():
    assert list(walk(reader({0x10: 0x20, 0x20: 0}), ListOptions(start=0x10))) == [0x10, 0x20]
    circular = {0x10: 0x20, 0x20: 0x30, 0x30: 0x10}
    assert list(walk(reader(circular), ListOptions(start=0x10))) == [0x10, 0x20, 0x30]


def test_walk_stops_on_a_loop_not_through_the_start():
    # 0x10 -> 0x20 -> 0x30 -> 0x40 -> 0x30: crash prints 0x30 again, then the error
    memory = {0x10: 0x20, 0x20: 0x30, 0x30: 0x40, 0x40: 0x30}
    seen = []
    with pytest.raises(CommandError, match="\nduplicate list entry: 30"):
        for entry in walk(reader(memory), ListOptions(start=0x10)):
            seen.append(entry)
    assert seen == [0x10, 0x20, 0x30, 0x40, 0x30]


def test_walk_null_in_a_list_head_list_is_an_error():
    memory = {0x18: 0x28, 0x28: 0}
    opts = ListOptions(start=0x18, list_head_offset=8, head_format=True)
    with pytest.raises(CommandError, match="invalid list entry: 0"):
        list(walk(reader(memory), opts))


def test_parse_for_member_scalar_and_aggregate():
    text = ("struct n {\n  value = 7,\n  list = {\n    next = 0x1,\n    prev = 0x2\n  },\n"
            '  name = "x"\n}\n')
    chunks = fgets_chunks(text)
    assert parse_for_member(chunks, "value") == ["  value = 7,\n"]
    assert parse_for_member(chunks, "list") == [
        "  list = {\n", "    next = 0x1,\n", "    prev = 0x2\n", "  },\n"]
    assert parse_for_member(chunks, "next") == []  # only top-level members


def test_fgets_cuts_long_lines():
    assert [len(c) for c in fgets_chunks("x" * 3000 + "\n")] == [1499, 1499, 3]


def test_is_string_reads_ptype_lines():
    ptype = "struct a {\n    char *name;\n    unsigned char c[4];\n    int v;\n}\n"
    assert declares_string(ptype, "name") and declares_string(ptype, "c")
    assert not declares_string(ptype, "v") and not declares_string(ptype, "nam")


def test_test_module_list_values(kernel, crashsh):
    """-S reads each node's value: the manifest's list, in order, from the list head."""
    module = kernel.manifest["test_module"]
    out = crashsh.run(f"list -H {module['list']} -o crashsh_node.list -S crashsh_node.value")
    values = [int(line.split("=")[1]) for line in out.splitlines() if "value =" in line]
    assert values == module["list_values"]
    reverse = crashsh.run(f"list -r -H {module['list']}").split()
    assert len(reverse) == module["list_nodes"]


def test_task_list_matches_drgn(kernel, crashsh):
    """-h init_task with the tasks list_head: init_task, then every thread group leader."""
    from drgn.helpers.linux.list import list_for_each_entry

    prog = crashsh.session.prog
    init_task = prog["init_task"]
    out = crashsh.run("list -h init_task -o task_struct.tasks").split()
    leaders = list_for_each_entry("struct task_struct", init_task.tasks.address_of_(), "tasks")
    assert [int(a, 16) for a in out] == [init_task.address_] + [t.value_() for t in leaders]


def test_brent_reports_the_loop():
    """-B: entries until the loop is found, its length, the distance to it, the duplicate."""
    from crashsh.commands.lists import ListNotice, brent_walk

    memory = {0x10: 0x20, 0x20: 0x30, 0x30: 0x40, 0x40: 0x50, 0x50: 0x30}
    seen = []
    with pytest.raises(CommandError, match="\nduplicate list entry: 30"):
        for item in brent_walk(reader(memory), ListOptions(start=0x10)):
            seen.append(item)
    assert seen == [0x10, 0x20, 0x30, 0x40, 0x50, 0x30,
                    ListNotice("loop detected, loop length: 3"),
                    ListNotice("length from start to loop: 2", newline=False)]
    assert list(brent_walk(reader({0x10: 0x20, 0x20: 0}), ListOptions(start=0x10))) == [
        0x10, 0x20]
