"""search's pure parts: interval sets, word and string finding, the kdump bitmap's runs and
the frames of ELF segments, checked against plain loops over the same data."""

from __future__ import annotations

import random

from crashsh.bytesearch import WordFinder, occurrences, printable
from crashsh.dumpfile import PT_LOAD, Segment, bit_runs, elf_frames
from crashsh.intervals import Intervals


def aligned_words(data: bytes, size: int, value: int, mask: int, low: int,
                  high: int) -> list[int]:
    return [at for at in range(low - low % size + (size if low % size else 0), high - size + 1,
                               size)
            if int.from_bytes(data[at:at + size], "little") | mask == value | mask]


def expanded(runs: list[int], size: int) -> list[int]:
    return [at for i in range(0, len(runs), 2) for at in range(runs[i], runs[i + 1], size)]


def test_word_finder_equals_a_loop():
    rng = random.Random(9)
    # few distinct bytes so that values, runs and unaligned copies are frequent
    data = bytes(rng.choice(b"\0\0\0\x01\xff") for _ in range(1 << 14))
    for size in (2, 4, 8):
        for value in (0, 1, (1 << size * 8) - 1, 0x100):
            for mask in (0, 0xFF, 0xFF00):
                for low, high in ((0, len(data)), (8, len(data) - 8), (16, 40)):
                    found = WordFinder(size, value, mask).runs(data, low, high)
                    assert expanded(found, size) == aligned_words(data, size, value, mask,
                                                                  low, high)


def test_word_finder_runs_are_maximal():
    data = bytes(8) * 3 + b"\1" * 8 + bytes(8) * 2 + b"\0\0\0\0\1\0\0\0"
    assert WordFinder(8, 0).runs(data, 0, len(data)) == [0, 24, 32, 48]


def test_occurrences_overlap_and_stay_inside():
    data = b"aaaa"
    assert list(occurrences(data, b"aa", 0, 4)) == [0, 1, 2]
    assert list(occurrences(data, b"aa", 1, 3)) == [1]
    assert printable(b"a\x00~\x7f\x80") == "a.~.."


def test_intervals():
    s = Intervals([(10, 20), (30, 40)])
    s.add(40, 45)  # joins the last
    s.add(0, 5)  # out of order
    assert list(s) == [(0, 5), (10, 20), (30, 45)]
    assert s.at(12) == (True, 8) and s.at(25) == (False, 5) and s.at(50) == (False, None)
    assert list(s.within(3, 35)) == [(3, 5), (10, 20), (30, 35)]
    assert list(s.outside(3, 35)) == [(5, 10), (20, 30)]


def test_bitmap_runs_cross_blocks():
    bits = (1 << 5) - 1 | ((1 << 40000) - 1) << 32760 | 1 << 99999
    bitmap = bits.to_bytes(100000 // 8 + 1, "little")
    assert list(bit_runs(bitmap, 0, 100000)) == [(0, 5), (32760, 72760), (99999, 100000)]
    assert list(bit_runs(bitmap, 3, 32770)) == [(3, 5), (32760, 32770)]


def test_elf_frames_whole_pages_and_zero_fill():
    page = 4096
    segments = [Segment(PT_LOAD, 0, 0x1000, 0x2000, 0x5800),  # data, then zeros to 0x6800
                Segment(PT_LOAD, 0, 0x10000, 0, 0x2000),  # zeros only
                Segment(4, 0, 0x20000, 0x1000, 0x1000)]  # a note: no memory
    assert elf_frames(segments, page) == [(1, 3, False), (3, 6, True), (16, 18, True)]
