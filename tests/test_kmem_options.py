"""kmem -m, -I, -S=cpus, -i=shared and -l/-L against the dump as drgn reads it, and the pure
pieces: getopt's optional-argument words, gdb's printm of struct page members, crash's member
formats and readings."""

from __future__ import annotations

import re
import struct

import drgn
import pytest
from drgn import Object
from drgn.helpers.linux.mm import (
    PageReserved,
    compound_head,
    follow_phys,
    for_each_page,
    pfn_to_page,
    virt_to_page,
    vma_find,
)
from drgn.helpers.linux.percpu import per_cpu_ptr
from drgn.helpers.linux.pid import find_task

from crashsh.kernel.pagemembers import PageMember, column_reader, printm
from crashsh.parsing import CommandParser
from crashsh.render.kmem_pages import member_format
from tests.differential.runner import run_json

MEMBERS = "flags,_refcount.counter,_mapcount,lru.next,mapping,index"


def sample_pages(kernel, crashsh) -> list[Object]:
    """A slab page (the test module's objects), an anonymous page (the marker's data) and the
    first page of memory."""
    prog = crashsh.session.prog
    obj = prog[kernel.manifest["test_module"]["objs_array"]][0]
    mm = find_task(prog, kernel.manifest["marker"]["pid"]).mm
    data = vma_find(mm, mm.end_data).vm_start
    return [compound_head(virt_to_page(obj)),
            pfn_to_page(prog, follow_phys(mm, data).value_() >> 12), pfn_to_page(prog, 1)]


def member_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[1:]]


# -- kmem -m --------------------------------------------------------------------------------------
def test_members_are_the_page_fields(kernel, crashsh):
    pages = sample_pages(kernel, crashsh)
    text = crashsh.run(f"kmem -m {MEMBERS} " + " ".join(f"{p.value_():x}" for p in pages))
    assert text.splitlines()[0].split() == ["PAGE", *MEMBERS.split(",")]
    rows = member_rows(text)
    assert len(rows) == len(pages)
    for page, row in zip(pages, rows):
        # _refcount.counter is a signed int shown in the output radix: decimal
        assert int(row[0], 16) == page.value_()
        assert int(row[1], 16) == page.flags.value_()
        assert int(row[2]) == page._refcount.counter.value_()
        assert int(row[3]) == page._mapcount.counter.value_()
        assert int(row[4], 16) == page.lru.next.value_()
        assert int(row[5], 16) == page.mapping.value_()
        assert int(row[6]) == page.index.value_()
    assert int(rows[1][5], 16) & 1  # an anonymous page: mapping is its anon_vma | 1


def test_members_in_hex_follow_the_radix(kernel, crashsh):
    """With `set radix 16` integers print in hex, at their width; _mapcount stays decimal."""
    page = sample_pages(kernel, crashsh)[1]
    crashsh.run("set radix 16")
    try:
        [row] = member_rows(crashsh.run(f"kmem -m index,mlock_count,_mapcount {page.value_():x}"))
    finally:
        crashsh.run("set radix 10")
    assert row[1] == f"{page.index.value_():016x}"
    assert row[2] == f"{page.mlock_count.value_():08x}"
    assert int(row[3]) == page._mapcount.counter.value_()


def test_member_json(kernel, crashsh):
    page = sample_pages(kernel, crashsh)[0]
    data = run_json(crashsh, f"kmem -m lru,_refcount,flags {page.value_():x}")
    assert [m["name"] for m in data["members"]] == ["lru", "_refcount", "flags"]
    [row] = data["rows"]
    assert row["page"] == hex(page.value_())  # addresses and words: "0x…" strings
    assert row["values"] == [[hex(page.lru.next.value_()), hex(page.lru.prev.value_())],
                             [hex(page._refcount.counter.value_())], hex(page.flags.value_())]


# -- -I, -S=cpus, -i=shared, -l -------------------------------------------------------------------
def test_ignored_caches_keep_their_place(kernel, crashsh):
    cache = kernel.manifest["test_module"]["cache"]
    rows = crashsh.run("kmem -s").splitlines()
    ignoring = crashsh.run(f"kmem -s -I kmalloc-8,{cache}").splitlines()
    ignored = {i for i, line in enumerate(ignoring) if " [IGNORED] " in line}
    names = [line.split()[-1] for line in rows]
    assert {names[i] for i in ignored} == {"kmalloc-8", cache}
    assert all(ignoring[i] == rows[i] for i in range(len(rows)) if i not in ignored)
    for i in ignored:
        assert ignoring[i] == f"{rows[i].split()[0]} {'[IGNORED]':<43}  {names[i]}"


def test_chosen_cpus_only(kernel, crashsh):
    """-S=1 shows CPU 1's kmem_cache_cpu only, and PER-CPU counts only its slab."""
    prog = crashsh.session.prog
    name = kernel.manifest["test_module"]["cache"]
    text = crashsh.run(f"kmem -S=1 {name}")
    assert re.findall(r"^CPU (\d+) KMEM_CACHE_CPU:$", text, re.M) == ["1"]
    cache = Object(prog, "struct kmem_cache *", int(text.splitlines()[1].split()[0], 16))
    cpu_slab = per_cpu_ptr(cache.cpu_slab, 1)
    assert f"CPU 1 KMEM_CACHE_CPU:\n  {cpu_slab.value_():x}\n" in text
    per_cpu = int(re.search(r"^[0-9a-f]+ +0 +\d+ +\d+ +(\d+)$", text, re.M).group(1))
    assert per_cpu == (1 if cpu_slab.slab else 0)


def test_shared_pages(crashsh):
    """SHARED: pages not PG_reserved with a _refcount above 1, over every struct page."""
    prog = crashsh.session.prog
    row = next(line for line in crashsh.run("kmem -i=shared").splitlines()
               if line.lstrip().startswith("SHARED "))
    expected = sum(1 for page in for_each_page(prog)
                   if not PageReserved(page) and page._refcount.counter.value_() > 1)
    assert int(row.split()[1]) == expected


def test_lru_lists_are_gone(crashsh):
    """-l/-L read the 2.4 kernels' global LRU lists: these kernels have none of them."""
    for name in ("active_list", "inactive_list", "inactive_dirty_list"):
        with pytest.raises(LookupError):
            crashsh.session.prog.symbol(name)
    assert crashsh.run("kmem -l a") == "kmem: active_list does not exist in this kernel\n"
    assert crashsh.run("kmem -L i") == "kmem: inactive_list does not exist in this kernel\n"


# -- pure pieces ----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv,words", [
    (["-S=1"], ["-S==1"]), (["-sS=1", "x"], ["-s", "-S==1", "x"]), (["-S", "x"], ["-S=", "x"]),
    (["-Sx"], ["-S=x"]), (["-mS"], ["-mS"]), (["-smS"], ["-smS"]), (["--", "-S"], ["--", "-S"]),
    (["x-S", "--long"], ["x-S", "--long"]),
])
def test_optional_arguments_stay_in_their_word(argv, words):
    p = CommandParser("t", attached="S")
    p.add_argument("-S", nargs="?")
    p.add_argument("-s", action="store_true")
    p.add_argument("-m")
    assert p.split_attached(argv) == words


def test_printm_finds_members_as_gdb(crashsh):
    page = crashsh.session.prog.type("struct page")
    for path in ("flags", "lru", "lru.next", "lru->next", "_mapcount.counter", "mapping"):
        type, offset, bitpos, bitsize = printm(page, path)
        assert offset == drgn.offsetof(page, path.replace("->", "."))
        assert (bitpos, bitsize) == (0, 0)
    assert printm(page, "lru.next")[0].kind == drgn.TypeKind.POINTER
    for path in ("bogus", "flags.bits", "lru.next.next", "index+1", "lru.", "lru[0]"):
        assert printm(page, path) is None


def member(kind: str, length: int, unsigned: bool = True, radix: int = 10, bitpos: int = 0,
           bitsize: int = 0) -> PageMember:
    return PageMember("m", kind, length, 0, unsigned, bitpos, bitsize, radix)


@pytest.mark.parametrize("m,value,text", [
    (member("integer", 8, radix=16), 0x10, "0000000000000010  "),
    (member("integer", 8, False, 16), -1, "ffffffffffffffff"),  # crash's format lacks "  "
    (member("integer", 4, False, 16), -1, "ffffffff  "),
    (member("integer", 2, False, 16), -2, "fffffffe  "),  # %04x of a short promoted to int
    (member("integer", 2, False, 16), 2, "0002  "),
    (member("integer", 1, radix=16), 7, "07  "),
    (member("integer", 4, False), -5, "-5  "),
    (member("bool", 1), 1, "true  "),
    (member("bool", 1), 2, "2"),
    (member("bool", 1, radix=16), 2, "2  "),
    (member("counter", 4), -1, "-1  "),
    (member("words", 16), (1, 2), "0000000000000001,0000000000000002  "),
    (member("ints", 8), (1, 2), "00000001,00000002"),
    (member("short", 2), 3, "0003  "),
    (member("pointer", 8), 0xFFFF, "000000000000ffff  "),
])
def test_member_formats_are_crash_s(m, value, text):
    assert member_format(m)(value) == text


def test_bitfields_are_extracted_and_cast_to_their_type():
    raw = struct.pack("<II", 0xF0, 0x70)
    signed = member("integer", 4, False, bitpos=4, bitsize=4)
    assert column_reader(signed, 4)(raw) == [15, 7]  # crash casts the extracted bits to int
    assert column_reader(member("integer", 4, bitpos=4, bitsize=3), 4)(raw) == [7, 7]
    assert column_reader(member("words", 8), 4 * 2)(raw) == [(0x70000000F0,)]
