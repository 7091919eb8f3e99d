"""Plain text of vtop, ptov and pte (crash's do_vtop, cmd_ptov, x86_64_translate_pte)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.addresses import (
    AddressTranslation,
    PerCpuAddresses,
    PhysicalToVirtual,
    PteBits,
)
from crashsh.render.common import centered
from crashsh.render.kmem_pages import page_header, page_line
from crashsh.render.plain import plain
from crashsh.render.vm import VMA_HEADER, vma_row

UVADDR_WIDTH = 10  # crash's UVADDR_PRLEN on x86_64
VADDR_WIDTH = 16


def columns(*cells: tuple[str, str]) -> tuple[str, str]:
    """x86_64_translate_pte()'s header and value cells: each as wide as the wider of the two,
    the header centred (left bias), the value centred (right bias)."""
    heads, values = [], []
    for head, value in cells:
        width = max(len(head), len(value))
        heads.append(centered(head, width))
        values.append(centered(value, width, True))
    return "  ".join(heads), "  ".join(values)


@plain.register
def _(bits: PteBits) -> Iterator[str]:
    pte = f"{bits.pte:x}"
    if bits.swap_device is not None and len(bits.swap_device.split()) != 1:
        yield centered("PTE", max(len(pte), 3)) + "  "  # crash fails after this cell
        return
    if bits.swap_device is not None:
        head, values = columns(("PTE", pte), ("SWAP", bits.swap_device),
                               ("OFFSET", str(bits.swap_offset)))
        yield f"{head}\n{values}\n"
        return
    head, values = columns(("PTE", pte), ("PHYSICAL", f"{bits.physical:x}"))
    flags = "|".join(bits.flags) if bits.pte else "no mapping"
    yield f"{head}  FLAGS\n{values}  ({flags})\n"


@plain.register
def _(ptov: PhysicalToVirtual) -> Iterator[str]:
    yield (f"{chr(10) if ptov.subsequent else ''}{'VIRTUAL':<{VADDR_WIDTH}}  "
           f"{'PHYSICAL':<{VADDR_WIDTH}}\n"
           f"{ptov.virtual:<{VADDR_WIDTH}x}  {ptov.physical:<{VADDR_WIDTH}x}\n")


@plain.register
def _(percpu: PerCpuAddresses) -> Iterator[str]:
    w = percpu.cpu_width
    yield f"{chr(10) if percpu.subsequent else ''}PER-CPU OFFSET: {percpu.offset:x}\n"
    yield f"  {'CPU':<{w}}  {'VIRTUAL':<{VADDR_WIDTH}}\n"
    for cpu, address in percpu.addresses:
        yield f"  {f'[{cpu}]':<{w}}{address:x}\n"


@plain.register
def _(t: AddressTranslation) -> Iterator[str]:
    width = UVADDR_WIDTH if t.user else VADDR_WIDTH
    if t.subsequent:
        yield "\n"
    yield f"{'VIRTUAL':<{width}}  {'PHYSICAL':<{VADDR_WIDTH}}\n"
    if t.status == "not a kernel virtual address":
        yield f"{t.virtual:<8x}  ({t.status})\n\n"
        return
    if t.status == "not accessible":
        yield f"{t.virtual:<{width}x}  ({t.status})\n\n"
        return
    physical = f"{t.physical:<{VADDR_WIDTH}x}" if t.status == "mapped" else f"({t.status})"
    yield f"{t.virtual:<{width}x}  {physical}\n\n"
    yield from walk_lines(t)
    if t.vma is not None:
        yield "\n" + VMA_HEADER + vma_row(t.vma)
        if t.status != "mapped" and t.location:
            yield f"\n{t.location}\n"
    yield "\n"
    if t.warning:
        yield f"WARNING: {t.warning}\n"
    if t.page_row is not None:
        if t.page_header:
            yield page_header(t.physical_width)
        yield page_line(t.page_row, t.physical_width)


def walk_lines(t: AddressTranslation) -> Iterator[str]:
    """The entries read, then the page line and the PTE bits (x86_64_kvtop/uvtop, verbose)."""
    entries = t.entries
    if t.directory is not None:
        yield f"PGD DIRECTORY: {t.directory:x}\nPAGE DIRECTORY: {entries[0].value:x}\n"
        entries = entries[1:]
    for entry in entries:
        yield f"   {entry.level}: {entry.address:x} => {entry.value:x}\n"
    if t.page is not None:
        yield f"  PAGE: {t.page:x}{page_note(t)}\n\n"
    elif t.bits is not None:
        yield "\n"
    if t.bits is not None:
        yield from plain(t.bits)


def page_note(t: AddressTranslation) -> str:
    """What follows the PAGE address: the huge page size; a user page's ZERO PAGE mark."""
    zero = "ZERO PAGE" if t.zero_page else ""
    if t.page_size == "1GB":
        return "  (1GB)"
    if t.page_size:
        return f"  ({t.page_size}{', ' + zero if zero and not t.directory else ''})"
    if t.directory is not None:
        return ""
    return f"  ({zero})" if zero else "  "
