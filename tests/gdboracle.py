"""crash's own gdb as the oracle for crashsh's disassembler, on any bytes.

Binutils' objdump shares gdb's opcodes library, but not its version: Debian 12's objdump 2.40
prints ``shl %eax`` where crash 9's gdb 16.3 prints ``shl $1,%eax``, knows no APX ``{rex2}``
prefix, and more. So the bytes to check are laid into a copy of a fixture's ELF dump (a
filtered-out PT_LOAD gets them as its file data) and read back with crash's ``x/Ni``.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crashsh.toolchain.gdbdis import COMMENT_GAP, MAX_INSN, GdbDisassembler, Line

PHDR = struct.Struct("<IIQQQQQQ")  # Elf64_Phdr: type flags offset vaddr paddr filesz memsz align
PT_LOAD = 1
SYNC = b"\x90" * MAX_INSN  # whatever instruction runs into these nops ends inside them
GDB_LINE = re.compile(r" +0x([0-9a-f]+):\t(.*)")


def cases(chunks: Iterable[bytes]) -> bytes:
    """The chunks one after another, each followed by SYNC so that the next starts an
    instruction whatever the last one of its predecessor did."""
    return b"".join(chunk + SYNC for chunk in chunks)


def plant(dump: Path, copy: Path, data: bytes) -> int:
    """Copy the ELF *dump* with *data* as the contents of one PT_LOAD that has no file data
    (memory the dump filtered out, which crash never needs); return its virtual address."""
    shutil.copyfile(dump, copy)
    with copy.open("r+b") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phnum, = struct.unpack_from("<H", head, 56)
        f.seek(phoff)
        table = f.read(PHDR.size * phnum)
        for i in range(phnum):
            fields = list(PHDR.unpack_from(table, i * PHDR.size))
            if fields[0] == PT_LOAD and fields[5] == 0 and fields[6] >= len(data) \
                    and fields[3] >> 63:
                fields[2] = f.seek(0, 2)
                f.write(data + SYNC * 4)  # gdb reads ahead a little
                fields[5] = fields[6] = len(data) + len(SYNC) * 4  # gdb stops after that
                f.seek(phoff + i * PHDR.size)
                f.write(PHDR.pack(*fields))
                return fields[3]
    raise LookupError(f"{dump}: no empty PT_LOAD of {len(data)} bytes")


def gdb_x(oracle: str, vmlinux: str, dump: Path, addr: int, count: int) -> list[tuple[int, str]]:
    """crash's gdb ``x/{count}i addr``: (address, text) of each line it printed."""
    out = subprocess.run([oracle, "-s", vmlinux, str(dump)], capture_output=True, text=True,
                         input=f"set scroll off\nx/{count}i {addr:#x}\nq\n", timeout=1200,
                         errors="replace").stdout
    return [(int(m[1], 16), m[2]) for m in map(GDB_LINE.fullmatch, out.splitlines()) if m]


@dataclass
class Difference:
    code: str  # the instruction's bytes (the longer of the two lengths), hex
    gdb: str
    ours: str | None
    size: int  # our length


def gdb_text(line: Line) -> str | None:
    """gdb's line less the address: the text, then a RIP-relative operand's target."""
    if line.rip_relative and line.text is not None:
        return f"{line.text}{COMMENT_GAP}# {line.target:#x}"
    return line.text


def differences(data: bytes, addr: int, gdb: list[tuple[int, str]]) -> list[Difference]:
    """Where GdbDisassembler, started at each address gdb printed (but the last), prints
    another text or length than gdb did (SYNC's nops are not decoded again)."""
    dis = GdbDisassembler()
    found = []
    for (at, text), (after, _) in zip(gdb, gdb[1:]):
        if text == "nop" and after == at + 1:
            continue
        off = at - addr
        code = data[off:off + 2 * MAX_INSN]
        if len(code) <= MAX_INSN:
            break  # the data's last bytes: gdb read on past them
        ours = next(dis.lines(code, at, count=1))
        if gdb_text(ours) != text or ours.size != after - at:
            found.append(Difference(code[:max(after - at, ours.size)].hex(), text,
                                    gdb_text(ours), ours.size))
    return found
