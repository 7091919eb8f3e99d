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
