"""files: a task's root, cwd and open files (crash's cmd_files / open_files_dump, filesys.c)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import drgn

from crashsh.commands.kmem_pages import page_table
from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import dtol, htol, is_number
from crashsh.conventions.tasks import invalid_task, task_table
from crashsh.errors import CommandError
from crashsh.kernel import fs, paths, tasks
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import LAYOUT, Address, TaskHeader, Word
from crashsh.registry import TaskRun, command, foreach_handler

T = TypeVar("T")


@dataclass
class OpenFile:
    """One open file descriptor.

    ``type`` is crash's TYPE (REG, DIR, CHR, BLK, LNK, FIFO, PIPE, SOCK, UNKN; ``?`` when the
    file has no dentry or inode) and ``path`` crash's own path walk (sockets show their
    protocol, pipes nothing). ``flags`` and ``pos`` are ``f_flags`` and ``f_pos``; ``mapping``
    and ``nrpages`` the inode's page cache.
    """

    fd: int
    file: Address
    dentry: Address
    inode: Address
    type: str
    path: str
    flags: Word
    pos: int
    mapping: Address
    nrpages: int


@dataclass
class TaskFiles:
    """`files` for one task: its ROOT and CWD (None without an fs_struct) and open files.

    With ``reference`` (-R), ``files`` holds only the matching files, and crash prints
    nothing for the task unless the root, the cwd or a file matched.
    """

    header: TaskHeader | None
    root: str | None
    cwd: str | None
    files: list[OpenFile]
    reference: str | None = None
    root_matched: bool = field(default=False, metadata=LAYOUT)
    subsequent: bool = field(default=False, metadata=LAYOUT)  # a blank line before the header
    nrpages_columns: bool = field(default=False, metadata=LAYOUT)  # -c
    blank_after: bool = field(default=False, metadata=LAYOUT)


@dataclass
class DentryInfo:
    """`files -d`: a dentry, its inode and superblock, TYPE (N/A without inode) and path."""

    dentry: Address
    inode: Address
    superblock: Address
    type: str
    path: str


@dataclass
class InodePages:
    """`files -p`: an inode's page count, then its page-cache pages as `kmem -p` rows."""

    inode: Address
    nrpages: int
    pages: object = None  # crashsh.commands.kmem_pages.PageTable


FILES_HELP = """\
A task's root and working directories and its open files: for each file descriptor the
file, dentry and inode addresses, the file type and path. -R shows only files that refer to
a name, fd or address; -d DENTRY and -p INODE describe a dentry or an inode's page-cache
pages; -c adds each file's address_space and page count.
"""
FILES_EXAMPLES = """\
  files 1          pid 1's open files:
    PID: 1        TASK: ffff8d1bc11f8000  CPU: 1    COMMAND: "init"
    ROOT: /    CWD: /
     FD       FILE            DENTRY           INODE       TYPE PATH
      0 ffff8d1bc1aaec00 ffff8d1bc154d780 ffff8d1bc1ba12f0 CHR  /dev/console
  foreach files -R console   every task's files whose path has "console"
"""


def files_parser() -> CommandParser:
    p = CommandParser("files", FILES_HELP, examples=FILES_EXAMPLES)
    p.add_argument("-d", dest="dentry", type=htol,
                   help="display a dentry's inode, superblock and path")
    p.add_argument("-p", dest="inode", type=htol, help="display an inode's page-cache pages")
    p.add_argument("-c", dest="nrpages", action="store_true",
                   help="show each file's inode, i_mapping and page count")
    p.add_argument("-R", dest="reference", action="append",
                   help="only the files referencing a name, fd or address")
    completes(p.add_argument("tasks", nargs="*", metavar="pid | taskp"), PID_OR_TASK)
    return p


@command("files", "open files", files_parser,
         synopsis="[-d dentry] | [-p inode] | [-c] [-R reference] [pid | taskp] ... ")
def run_files(session, args):
    if args.reference and len(args.reference) > 1:
        raise CommandError("only one -R option allowed")
    reference = args.reference[0] if args.reference else None
    if args.dentry is not None:
        return dentry_info(session.prog, args.dentry)
    if args.inode is not None:
        return inode_pages(session, args.inode)
    if not args.tasks:
        return [FileTables(session.prog).task_files(session.context, reference, args.nrpages,
                                                    header=True)]
    return files_of_arguments(session, args.tasks, reference, args.nrpages)


def files_of_arguments(session, texts: list[str], reference: str | None,
                       nrpages: bool) -> Iterator[object]:
    """crash's cmd_files loop: a pid's tasks each end with a blank line, a task address not."""
    table = task_table(session.prog)
    tables = FileTables(session.prog)
    for i, text in enumerate(texts):
        found = table.find(text)
        if found is None:
            yield Notice("files", invalid_task(text))
            continue
        for task in found.tasks:
            item = tables.task_files(task, reference, nrpages, header=True)
            item.subsequent = i > 0
            item.blank_after = found.kind == "pid"
            yield item


class FileTables:
    """crash's open_files_dump() for the tasks of one command. A process's threads share
    their fs_struct and files_struct: the last KEPT of each are kept, not read again (their
    rows are not changed later)."""

    KEPT = 64

    def __init__(self, prog: drgn.Program) -> None:
        self.prog = prog
        self.paths: OrderedDict[int, tuple[str | None, str | None]] = OrderedDict()
        self.files: OrderedDict[int, list[OpenFile]] = OrderedDict()

    def task_files(self, task: drgn.Object, reference: str | None, nrpages: bool,
                   header: bool) -> TaskFiles:
        """One task's files."""
        tc = tasks.context_of(task)
        root, cwd = self.kept(self.paths, tc.fields.fs, lambda: root_and_cwd(self.prog, task))
        files = self.kept(self.files, tc.fields.files, lambda: self.open_files(task))
        head = tc.header if header or reference is not None else None
        result = TaskFiles(head, root, cwd, files, reference, nrpages_columns=nrpages)
        if reference is not None:
            ref = FileReference.parse(reference, task)
            result.root_matched = any(filename_component(p, reference) for p in (root, cwd) if p)
            result.files = [f for f in files if ref.matches(reference_tokens(f, nrpages))]
        return result

    def open_files(self, task: drgn.Object) -> list[OpenFile]:
        found = fs.open_files(task)
        return [open_file(self.prog, fd, file) for fd, file in found] if found is not None else []

    def kept(self, table: OrderedDict[int, T], key: int, read: Callable[[], T]) -> T:
        """table[key], read if it is not there; the least recently used beyond KEPT go."""
        if key in table:
            table.move_to_end(key)
            return table[key]
        value = table[key] = read()
        if len(table) > self.KEPT:
            table.popitem(last=False)
        return value


def root_and_cwd(prog: drgn.Program, task: drgn.Object) -> tuple[str | None, str | None]:
    """The paths of ``fs->root`` and ``fs->pwd``; None without an fs_struct (a zombie)."""
    fs_struct = task.fs.read_()
    if not fs_struct:
        return None, None
    return struct_path(prog, fs_struct.root), struct_path(prog, fs_struct.pwd)


def struct_path(prog: drgn.Program, path: drgn.Object) -> str:
    """crash's path of a ``struct path`` ("" without a dentry)."""
    if not path.dentry:
        return ""
    return paths.crash_path(prog, path.dentry.value_(), path.mnt.value_())


def open_file(prog: drgn.Program, fd: int, file: drgn.Object) -> OpenFile:
    """crash's file_dump() for one descriptor."""
    dentry = file.f_path.dentry.read_()
    inode = dentry.d_inode.read_() if dentry else dentry
    flags, pos = file.f_flags.value_(), file.f_pos.value_()
    if not inode:
        return OpenFile(fd, file.value_(), dentry.value_(), 0, "?", "?", flags, pos, 0, 0)
    kind, path = fs.inode_type(prog, inode, paths.file_path(prog, file))
    mapping = inode.i_mapping.read_()
    return OpenFile(fd, file.value_(), dentry.value_(), inode.value_(), kind, path, flags, pos,
                    mapping.value_(), mapping.nrpages.value_())


# -- files -R ---------------------------------------------------------------------------------
def filename_component(path: str, text: str) -> bool:
    """crash's FILENAME_COMPONENT(): ``/`` matches ``/``; other text matches inside a path."""
    return (path == "/" and text == "/") or (text != "/" and text in path)


def reference_tokens(f: OpenFile, nrpages: bool) -> list[str]:
    """The words of the row crash prints for *f*, which its -R search reads back."""
    if nrpages and f.inode:
        words = [f"{f.fd}", f"{f.inode:x}", f"{f.mapping:x}", f"{f.nrpages}"]
    elif not f.dentry:
        words = [f"{f.fd}", f"{f.file:x}", "0" * 16, "?"]
    else:
        words = [f"{f.fd}", f"{f.file:x}", f"{f.dentry:x}", f"{f.inode:x}" if f.inode else "0" * 16]
    return " ".join([*words, f.type, f.path]).split()


@dataclass(frozen=True)
class FileReference:
    """crash's -R argument as open_files_dump() reads it for one task's file table."""

    text: str
    hexval: int | None = None  # compared with fds and the addresses of a row
    decval: int | None = None  # compared with fds

    @classmethod
    def parse(cls, text: str, task: drgn.Object) -> "FileReference":
        if not is_number(text):
            return cls(text)
        if any(c in "abcdefABCDEFxX" for c in text):
            return cls(text, hexval=htol(text))
        fdt = task.files.fdt if task.files else None
        max_fds = fdt.max_fds.value_() if fdt else 0
        if dtol(text) <= max_fds:
            return cls(text, hexval=0, decval=dtol(text))  # crash's zeroed hexval stays in use
        return cls(text, hexval=htol(text))

    def matches(self, words: list[str]) -> bool:
        """crash's open_file_reference()."""
        if len(words) < 5:
            return False
        if self.hexval is not None:
            fd = int(words[0])
            if fd == (self.hexval if self.decval is None else self.decval):
                return True
            if any(w != "?" and int(w, 16) == self.hexval for w in words[1:4]):
                return True
        if words[4] == self.text:
            return True
        return len(words) == 6 and filename_component(words[5], self.text)


# -- files -d / -p ----------------------------------------------------------------------------
def dentry_info(prog: drgn.Program, address: int) -> DentryInfo:
    """crash's display_dentry_info(): the path is found through pid 1's mounts of the
    dentry's superblock (the last one wins), else pipe_mnt, else sock_mnt."""
    try:
        dentry = drgn.Object(prog, "struct dentry", address=address)
        inode = dentry.d_inode.read_()
        superblock = (inode.i_sb if inode else dentry.d_sb).value_()
    except drgn.FaultError:
        raise CommandError(
            f'invalid kernel virtual address: {address:x}  type: "fill_dentry_cache"') from None
    path = ""
    if superblock:
        vfsmnt = mount_of_superblock(prog, superblock)
        if vfsmnt is not None:
            path = paths.crash_path(prog, address, vfsmnt)
    if not inode:
        return DentryInfo(address, 0, superblock, "N/A", path)
    kind, path = fs.inode_type(prog, inode, path)
    return DentryInfo(address, inode.value_(), superblock, kind, path)


def mount_of_superblock(prog: drgn.Program, superblock: int) -> int | None:
    """The vfsmount crash names a dentry of *superblock* through."""
    init = next(tc.task for tc in tasks.task_contexts(prog) if tc.pid == 1)
    found = None
    for mount in fs.mount_list(init):
        if mount.mnt.mnt_sb.value_() == superblock:
            found = paths.vfsmount_of(mount)
    if found is not None:
        return found
    for name in ("pipe_mnt", "sock_mnt"):
        try:
            vfsmnt = prog[name].read_()
        except KeyError:
            continue
        if vfsmnt.mnt_sb.value_() == superblock:
            return vfsmnt.value_()
    return None


def inode_pages(session, address: int) -> list[object]:
    """crash's dump_inode_page_cache_info() with dump_inode_page() for each page."""
    try:
        inode = drgn.Object(session.prog, "struct inode", address=address)
        nrpages = inode.i_mapping.nrpages.value_()
    except drgn.FaultError:
        raise CommandError(
            f'invalid kernel virtual address: {address:x}  type: "inode buffer"') from None
    result: list[object] = [InodePages(address, nrpages)]
    if not nrpages:
        return result
    cached = list(fs.cached_pages(inode))
    result[0].pages = page_table(session, [c.page.value_() for c in cached], physical=False)
    count = sum(c.pages for c in cached)
    if count != nrpages:
        result.append(Notice("files", f"xarray page count: {count}  nrpages: {nrpages}",
                             informational=True))
    return result


@foreach_handler("files")
def foreach_files(session, flags) -> TaskRun:
    """`foreach ... files [-c] [-R ref]`: foreach prints the task line, except with -R."""
    if flags.get("p"):
        raise CommandError("files command does not support -p option")
    reference, counts = flags.get("R"), bool(flags.get("c"))
    tables = FileTables(session.prog)
    return lambda task, subsequent: tables.task_files(task, reference, counts, header=False)
