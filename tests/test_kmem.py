"""kmem: the guest's ground truth (the test module's slab objects, /proc/meminfo, /proc/slabinfo)
against crashsh's kmem, crash's known mistakes, speed on the biggest caches, and the pure pieces
(sizes, ordinals, argument rules)."""

from __future__ import annotations

import re
import time

import pytest
from drgn import Object
from drgn.helpers.linux.cpumask import for_each_online_cpu
from drgn.helpers.linux.mm import vm_memory_committed
from drgn.helpers.linux.percpu import per_cpu_ptr
from drgn.helpers.linux.slab import find_slab_cache, slab_cache_usage

from crashsh.commands.kmem_free import ordinal
from crashsh.conventions.numbers import is_hexadecimal
from crashsh.render.kmem_usage import pages_to_size
from tests.differential.runner import run_json

PAGE = 4096


def cache_rows(crashsh, line: str = "kmem -s") -> list[list[str]]:
    """`kmem -s` rows: [cache, objsize, allocated, total, slabs, ssize, name]."""
    return [row.split() for row in crashsh.run(line).splitlines()[1:]]


def usage_rows(crashsh) -> dict[str, int]:
    """kmem -i: label -> pages."""
    found = {}
    for line in crashsh.run("kmem -i").splitlines()[1:]:
        m = re.match(r"\s*([A-Z ]+?)\s+(\d+)\s", line)
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


# -- the test module's cache ----------------------------------------------------------------------
def test_test_cache_objects_are_the_module_allocations(kernel, crashsh):
    """kmem -S lists exactly the objects the test module allocated (crashsh_test_objs[])."""
    module = kernel.manifest["test_module"]
    text = crashsh.run(f"kmem -S {module['cache']}")
    allocated = {int(a, 16) for a in re.findall(r"^  \[([0-9a-f]+)\]$", text, re.M)}
    objs = crashsh.session.prog[module["objs_array"]]
    expected = {objs[i].value_() for i in range(module["objects"])}
    assert len(allocated) == module["objects"] == 37
    assert allocated == expected


def test_test_cache_row_matches_slabinfo(kernel, crashsh):
    module = kernel.manifest["test_module"]
    info = kernel.manifest["slabinfo"][module["cache"]]
    [row] = cache_rows(crashsh, f"kmem -s {module['cache']}")
    assert row[-1] == module["cache"]
    assert int(row[1]) == module["object_size_declared"]
    assert int(row[2]) == module["objects"]
    assert int(row[3]) == info["num_objs"]


def test_cache_totals_are_the_nodes_totals(crashsh):
    """TOTAL is the nodes' total_objects (/proc/slabinfo's num_objs), as drgn counts them in the
    same dump (busy caches move between the guest's snapshot and the panic)."""
    prog = crashsh.session.prog
    rows = cache_rows(crashsh)
    assert len(rows) > 100
    for row in rows:
        usage = slab_cache_usage(Object(prog, "struct kmem_cache *", int(row[0], 16)))
        assert int(row[3]) == usage.num_objs, row


def test_address_of_a_test_object(kernel, crashsh):
    """kmem ADDRESS names the cache and marks the object allocated, then shows its page."""
    module = kernel.manifest["test_module"]
    address = crashsh.session.prog[module["objs_array"]][0].value_()
    text = crashsh.run(f"kmem {address:x}")
    assert f"  {module['cache']}\n" in text
    assert f"  [{address:x}]\n" in text
    assert "      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS\n" in text


def test_free_object_is_in_a_cpu_cache(kernel, crashsh):
    """Free objects of the CPU slab are found through the hardened per-CPU freelist."""
    text = crashsh.run(f"kmem -S {kernel.manifest['test_module']['cache']}")
    assert re.search(r"^   [0-9a-f]+  \(cpu \d+ cache\)$", text, re.M)


# -- kmem -i --------------------------------------------------------------------------------------
def test_memory_usage_matches_meminfo(kernel, crashsh):
    meminfo = kernel.manifest["meminfo"]
    rows = usage_rows(crashsh)
    assert rows["TOTAL MEM"] == meminfo["MemTotal"] // PAGE
    assert rows["COMMIT LIMIT"] == meminfo["CommitLimit"] // PAGE
    assert rows["TOTAL SWAP"] == meminfo["SwapTotal"] // PAGE
    assert rows["FREE"] == pytest.approx(meminfo["MemFree"] // PAGE, rel=0.05)


def test_committed_is_the_percpu_sum(crashsh):
    """crash prints vm_committed_as.count alone; crashsh sums the percpu counter (the central
    count plus every online CPU's delta), as the kernel's /proc/meminfo Committed_AS does."""
    prog = crashsh.session.prog
    committed = usage_rows(crashsh)["COMMITTED"]
    assert committed == vm_memory_committed(prog)
    counter = prog["vm_committed_as"]
    deltas = sum(per_cpu_ptr(counter.counters, cpu)[0].value_()
                 for cpu in for_each_online_cpu(prog))
    assert committed == max(counter.count.value_() + deltas, 0)


# -- kmem -n: crash's UNKNOWN memory block state on 6.12 ------------------------------------------
def test_memory_blocks_are_online(kernel, crashsh):
    """All the guest's memory is online; 6.12 made the states an enum (MEM_ONLINE = 0), where
    crash still decodes bit flags and prints UNKNOWN."""
    text = crashsh.run("kmem -n")
    blocks = re.findall(r"^ [0-9a-f]{16} +memory\d+ .* (\S+) +\d+ *$", text, re.M)
    assert len(blocks) == kernel.manifest["mem_mb"] // 128
    assert set(blocks) == {"ONLINE"}


# -- crashsh's extra: kmem -s --sort --------------------------------------------------------------
@pytest.mark.parametrize("key,column,reverse", [("size", 1, True), ("objects", 2, True),
                                                ("name", 6, False)])
def test_sort(crashsh, key, column, reverse):
    rows = cache_rows(crashsh, f"kmem -s --sort {key}")
    values = [int(r[column]) if column < 6 else r[column] for r in rows]
    assert values == sorted(values, reverse=reverse)
    assert sorted(map(tuple, rows)) == sorted(map(tuple, cache_rows(crashsh)))


# -- speed: big caches stream and stay fast -------------------------------------------------------
def test_biggest_cache_and_all_slabs_are_fast(crashsh):
    start = time.monotonic()
    rows = cache_rows(crashsh)
    biggest = max(rows, key=lambda r: int(r[3]))
    assert int(biggest[3]) > 10000
    crashsh.run(f"kmem -S {biggest[-1]}")
    crashsh.run("kmem -S")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("line", ["kmem -p", "kmem -m flags,lru"])
def test_page_map_is_fast_and_complete(kernel, crashsh, line):
    start = time.monotonic()
    text = crashsh.run(line)
    assert time.monotonic() - start < 10
    assert text.count("\n") - 1 == kernel.manifest["mem_mb"] << 20 >> 12


# -- JSON -----------------------------------------------------------------------------------------
def test_json_cache_rows(crashsh, kernel):
    module = kernel.manifest["test_module"]
    [row] = run_json(crashsh, f"kmem -s {module['cache']}")["rows"]
    assert row["name"] == module["cache"] and row["allocated"] == module["objects"]
    assert row["cache"] == hex(find_slab_cache(crashsh.session.prog, module["cache"]).value_())


# -- errors and usage ------------------------------------------------------------------------------
def test_option_conflicts(crashsh):
    assert crashsh.run("kmem -i -s").startswith("kmem: only one flag allowed!\nUsage:\n")
    assert crashsh.run("kmem -z 1000").startswith("kmem: no address arguments allowed")
    assert crashsh.run("kmem").startswith("Usage:\n  kmem ")
    assert crashsh.run("kmem -c") == ("kmem: -c option not supported or applicable on this "
                                      "architecture or kernel\n")


# -- pure pieces ----------------------------------------------------------------------------------
@pytest.mark.parametrize("pages,text", [(0, "0"), (96, "384 KB"), (183550, "717 MB"),
                                        (168557, "658.4 MB"), (262144, "1 GB"),
                                        (1 << 18 | 1 << 16, "1.2 GB")])
def test_pages_to_size(pages, text):
    assert pages_to_size(pages) == text


@pytest.mark.parametrize("n,text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                    (11, "11st"), (12, "12nd"), (20, "20th"), (33, "33rd")])
def test_ordinal_is_crash_s(n, text):
    assert ordinal(n) == text


@pytest.mark.parametrize("text,hexadecimal", [("ffff8d40f3989318", True), ("0x1000", True),
                                              ("1000", True), ("bad", True), ("x", False),
                                              ("crashsh_test_cache", False), ("jiffies", False)])
def test_address_or_cache_name(text, hexadecimal):
    assert is_hexadecimal(text) is hexadecimal
