"""Kernel release strings of a dump and of a vmlinux file, to explain a mismatch."""

from __future__ import annotations

import mmap
import re

import drgn


def dump_osrelease(prog: drgn.Program) -> str | None:
    """OSRELEASE from the dump's VMCOREINFO (needs no debuginfo)."""
    try:
        return prog["UTS_RELEASE"].string_().decode()
    except (LookupError, drgn.FaultError, ValueError):
        return None


def vmlinux_osrelease(path: str) -> str | None:
    """The release in a vmlinux's ``linux_banner`` ("Linux version X ...")."""
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            at = m.find(b"Linux version ")
            window = m[at : at + 200] if at >= 0 else b""
    except (OSError, ValueError):
        return None
    match = re.match(rb"Linux version (\S+) \(", window)
    return match.group(1).decode(errors="replace") if match else None


def vmcoreinfo_entry(prog: drgn.Program, key: str) -> str | None:
    """The value of ``KEY=value`` in the dump's VMCOREINFO note, e.g.
    ``NUMBER(KERNEL_IMAGE_SIZE)``, or None."""
    try:
        text = prog["VMCOREINFO"].string_().decode(errors="replace")
    except (LookupError, drgn.FaultError, ValueError):
        return None
    prefix = f"{key}="
    return next((line[len(prefix):] for line in text.splitlines() if line.startswith(prefix)),
                None)
