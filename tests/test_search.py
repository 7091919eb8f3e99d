"""search on the fixture dumps, checked against drgn's reads of the same memory."""

from __future__ import annotations

from crashsh.commands.search import Target, string_hits
from crashsh.kernel import tasks


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


def test_string_crossing_a_page():
    """A match split over two pages is reported from the second, as crash's search_chars."""
    carry: dict = {}
    target = [Target(b"abcdef", "")]
    first = list(string_hits(target, 0x1000, b"x" * 4093 + b"abc", carry))
    second = list(string_hits(target, 0x2000, b"def" + b"y" * 4093, carry))
    assert first == [] and [(h.address, h.text[:9]) for h in second] == [(0x1ffd, "abcdefyyy")]
