"""User page-table walks as crash does them on x86_64 (x86_64.c x86_64_uvtop_level4).

drgn's follow_phys() answers "mapped or not"; crash also keeps the raw entry of a page that
is not present (a swap entry, shown as its device and offset), and masks physical addresses
its own way. The table pages of one walk are read once each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import drgn

from crashsh.dumpfacts import facts

PRESENT, PSE, PROTNONE = 0x1, 0x80, 0x100  # PROTNONE is _PAGE_GLOBAL since 2.6.28
ENTRIES = 512


@dataclass(frozen=True)
class Translation:
    """A user address: its physical address when mapped, else the non-present PTE (or 0)."""

    physical: int | None
    pte: int = 0


@dataclass
class UserPageTable:
    """One mm's page tables (``mm->pgd``), with the table pages read so far."""

    prog: drgn.Program
    pgd: int
    levels: int = 4
    _tables: dict[tuple[int, bool], bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, mm: drgn.Object) -> "UserPageTable":
        prog = mm.prog_
        return cls(prog, mm.pgd.value_(), 5 if five_level(prog) else 4)

    @property
    def page_shift(self) -> int:
        return facts(self.prog).page_shift

    @property
    def physical_mask(self) -> int:
        """crash's PHYSICAL_PAGE_MASK: 46 physical address bits, 52 with 5-level paging."""
        return ((1 << (52 if self.levels == 5 else 46)) - 1) & ~((1 << self.page_shift) - 1)

    def entry(self, table: int, index: int, physical: bool) -> int:
        key = (table, physical)
        if key not in self._tables:
            self._tables[key] = self.prog.read(table, ENTRIES * 8, physical)
        return int.from_bytes(self._tables[key][index * 8:index * 8 + 8], "little")

    def translate(self, vaddr: int) -> Translation:
        """crash's uvtop(): walk pgd (p4d) pud pmd pte; 1 GB and 2 MB pages end it early."""
        shift = self.page_shift + 9 * self.levels
        table, physical = self.pgd, False  # mm->pgd is a kernel virtual address
        for level in range(self.levels, 0, -1):
            shift -= 9
            entry = self.entry(table, (vaddr >> shift) & (ENTRIES - 1), physical)
            usable = PRESENT | (PROTNONE if level <= 2 else 0)
            if not entry & usable:
                return Translation(None, entry if level == 1 else 0)
            if level in (2, 3) and entry & PSE:
                return Translation((entry & self.physical_mask) + (vaddr & ((1 << shift) - 1)))
            table, physical = entry & self.physical_mask, True
        return Translation(table + (vaddr & ((1 << self.page_shift) - 1)))


def five_level(prog: drgn.Program) -> bool:
    """Whether the kernel runs with 5-level page tables (LA57)."""
    try:
        return bool(prog["__pgtable_l5_enabled"].value_())
    except KeyError:  # no CONFIG_X86_5LEVEL
        return False
