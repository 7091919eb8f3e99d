"""Page-table walks as crash does them on x86_64 (x86_64.c x86_64_uvtop_level4, x86_64_kvtop).

drgn's follow_phys() answers "mapped or not"; crash also keeps the raw entry of a page that
is not present (a swap entry, shown as its device and offset), masks physical addresses its
own way and shows every entry it read (vtop). The table pages of one walk are read once each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import drgn

from crashsh.dumpfacts import facts
from crashsh.errors import CommandError
from crashsh.kernel.memmap import kvtop
from crashsh.records import Address, Word

PRESENT, PSE, PROTNONE = 0x1, 0x80, 0x100  # PROTNONE is _PAGE_GLOBAL since 2.6.28
ENTRIES = 512
LEVEL_NAMES = {5: "PGD", 4: "P4D", 3: "PUD", 2: "PMD", 1: "PTE"}
TABLE_NAMES = {"PGD": "pgd page", "P4D": "p4d page", "PUD": "pud page", "PMD": "pmd page",
               "PTE": "page table"}  # crash's FILL_* readmem types
HUGE = {3: "1GB", 2: "2MB"}


@dataclass(frozen=True)
class Translation:
    """A user address: its physical address when mapped, else the non-present PTE (or 0)."""

    physical: Address | None
    pte: Word = 0


@dataclass(frozen=True)
class TableEntry:
    """One entry a walk read: its level (PGD P4D PUD PMD PTE), physical address and value."""

    level: str
    address: Address
    value: Word


@dataclass
class Walk:
    """A whole walk: the entries read, the physical address (None when unmapped), the page
    size of a huge mapping ("1GB", "2MB", else ""), and the last entry, whose bits crash
    shows (0 when the walk stopped above the PTE level)."""

    entries: list[TableEntry]
    physical: Address | None
    page_size: str = ""
    leaf: Word = 0


@dataclass
class PageTable:
    """One mm's page tables (``mm->pgd``; init_mm's for kernel addresses), with the table
    pages read so far."""

    prog: drgn.Program
    pgd: Address
    levels: int = 4
    _tables: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, mm: drgn.Object) -> "PageTable":
        prog = mm.prog_
        return cls(prog, mm.pgd.value_(), 5 if five_level(prog) else 4)

    @property
    def page_shift(self) -> int:
        return facts(self.prog).page_shift

    @cached_property
    def physical_mask(self) -> int:
        return physical_page_mask(self.prog, self.levels)

    @cached_property
    def top(self) -> int:
        """The physical address of the top table (init_top_pgt is in the kernel image)."""
        return kvtop(self.prog, self.pgd)

    def entry(self, table: int, index: int, level: str) -> int:
        """Entry *index* of the table page at physical address *table*."""
        if table not in self._tables:
            try:
                self._tables[table] = self.prog.read(table, ENTRIES * 8, True)
            except drgn.FaultError:
                raise CommandError(f"read error: physical address: {table:x}  "
                                   f'type: "{TABLE_NAMES[level]}"') from None
        return int.from_bytes(self._tables[table][index * 8:index * 8 + 8], "little")

    def translate(self, vaddr: int) -> Translation:
        """crash's uvtop(): the physical address, or the non-present PTE."""
        found = self.walk(vaddr)
        return Translation(found.physical, 0 if found.physical is not None else found.leaf)

    def extent(self, vaddr: int, kernel: bool = False) -> tuple[int | None, int]:
        """The physical address of *vaddr* (None when it does not translate, or a table
        cannot be read) and how many bytes from it translate alike: the rest of its page,
        huge page or empty table entry."""
        try:
            found = self.walk(vaddr, kernel)
        except CommandError:
            return None, (1 << self.page_shift) - vaddr % (1 << self.page_shift)
        shift = self.page_shift + 9 * (self.levels - len(found.entries))
        return found.physical, (1 << shift) - (vaddr & ((1 << shift) - 1))

    def walk(self, vaddr: int, kernel: bool = False) -> Walk:
        """Walk pgd (p4d) pud pmd pte; 1 GB and 2 MB pages end it early. A kernel walk
        (crash's kvtop) takes only PRESENT entries below the PUD, a user walk also PROTNONE."""
        shift = self.page_shift + 9 * self.levels
        table = self.top
        entries: list[TableEntry] = []
        for level in range(self.levels, 0, -1):
            shift -= 9
            index = (vaddr >> shift) & (ENTRIES - 1)
            name = "PGD" if level == self.levels else LEVEL_NAMES[level]
            entry = self.entry(table, index, name)
            entries.append(TableEntry(name, table + index * 8, entry))
            usable = PRESENT | (PROTNONE if level <= 2 and not kernel else 0)
            if not entry & usable:
                return Walk(entries, None, leaf=entry if level == 1 else 0)
            if level in (2, 3) and entry & PSE:
                base = entry & self.physical_mask
                return Walk(entries, base + (vaddr & ((1 << shift) - 1)), HUGE[level], entry)
            table = entry & self.physical_mask
        return Walk(entries, table + (vaddr & ((1 << self.page_shift) - 1)), leaf=entry)


def physical_bits(prog: drgn.Program, levels: int | None = None) -> int:
    """MAX_PHYSMEM_BITS on x86_64: 46, 52 with 5-level paging."""
    return 52 if (levels or (5 if five_level(prog) else 4)) == 5 else 46


def physical_page_mask(prog: drgn.Program, levels: int | None = None) -> int:
    """crash's PHYSICAL_PAGE_MASK."""
    return ((1 << physical_bits(prog, levels)) - 1) & ~(facts(prog).page_size - 1)


def five_level(prog: drgn.Program) -> bool:
    """Whether the kernel runs with 5-level page tables (LA57)."""
    try:
        return bool(prog["__pgtable_l5_enabled"].value_())
    except KeyError:  # no CONFIG_X86_5LEVEL
        return False
