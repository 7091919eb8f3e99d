"""kmem -p, -m, -g: struct page rows, chosen page members and the page flag bits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from crashsh.errors import CommandError
from crashsh.kernel import memmap
from crashsh.kernel.pagemembers import PageMember, column_reader
from crashsh.records import LAYOUT, Address, Word


@dataclass
class PageTable:
    """`kmem -p`: struct page rows (every page, or those of the given addresses)."""

    physical_width: int = field(metadata=LAYOUT)
    rows: Iterator[memmap.PageRow]


@dataclass(slots=True)
class MemberRow:
    """A `kmem -m` line: the struct page and each member's value (an int, or a tuple of
    words for a struct crash prints word by word)."""

    page: Address
    values: tuple[Word | tuple[Word, ...], ...]


@dataclass
class PageMembers:
    """`kmem -m`: the members' header, then a row per struct page."""

    members: list[PageMember]
    rows: Iterator[MemberRow]


@dataclass
class FlagBits:
    """`kmem -g [flags]`: the page flag bits (all, or those set in *flags*)."""

    flags: Word
    bits: list[tuple[str, int]]
    name_width: int = field(metadata=LAYOUT)
    value_digits: int = field(metadata=LAYOUT)


# -- pages --------------------------------------------------------------------------------------
def page_pfn(session, address: int, physical: bool) -> int | None:
    """The pfn crash's dump_mem_map() looks up for a struct page, kernel or physical address
    (None for an unmapped kernel address)."""
    m = memmap.mem_map(session.prog)
    if not physical and memmap.is_kernel_address(session.prog, address):
        if m.is_page_ptr(address):
            return m.pfn_of_page(address)
        address = memmap.kvtop(session.prog, address)
        if address is None:
            return None
    return address >> m.pfn_shift


def page_row(session, address: int, physical: bool) -> memmap.PageRow | None:
    """crash's dump_mem_map() for one address: its row, None without a struct page."""
    pfn = page_pfn(session, address, physical)
    return None if pfn is None else memmap.mem_map(session.prog).row_of_pfn(pfn)


def page_table(session, addresses: list[int] | None, physical: bool) -> PageTable:
    m = memmap.mem_map(session.prog)
    if addresses is None:
        return PageTable(m.physical_width, m.all_rows())
    rows = (page_row(session, a, physical) for a in addresses)
    return PageTable(m.physical_width, (r for r in rows if r is not None))


def member_rows(m: memmap.MemMap, members: list[PageMember], chunks) -> Iterator[MemberRow]:
    """The members of each struct page in *chunks*; crash fails on the first row when it
    cannot show a member's type (after the header)."""
    unsupported = next((p for p in members if p.kind is None), None)
    if unsupported is not None:
        raise CommandError(f"unsupported page member reference: page.{unsupported.name}")
    readers = [column_reader(p, m.struct_size) for p in members]
    for address, _, raw in chunks:
        pages = range(address, address + len(raw), m.struct_size)
        for page, *values in zip(pages, *(read(raw) for read in readers)):
            yield MemberRow(page, tuple(values))


def page_members(session, members: list[PageMember], addresses: list[int] | None,
                 physical: bool) -> PageMembers | None:
    """`kmem -m`: every struct page, or those of the addresses (None if none has one)."""
    m = memmap.mem_map(session.prog)
    if addresses is None:
        return PageMembers(members, member_rows(m, members, m.all_chunks()))
    pfns = (page_pfn(session, a, physical) for a in addresses)
    chunks = [c for c in (m.chunk_of_pfn(p) for p in pfns if p is not None) if c is not None]
    return PageMembers(members, member_rows(m, members, iter(chunks))) if chunks else None


def flag_bits(session, flags: int) -> FlagBits:
    """crash's dump_page_flags(): widths from every enumerator, rows for the PG_ ones."""
    enumerators = memmap.page_flag_bits(session.prog)
    bits = [(name, value) for name, value in enumerators if "PG_" in name]
    largest = max((value for _, value in bits), default=0)
    shown = [(n, v) for n, v in bits if not flags or flags & (1 << v)]
    return FlagBits(flags, shown, max(len(name) for name, _ in enumerators), (largest + 1) // 4 + 1)
