"""The kernel's ORC unwind tables, looked up as crash's orc_find() does (x86_64.c)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.module import address_to_module

LOOKUP_BLOCK = 256
REG_UNDEFINED, REG_BP = 0, 4
# x86_64 4-level layout with KASLR (arch/x86/include/asm/pgtable_64_types.h), as crash sets it
MODULES_VADDR = 0xFFFFFFFF80000000 + (1 << 30)
MODULES_END = 0xFFFFFFFFFF000000


@dataclass(frozen=True)
class OrcEntry:
    sp_offset: int
    bp_offset: int
    sp_reg: int
    bp_reg: int
    type: int


class OrcTables:
    """vmlinux's ORC tables (orc_lookup narrows the search) and each module's."""

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        self.stext = prog.symbol("_stext").address
        self.etext = prog.symbol("_etext").address
        entry = prog.type("struct orc_entry")
        self.entry_size = drgn.sizeof(entry)
        self.members = {m.name: m for m in entry.members}
        # 6.4 changed the bitfields: type grew to 3 bits and "end" gave way to "signal"
        self.type_call = 2 if "signal" in self.members and "end" not in self.members else 0
        self.reg_sp, self.reg_prev_sp = 5, 1
        try:
            fp_entry = self.entry_at(prog.symbol("orc_fp_entry").address)
        except LookupError:
            fp_entry = None
        if fp_entry and fp_entry.bp_reg == 8:  # the registers were renumbered (6.8)
            self.reg_sp, self.reg_prev_sp = 3, 8
        self.num_blocks = prog["lookup_num_blocks"].value_()
        self.lookup = prog.symbol("orc_lookup").address
        self.ip_table = prog.symbol("__start_orc_unwind_ip").address
        self.table = prog.symbol("__start_orc_unwind").address
        self.table_end = prog.symbol("__stop_orc_unwind").address
        self.found: dict[int, OrcEntry | None] = {}

    def entry_at(self, address: int) -> OrcEntry:
        bits = int.from_bytes(self.prog.read(address, self.entry_size), "little")

        def field(name: str, signed: bool = False) -> int:
            member = self.members[name]
            size = member.bit_field_size or 8 * drgn.sizeof(member.type)
            value = (bits >> member.bit_offset) & ((1 << size) - 1)
            return value - (1 << size) if signed and value >> (size - 1) else value

        return OrcEntry(field("sp_offset", True), field("bp_offset", True), field("sp_reg"),
                        field("bp_reg"), field("type"))

    def find(self, ip: int) -> OrcEntry | None:
        """The entry covering ip, or None (crash's orc_find())."""
        if ip not in self.found:
            self.found[ip] = self.lookup_entry(ip)
        return self.found[ip]

    def lookup_entry(self, ip: int) -> OrcEntry | None:
        if not self.stext <= ip < self.etext:
            return self.find_in_module(ip) if MODULES_VADDR <= ip < MODULES_END else None
        block = (ip - self.stext) // LOOKUP_BLOCK
        if block >= self.num_blocks - 1:
            return None
        start, stop = struct.unpack("<II", self.prog.read(self.lookup + 4 * block, 8))
        stop += 1
        if self.table + stop * self.entry_size > self.table_end:
            return None
        return self.search(self.ip_table + 4 * start, self.table + start * self.entry_size,
                           stop - start, ip)

    def find_in_module(self, ip: int) -> OrcEntry | None:
        module = address_to_module(self.prog, ip)
        if not module:
            return None
        arch = module.arch
        return self.search(arch.orc_unwind_ip.value_(), arch.orc_unwind.value_(),
                           arch.num_orcs.value_(), ip)

    def search(self, ip_table: int, table: int, count: int, ip: int) -> OrcEntry | None:
        """crash's __orc_find(): the last entry at or below ip (the first when none is)."""
        if count <= 0:
            return None
        raw = self.prog.read(ip_table, 4 * count)
        first, last, found = 0, count - 1, 0
        while first <= last:
            mid = (first + last) // 2
            if ip_table + 4 * mid + struct.unpack_from("<i", raw, 4 * mid)[0] <= ip:
                found, first = mid, mid + 1
            else:
                last = mid - 1
        return self.entry_at(table + found * self.entry_size)
