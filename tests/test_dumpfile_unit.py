"""File identification by content, truncation checks and split kdump sets, on synthetic files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from crashsh import dumpfile, splitdump
from crashsh.cli import classify
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError
from crashsh.session import _check_dump


def elf(path, e_type: int, phdrs: list[tuple[int, int]] = ()) -> None:
    """A minimal ELF64 header with PT_LOAD (offset, filesz) program headers."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<H", header, 16, e_type)
    struct.pack_into("<Q", header, 32, 64)
    struct.pack_into("<HH", header, 54, 56, len(phdrs))
    table = b"".join(struct.pack("<IIQQQQQQ", 1, 0, off, 0, 0, size, size, 0) for off, size in phdrs)
    path.write_bytes(bytes(header) + table)


def test_identify(tmp_path):
    elf(tmp_path / "vmlinux", 2)
    elf(tmp_path / "core", 4)
    (tmp_path / "kdump").write_bytes(b"KDUMP   " + bytes(100))
    (tmp_path / "flat").write_bytes(b"makedumpfile" + bytes(100))
    (tmp_path / "text").write_text("hello")
    assert dumpfile.identify(str(tmp_path / "vmlinux")) is FileKind.VMLINUX
    assert dumpfile.identify(str(tmp_path / "core")) is FileKind.ELF_CORE
    assert dumpfile.identify(str(tmp_path / "kdump")) is FileKind.KDUMP
    assert dumpfile.identify(str(tmp_path / "flat")) is FileKind.FLATTENED
    assert dumpfile.identify(str(tmp_path / "text")) is FileKind.UNKNOWN


def test_files_in_either_order(tmp_path):
    elf(tmp_path / "vmlinux", 2)
    elf(tmp_path / "core", 4)
    kernel, core = str(tmp_path / "vmlinux"), str(tmp_path / "core")
    assert classify([core, kernel]) == (kernel, [core])
    assert classify([kernel, core]) == (kernel, [core])


def test_truncated_elf_core_is_refused(tmp_path):
    elf(tmp_path / "core", 4, [(4096, 1 << 20)])
    with pytest.raises(CrashshError, match="truncated"):
        _check_dump(str(tmp_path / "core"))


def test_flattened_dump_says_how_to_convert(tmp_path):
    (tmp_path / "flat").write_bytes(b"makedumpfile" + bytes(100))
    with pytest.raises(CrashshError, match=r"makedumpfile -R"):
        _check_dump(str(tmp_path / "flat"))


def test_text_file_is_not_a_dump(tmp_path):
    (tmp_path / "notes").write_text("hello")
    with pytest.raises(CrashshError, match="notes: not a supported file format "
                                           r"\(neither a kernel image nor a dump file\)$"):
        classify([str(tmp_path / "notes")])


def test_wrong_pairs_are_crash_words(tmp_path):
    elf(tmp_path / "vmlinux", 2)
    elf(tmp_path / "core", 4)
    (tmp_path / "kdump").write_bytes(b"KDUMP   " + bytes(100))
    kernel, core, kdump = (str(tmp_path / name) for name in ("vmlinux", "core", "kdump"))
    with pytest.raises(CrashshError, match="^too many namelist arguments: .* both kernel images"):
        classify([kernel, kernel])
    with pytest.raises(CrashshError, match="^too many dumpfile arguments: .* both dump files"):
        classify([kdump, core])
    with pytest.raises(CrashshError, match="not a supported file format \\(a directory\\)$"):
        classify([str(tmp_path), core])


def test_unreadable_file_is_its_os_error(tmp_path, monkeypatch):
    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(dumpfile, "identify", refuse)
    (tmp_path / "secret").write_text("x")
    with pytest.raises(CrashshError, match="secret: Permission denied$"):
        classify([str(tmp_path / "secret")])


def kdump(path, split: tuple[int, int] | None = None, max_mapnr: int = 0) -> None:
    """A kdump-compressed header (version 6, 4 KiB blocks) and sub-header; *split* makes it one
    part of a makedumpfile --split set covering those pfns."""
    header = bytearray(8192)
    header[:8] = dumpfile.KDUMP_SIGNATURE
    struct.pack_into("<i", header, 8, 6)
    struct.pack_into("<i", header, 428, 4096)
    struct.pack_into("<Q", header, 4096 + 96, max_mapnr)
    if split:
        struct.pack_into("<i", header, 4096 + 12, 1)
        struct.pack_into("<QQ", header, 4096 + 80, *split)
    path.write_bytes(bytes(header))


def test_split_parts_are_found_with_their_pfns(tmp_path):
    kdump(tmp_path / "whole")
    kdump(tmp_path / "part", (0x8000, 0x10000))
    assert splitdump.read_part(str(tmp_path / "whole")) is None
    assert splitdump.read_part(str(tmp_path / "part")).pfns == (0x8000, 0x10000)
    elf(tmp_path / "core", 4)
    assert splitdump.read_part(str(tmp_path / "core")) is None


def split_set(tmp_path, ranges, max_mapnr) -> list[str]:
    parts = [str(tmp_path / f"part{i}") for i in range(len(ranges))]
    for part, pfns in zip(parts, ranges):
        kdump(Path(part), pfns, max_mapnr)
    return parts


def test_split_set_in_any_order_is_one_dump(tmp_path):
    parts = split_set(tmp_path, [(0, 0x8000), (0x8000, 0x10000)], 0x10000)
    elf(tmp_path / "vmlinux", 2)
    assert classify([parts[1], str(tmp_path / "vmlinux"), parts[0]]) == (
        str(tmp_path / "vmlinux"), [parts[1], parts[0]])
    assert [p.path for p in splitdump.checked_set(parts[::-1])] == parts
    kdump(tmp_path / "whole")
    with pytest.raises(CrashshError, match="^too many dumpfile arguments"):
        classify([parts[0], str(tmp_path / "whole")])


@pytest.mark.parametrize("given, message", [
    ([0, 2], r"^part0 part2: a split kdump without its part of pfns 0x1-0x2 \(give every file "
             r"makedumpfile --split wrote\)$"),
    ([1, 2], r"^part1 part2: a split kdump without its part of pfns 0x0-0x1 "),
    ([0, 1], r"^part0 part1: a split kdump without its part of pfns 0x2-0x3 "),
    ([2], r"^part2: a split kdump without its part of pfns 0x0-0x2 "),
    ([1], r"^part1: a split kdump without its parts of pfns 0x0-0x1, 0x2-0x3 "),
    ([0, 1, 0], r"^split dumpfiles are identical: part0 and part0$"),
])
def test_incomplete_split_set_is_one_line(tmp_path, monkeypatch, given, message):
    split_set(tmp_path, [(0, 1), (1, 2), (2, 3)], 3)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CrashshError, match=message):
        splitdump.checked_set([f"part{i}" for i in given])


def test_parts_of_other_dumps_are_one_line(tmp_path, monkeypatch):
    parts = split_set(tmp_path, [(0, 1), (1, 2)], 2)
    header = bytearray(Path(parts[1]).read_bytes())
    header[408] = 1  # another dump's timestamp
    Path(parts[1]).write_bytes(bytes(header))
    (tmp_path / "copy").write_bytes(Path(parts[0]).read_bytes())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CrashshError, match="^split dumpfiles derived from different vmcores: "
                                           "part0 and part1$"):
        splitdump.checked_set(["part0", "part1"])
    with pytest.raises(CrashshError, match="^split dumpfiles overlap: part0 and copy both hold "
                                           "pfns 0x0-0x1$"):
        splitdump.checked_set(["part0", "copy"])
    kdump(tmp_path / "whole")
    with pytest.raises(CrashshError, match="^whole: not a part of a split kdump"):
        splitdump.checked_set(["part0", "whole"])


def test_missing_split_part_on_the_command_line_is_one_line(tmp_path, capsys):
    from crashsh.cli import main

    elf(tmp_path / "vmlinux", 2)
    parts = split_set(tmp_path, [(0, 1), (1, 2), (2, 3)], 3)
    assert main([str(tmp_path / "vmlinux"), parts[2], parts[0]]) == 1
    err = capsys.readouterr().err
    assert err == (f"crashsh: {parts[2]} {parts[0]}: a split kdump without its part of pfns "
                   "0x1-0x2 (give every file makedumpfile --split wrote)\n")


def test_kdump_cut_inside_its_header_is_one_line(tmp_path):
    (tmp_path / "kdump").write_bytes(dumpfile.KDUMP_SIGNATURE + bytes(100))
    with pytest.raises(CrashshError, match=r"kdump: truncated dump file \(108 bytes, shorter "
                                           r"than its kdump header\)$"):
        _check_dump(str(tmp_path / "kdump"))


BLOCK = 4096
PAGE_DESC = struct.Struct("<qIIQ")


def synthetic_kdump(path, pages: dict[int, bytes], max_mapnr: int,
                    pfns: tuple[int, int] | None = None, eraseinfo: bytes = b"") -> None:
    """A kdump-compressed file as makedumpfile writes one (header version 6, zero-filled pages
    excluded: their descriptors name one page of zeros), holding *pages* (pfn -> data, b"" for
    a zero-filled page); with *pfns*, one part of a split set: the bitmaps of every page, the
    descriptors and data of those in the range, then its *eraseinfo*."""
    start, end = pfns or (0, max_mapnr)
    header = bytearray(BLOCK)
    header[:8] = dumpfile.KDUMP_SIGNATURE
    struct.pack_into("<i", header, 8, 6)
    struct.pack_into("<IiiII", header, 424, 1, BLOCK, 1, 2, max_mapnr)
    bitmap = bytearray(BLOCK)
    for pfn in pages:
        bitmap[pfn // 8] |= 1 << pfn % 8
    data_start = 4 * BLOCK + PAGE_DESC.size * len(pages)
    descs, data = bytearray(), bytearray(BLOCK)  # the page of zeros first
    for pfn in sorted(p for p in pages if start <= p < end):
        offset = data_start + len(data) if pages[pfn] else data_start
        descs += PAGE_DESC.pack(offset, len(pages[pfn]) or BLOCK, 1 if pages[pfn] else 0, 0)
        data += pages[pfn]
    erase_at = data_start + len(data) if eraseinfo else 0
    shown = (start, end) if pfns else (0, 0)
    sub = struct.pack("<QiiQQQQQQQQQQQ", 0, 1, pfns is not None, *shown, BLOCK + 104, 10,
                      0, 0, erase_at, len(eraseinfo), *shown, max_mapnr) + b"VMCOREINFO"
    path.write_bytes(bytes(header) + sub.ljust(BLOCK, b"\0") + bytes(bitmap) * 2
                     + bytes(descs).ljust(data_start - 4 * BLOCK, b"\0") + data + eraseinfo)


def test_split_parts_join_into_the_whole_dump(tmp_path, monkeypatch):
    """Pages of every size, zero-filled ones and eraseinfo in some parts: joined, the parts
    are the file makedumpfile writes for the whole dump."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pages = {pfn: bytes([pfn]) * (pfn * 7 % 50) if pfn % 4 else b""
             for pfn in range(40) if pfn % 3}
    ranges, erased = [(0, 16), (16, 32), (32, 45)], [b"erase 0\n", b"", b"erase 2\n"]
    synthetic_kdump(tmp_path / "whole", pages, 45, eraseinfo=b"".join(erased))
    parts = []
    for i, (pfns, eraseinfo) in enumerate(zip(ranges, erased)):
        parts.append(tmp_path / f"part{i}")
        synthetic_kdump(parts[-1], pages, 45, pfns, eraseinfo)
    joined = splitdump.joined([str(p) for p in reversed(parts)])
    assert Path(joined).read_bytes() == (tmp_path / "whole").read_bytes()


def test_split_part_cut_short_is_one_line_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pages = {pfn: bytes([pfn]) * 100 for pfn in range(8)}
    parts = [tmp_path / "part0", tmp_path / "part1"]
    synthetic_kdump(parts[0], pages, 8, (0, 4))
    synthetic_kdump(parts[1], pages, 8, (4, 8))
    whole = parts[1].read_bytes()
    parts[1].write_bytes(whole[:-50])
    with pytest.raises(CrashshError, match=f"^{parts[1]}: truncated dump file "
                                           f"\\({len(whole) - 50} bytes, needs {len(whole)}\\)$"):
        splitdump.joined([str(p) for p in parts])
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
