"""Kernel objects laid over a dump: a separate drgn Program whose memory has patches over the
dump's own and one fake region, for walks the fixtures' kernels have nothing to walk."""

from __future__ import annotations

import struct

import drgn

FAKE = 0xFFFFEEEE00000000  # unmapped in the fixtures' kernels


class Overlay:
    """Memory written over a Program: patches of real memory and one fake region."""

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        self.fake = bytearray(0x4000)
        self.next = 0

    def alloc(self, type_name: str) -> int:
        address = FAKE + self.next
        self.next += (drgn.sizeof(self.prog.type(type_name)) + 63) & ~63
        return address

    def put(self, address: int, *words: int) -> None:
        self.write(address, struct.pack(f"<{len(words)}Q", *words))

    def write(self, address: int, data: bytes) -> None:
        if FAKE <= address < FAKE + len(self.fake):
            self.fake[address - FAKE:address - FAKE + len(data)] = data
        else:
            self.prog.add_memory_segment(address, len(data),
                                         lambda a, n, offset, phys, d=data: d[offset:offset + n])

    def install(self) -> None:
        fake = bytes(self.fake)
        self.prog.add_memory_segment(FAKE, len(fake),
                                     lambda a, n, offset, phys: fake[offset:offset + n])
