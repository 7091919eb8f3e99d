"""Reading memory as crash's readmem() does (memory.c), in large blocks.

An address is translated page by page (kernel: crash's kvtop, user: the context task's page
tables, physical: as is); runs of contiguous physical pages are read at once. A failure is
reported the way crash words it for this kind of dump:
- no translation: "invalid kernel/user virtual address";
- a kdump-compressed file: a page frame beyond the dump's max_mapnr is a "seek error"; a page
  the dump left out (makedumpfile -d) fails silently (crash prints nothing: PAGE_EXCLUDED);
- an ELF dump: a page in no PT_LOAD segment is a "read error" (left-out pages read as zeros).

GdbMemory is the same reader behind crash's gdb (gdb_readmem_callback), for `p`, `struct`
and the other commands that print gdb values.
"""

from __future__ import annotations

from functools import cached_property

import drgn

from crashsh.dumpfacts import facts
from crashsh.dumpfile import FileKind, read_kdump_header
from crashsh.errors import CommandError
from crashsh.kernel import memmap
from crashsh.kernel.pagetable import PageTable
from crashsh.toolchain.gdbvalues import MemoryReader

SPACE_NAMES = {"kernel": "kernel virtual", "user": "user virtual", "physical": "physical"}
TYPE_NAMES = {"kernel": "KVADDR", "user": "UVADDR", "physical": "PHYSADDR", "file": "FILEADDR"}
BLOCK = 1 << 20  # bytes read at once at most
USERSPACE_TOP = 0x0000800000000000  # x86_64 IS_UVADDR: below it, with 4-level paging


class Partial(Exception):
    """A read that failed part way: the bytes read before the failure, and the error."""

    def __init__(self, data: bytes, error: CommandError) -> None:
        super().__init__(str(error))
        self.data = data
        self.error = error


class Memory:
    """One address space of the session's dump: "kernel", "user" (the context task's),
    "physical" or "file" (offsets in the dump file, crash's rd -f)."""

    def __init__(self, session, space: str) -> None:
        self.session = session
        self.prog: drgn.Program = session.prog
        self.space = space
        self.page_size = 1 << memmap.mem_map(self.prog).pfn_shift

    @cached_property
    def user_table(self) -> PageTable:
        mm = self.session.context.mm
        if not mm:
            pgd = drgn.offsetof(mm.type_.type, "pgd")
            raise CommandError(f'invalid kernel virtual address: {pgd:x}  type: "mm_struct pgd"')
        return PageTable.of(mm)

    @cached_property
    def max_physical(self) -> int | None:
        """The end of a kdump file's page frames (crash's max_mapnr), else None."""
        if self.session.kind is not FileKind.KDUMP:
            return None
        return read_kdump_header(self.session.vmcore).max_mapnr * self.page_size

    def physical(self, address: int) -> int | None:
        """The physical address of *address*, None when it does not translate."""
        if self.space == "physical":
            return address
        if self.space == "kernel":
            return memmap.kvtop(self.prog, address)
        if address >= USERSPACE_TOP:
            return None
        return self.user_table.translate(address).physical

    def read(self, address: int, size: int, what: str) -> bytes:
        """*size* bytes at *address*; raises Partial (what was read, then crash's error for
        the failure; *what* is crash's readmem type, e.g. "64-bit KVADDR")."""
        if self.space == "file":
            return self.read_file(address, size, what)
        chunks: list[bytes] = []
        done = 0
        while done < size:
            at = address + done
            start = self.physical(at)
            if start is None:
                raise Partial(b"".join(chunks), CommandError(
                    f'invalid {SPACE_NAMES[self.space]} address: {at:x}  type: "{what}"'))
            n = min(self.page_size - at % self.page_size, size - done)
            while done + n < size and n < BLOCK and self.physical(at + n) == start + n:
                n += min(self.page_size, size - done - n)  # the next page follows physically
            try:
                chunks.append(self.prog.read(start, n, True))
            except drgn.FaultError:
                data, failed = self.read_pages(at, start, n)
                chunks.append(data)
                raise Partial(b"".join(chunks), self.read_error(failed, start + len(data),
                                                                what)) from None
            done += n
        return b"".join(chunks)

    def read_pages(self, at: int, start: int, n: int) -> tuple[bytes, int]:
        """Page by page after a failed block read: the bytes before the failing page and
        that page's (virtual) address."""
        data = b""
        while len(data) < n:
            step = min(self.page_size - (start + len(data)) % self.page_size, n - len(data))
            try:
                data += self.prog.read(start + len(data), step, True)
            except drgn.FaultError:
                break
        return data, at + len(data)

    def read_error(self, address: int, physical: int, what: str) -> CommandError:
        where = f'{SPACE_NAMES[self.space]} address: {address:x}  type: "{what}"'
        if self.max_physical is None:
            return CommandError(f"read error: {where}")
        if physical >= self.max_physical:
            return CommandError(f"seek error: {where}")
        return CommandError("")  # crash says nothing

    def read_file(self, offset: int, size: int, what: str, whole: bool = False) -> bytes:
        """crash's generic_read_dumpfile(): bytes of the dump file itself (rd -f); a short
        read fails at its first missing byte, or at *offset* for one *whole* read."""
        with open(self.session.vmcore, "rb") as f:
            try:
                f.seek(offset)
            except (ValueError, OverflowError, OSError):  # beyond lseek's signed off_t
                raise Partial(b"", CommandError(
                    f'seek error: dumpfile address: {offset:x}  type: "{what}"')) from None
            data = f.read(size)
        if len(data) < size:
            at = offset if whole else offset + len(data)
            raise Partial(data, CommandError(
                f'read error: dumpfile address: {at:x}  type: "{what}"'))
        return data


class GdbMemory(MemoryReader):
    """gdb's reads for one command through crash's readmem() (gdb_readmem_callback): kernel
    memory (only kernel virtual addresses get that far), the context's user space (``-u``),
    or the dump file (``-f``: crash reads at the command's file offset whatever address gdb
    asks for). The messages readmem() prints for failed reads are kept in *notes*; an error
    that ends crash's command (no user page table) is raised as it is."""

    def __init__(self, session, space: str = "kernel", file_offset: int = 0) -> None:
        super().__init__(session.prog, facts(session.prog).page_offset)
        self.memory = Memory(session, space)
        self.file_offset = file_offset

    def fetch(self, address: int, size: int, what: str) -> bytes:
        space = self.memory.space
        if space == "kernel" and address < self.page_offset:
            return super().fetch(address, size, what)
        try:
            if space == "file":
                return self.memory.read_file(self.file_offset, size, what, whole=True)
            return self.memory.read(address, size, what)
        except Partial as e:
            if str(e.error):
                self.notes.append(str(e.error))
            raise drgn.FaultError("could not read memory", address) from None
