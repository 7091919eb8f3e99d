"""search on the fixture dumps, checked against drgn's reads of the same memory."""

from __future__ import annotations

import drgn
import pytest

from crashsh.commands.search import Crossing, Search, SearchOptions, Target
from crashsh.dumpfile import PageMap, identify
from crashsh.kernel import memmap, tasks
from crashsh.kernel.searchpages import Chunk
from tests.differential.runner import run_json


def addresses(out: str) -> list[int]:
    return [int(line.split(":")[0], 16) for line in out.splitlines()
            if ":" in line and not line.startswith("PID:")]


def test_stack_words_found_where_drgn_reads_them(crashsh):
    """-t on the panic task's own address: every aligned word equal to it, task by task."""
    prog = crashsh.session.prog
    wanted = crashsh.session.panic_task.value_()
    size = tasks.thread_size(prog)
    expected = []
    for tc in tasks.task_contexts(prog):
        base = tc.task.stack.value_()
        try:
            data = prog.read(base, size)
        except Exception:  # noqa: BLE001 - a stack the dump does not hold is skipped
            continue
        expected += [base + i for i in range(0, size, 8)
                     if int.from_bytes(data[i:i + 8], "little") == wanted]
    assert addresses(crashsh.run(f"search -t {wanted:x}")) == expected


def test_value_search_in_a_range(crashsh):
    prog = crashsh.session.prog
    banner = prog.symbol("linux_banner").address
    word = int.from_bytes(prog.read(banner, 8), "little")
    # -K: the kernel image once (a range that starts in it is searched again as vmalloc)
    out = crashsh.run(f"search -K -s {banner - 4096:x} -l 8192 {word:x}")
    data = prog.read(banner - 4096, 8192)
    assert addresses(out) == [banner - 4096 + i for i in range(0, 8192, 8)
                              if data[i:i + 8] == data[4096:4104]]


def test_string_crossing_a_page(crashsh):
    """A match split over two pages is reported from the second, as crash's search_chars."""
    carry = Crossing()
    search = Search(crashsh.session, SearchOptions(mode="chars"), [Target(b"abcdef", "")])
    first = Chunk(0x1000, 0x1000, 4096, b"x" * 4093 + b"abc")
    second = Chunk(0x2000, 0x2000, 4096, b"def" + b"y" * 4093)
    assert search.string_hits(first.address, first.data, 0, 4096, carry) == []
    hits = search.string_hits(second.address, second.data, 0, 4096, carry)
    assert [(h.address, h.text[:9]) for h in hits] == [(0x1FFD, "abcdefyyy")]
    # the same two pages read as one piece
    both = Chunk(0x1000, 0x1000, 8192, first.data + second.data)
    hits = search.string_hits(both.address, both.data, 0, 8192, Crossing())
    assert [(h.address, h.text[:9]) for h in hits] == [(0x1FFD, "abcdefyyy")]


@pytest.mark.parametrize("dump", ["kdump", "elf"])
def test_page_map_agrees_with_drgn(kernel, crashsh, dump):
    """The frames the page map says a dump holds read (zeros where it says so); the others
    fail to read: sampled over all of memory."""
    prog = drgn.Program()
    prog.set_core_dump(kernel.dump(dump))
    path = kernel.dump(dump)
    page_map = PageMap(path, identify(path), 4096)
    end = memmap.mem_map(crashsh.session.prog).node_ranges[-1][2]
    held = {frame: zeros for a, b, zeros in page_map.held(0, end) for frame in range(a, b)}
    assert held
    for frame in range(0, end, 97):
        try:
            data = prog.read(frame << 12, 4096, True)
        except drgn.FaultError:
            assert frame not in held, frame
            continue
        assert frame in held, frame
        if held[frame]:
            assert data == bytes(4096), frame


def test_json_records_per_match(crashsh):
    """JSON writes one record per matching word, as the plain lines."""
    banner = crashsh.session.prog.symbol("linux_banner").address
    word = int.from_bytes(crashsh.session.prog.read(banner, 8), "little")
    line = f"search -K -s {banner:x} -l 256 {word:x} {word:x}"  # -K: the image once
    records = run_json(crashsh, line)
    plain = crashsh.run(line).splitlines()
    assert [f"{r['address'][2:]}: {r['value'][2:]} {r['label']}" for r in records] == plain
    assert len(records) == 2 and records[0]["address"] == hex(banner)

