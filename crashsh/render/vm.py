"""Plain text of vm (crash's PRINT_VM_DATA, PRINT_VMA_DATA and vm_area_page_dump)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.vm import PageTranslation, TaskVm, TaskVmStructs, VmArea, VmFlags
from crashsh.render.common import centered, task_header_line
from crashsh.render.plain import plain

SUMMARY_HEADER = "       MM               PGD          RSS    TOTAL_VM\n"
VMA_HEADER = "      VMA           START       END     FLAGS FILE\n"
PAGE_HEADER = "VIRTUAL     PHYSICAL\n"
UVADDR_WIDTH = 10  # crash's UVADDR_PRLEN on x86_64


def header_line(header, subsequent: bool) -> str:
    return ("\n" if subsequent else "") + task_header_line(header) + "\n"


def vma_row(area: VmArea) -> str:
    return (f"{centered(f'{area.address:x}', 16)} {area.start:{UVADDR_WIDTH}x} "
            f"{area.end:{UVADDR_WIDTH}x} {area.flags:6x} {area.file}\n")


def page_line(page: PageTranslation, physical_width: int) -> str:
    virtual = f"{page.virtual:<{UVADDR_WIDTH}x}"
    if page.physical is not None:
        return f"{virtual}  {page.physical:>{physical_width}x}\n"
    if page.swap_device is not None:
        return f"{virtual}  SWAP: {page.swap_device}  OFFSET: {page.swap_offset}\n"
    if page.file is not None:
        return f"{virtual}  FILE: {page.file}  OFFSET: {page.file_offset:x}\n"
    return f"{virtual}  (not mapped)\n"


@plain.register
def _(vm: TaskVm) -> Iterator[str]:
    if vm.header is not None:
        yield header_line(vm.header, vm.subsequent)
    if vm.summary is not None:
        s = vm.summary
        yield SUMMARY_HEADER
        yield (f"{centered(f'{s.mm:x}', 16)}  {centered(f'{s.pgd:x}', 16)}  "
               f"{centered(f'{s.rss_kb}k', 6)}  {centered(f'{s.total_vm_kb}k', 8)}\n")
    if vm.column_header:
        yield VMA_HEADER
    for area in vm.areas:
        if area.column_header:
            yield VMA_HEADER
        yield vma_row(area)
        if area.pages is not None:
            yield PAGE_HEADER
            for page in area.pages:
                yield page_line(page, vm.physical_width)
    if vm.not_found:
        yield "(not found)\n"
    if vm.blank_after:
        yield "\n"


@plain.register
def _(vm: TaskVmStructs) -> Iterator[str]:
    if vm.header is not None:
        yield header_line(vm.header, vm.subsequent)
    for value in vm.structs:
        yield f"struct {value.name} {value.text}\n"


@plain.register
def _(flags: VmFlags) -> Iterator[str]:
    yield f"{flags.value:x}: ({'|'.join(flags.names)})\n"
