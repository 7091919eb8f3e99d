"""Plain text of files (crash's open_files_dump, file_dump, display_dentry_info)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.files import DentryInfo, InodePages, OpenFile, TaskFiles
from crashsh.render.common import centered, task_header_line
from crashsh.render.plain import plain

FILES_HEADER = " FD       FILE            DENTRY           INODE       TYPE PATH\n"
NRPAGES_HEADER = " FD      INODE          I_MAPPING     NRPAGES TYPE PATH\n"
DENTRY_HEADER = "     DENTRY           INODE           SUPERBLK     TYPE PATH\n"
INODE_HEADER = "     INODE        NRPAGES\n"
ZERO_FILLED = "0" * 16


def address(value: int) -> str:
    """mkstring(VADDR_PRLEN, CENTER|RJUST|LONG_HEX)."""
    text = f"{value:x}"
    return text if len(text) >= 16 else centered(text, 16, right_bias=True)


def file_row(f: OpenFile, nrpages: bool) -> str:
    if f.dentry and f.inode and not nrpages:  # the usual row
        return (f"{f.fd:3d} {address(f.file)} {address(f.dentry)} {address(f.inode)} "
                f"{f.type:<4} {f.path}\n")
    if not f.dentry:
        columns = [address(f.file), ZERO_FILLED, centered("?", 16), "?   "]
    elif not f.inode:
        columns = [address(f.file), address(f.dentry), ZERO_FILLED, "?   "]
    else:  # -c
        columns = [address(f.inode), address(f.mapping), f"{f.nrpages:7d}", f"{f.type:<4}"]
    return f"{f.fd:3d} " + " ".join(columns) + f" {f.path}\n"


@plain.register
def _(task: TaskFiles) -> Iterator[str]:
    if task.reference is None:
        yield from plain_files(task)
    elif task.root_matched or task.files:
        yield from plain_references(task)
    if task.blank_after:
        yield "\n"


def plain_files(task: TaskFiles) -> Iterator[str]:
    if task.header is not None:
        yield ("\n" if task.subsequent else "") + task_header_line(task.header) + "\n"
    if task.root is not None:
        yield f"ROOT: {task.root}    CWD: {task.cwd}\n"
    if not task.files:
        yield "No open files\n"
        return
    yield table_text(task.files, task.nrpages_columns)


class SharedTable:
    """The text of the last file table rendered: the threads of a process share one
    files_struct, whose rows are one list (see commands/files.py), formatted once for all."""

    files: list[OpenFile] | None = None  # held, so that its identity is not reused
    nrpages = False
    text = ""


def table_text(files: list[OpenFile], nrpages: bool) -> str:
    """The header and rows of a file table."""
    if files is not SharedTable.files or nrpages != SharedTable.nrpages:
        SharedTable.text = (NRPAGES_HEADER if nrpages else FILES_HEADER) + "".join(
            file_row(f, nrpages) for f in files)
        SharedTable.files, SharedTable.nrpages = files, nrpages
    return SharedTable.text


def plain_references(task: TaskFiles) -> Iterator[str]:
    """-R: the task line and ROOT line (with crash's trailing space) once something matched."""
    yield task_header_line(task.header) + "\n"
    yield f"ROOT: {task.root or ''}    CWD: {task.cwd or ''} \n"
    if task.files:
        yield NRPAGES_HEADER if task.nrpages_columns else FILES_HEADER
        for f in task.files:
            yield file_row(f, task.nrpages_columns)
    yield "\n"


@plain.register
def _(info: DentryInfo) -> Iterator[str]:
    kind = f"{info.type:<4}" if info.inode else info.type  # "N/A" is not padded
    yield DENTRY_HEADER
    yield (f"{address(info.dentry)} {address(info.inode)} {centered(f'{info.superblock:x}', 16)} "
           f"{kind} {info.path}\n")


@plain.register
def _(info: InodePages) -> Iterator[str]:
    yield INODE_HEADER
    yield f"{address(info.inode)}  {info.nrpages:7d}\n\n"
    if info.pages is not None:
        yield from plain(info.pages)
