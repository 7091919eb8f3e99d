"""File identification by content, and truncation checks, on synthetic files."""

from __future__ import annotations

import struct

import pytest

from crashsh import dumpfile
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
    expected = (str(tmp_path / "vmlinux"), str(tmp_path / "core"))
    assert classify([expected[1], expected[0]]) == expected
    assert classify(list(expected)) == expected


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


def kdump(path, split: tuple[int, int] | None = None) -> None:
    """A kdump-compressed header (version 6, 4 KiB blocks) and sub-header; *split* makes it one
    part of a makedumpfile --split set covering those pfns."""
    header = bytearray(8192)
    header[:8] = dumpfile.KDUMP_SIGNATURE
    struct.pack_into("<i", header, 8, 6)
    struct.pack_into("<i", header, 428, 4096)
    if split:
        struct.pack_into("<i", header, 4096 + 12, 1)
        struct.pack_into("<QQ", header, 4096 + 80, *split)
    path.write_bytes(bytes(header))


def test_split_parts_are_found_with_their_pfns(tmp_path):
    kdump(tmp_path / "whole")
    kdump(tmp_path / "part", (0x8000, 0x10000))
    assert dumpfile.split_part(str(tmp_path / "whole")) is None
    assert dumpfile.split_part(str(tmp_path / "part")) == dumpfile.SplitPart(0x8000, 0x10000)
    elf(tmp_path / "core", 4)
    assert dumpfile.split_part(str(tmp_path / "core")) is None


def test_split_kdump_says_how_to_join_it(tmp_path):
    parts = []
    for i, pfns in enumerate([(0, 0x8000), (0x8000, 0x10000)]):
        parts.append(str(tmp_path / f"part{i}"))
        kdump(tmp_path / f"part{i}", pfns)
    with pytest.raises(CrashshError, match=r"part0: one part of a split kdump \(makedumpfile "
                                           r"--split\), .* `makedumpfile --reassemble PART1 "
                                           r"PART2 \.\.\. vmcore` and open vmcore$"):
        _check_dump(parts[0])
    elf(tmp_path / "vmlinux", 2)
    with pytest.raises(CrashshError, match=f"^{parts[0]} {parts[1]}: a split kdump .* "
                                           f"`makedumpfile --reassemble {parts[0]} {parts[1]} "
                                           "vmcore`"):
        classify([str(tmp_path / "vmlinux"), *parts])
    kdump(tmp_path / "whole")
    with pytest.raises(CrashshError, match="^too many dumpfile arguments"):
        classify([parts[0], str(tmp_path / "whole")])


def test_three_split_parts_on_the_command_line_are_one_line(tmp_path, capsys):
    from crashsh.cli import main

    elf(tmp_path / "vmlinux", 2)
    parts = []
    for i, pfns in enumerate([(0, 1), (1, 2), (2, 3)]):
        parts.append(str(tmp_path / f"part{i}"))
        kdump(tmp_path / f"part{i}", pfns)
    assert main([str(tmp_path / "vmlinux"), *parts]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a split kdump" in err and "--reassemble" in err


def test_kdump_cut_inside_its_header_is_one_line(tmp_path):
    (tmp_path / "kdump").write_bytes(dumpfile.KDUMP_SIGNATURE + bytes(100))
    with pytest.raises(CrashshError, match=r"kdump: truncated dump file \(108 bytes, shorter "
                                           r"than its kdump header\)$"):
        _check_dump(str(tmp_path / "kdump"))
