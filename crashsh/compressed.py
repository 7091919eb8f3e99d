"""Compressed kernel images (vmlinux.gz, .bz2, .xz), which crash accepts too: decompressed once
into crashsh's cache and opened from there."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil

from crashsh.filecache import cache_file, filled

OPENERS = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}


def opener(path: str):
    """The function that opens *path* decompressed, or None when it is not compressed."""
    with open(path, "rb") as f:
        head = f.read(6)
    return next((op for magic, op in OPENERS.items() if head.startswith(magic)), None)


def decompressed(path: str) -> str:
    """The cached decompressed copy of *path* (made now if it is not there yet)."""
    def write(out) -> None:
        with opener(path)(path, "rb") as src:
            try:
                shutil.copyfileobj(src, out, 1 << 20)
            except (OSError, EOFError, lzma.LZMAError) as e:
                raise OSError(f"cannot decompress: {e}") from None

    return str(filled(cache_file("vmlinux", path, suffix="-" + os.path.basename(path)), write))
