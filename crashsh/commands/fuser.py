"""fuser: the tasks using a file, as root, cwd, an open file or a mapping (crash's
cmd_fuser, filesys.c).

crash runs ``foreach files vm`` with inode numbers into a temporary file and reads it back:
a line of a task's ROOT/CWD, open files or memory map uses the file when the first place the
argument occurs in it ends a word. The lines are rebuilt here word for word (the argument has
no blanks, so the width of the gaps between words cannot change a match).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

import drgn
from drgn.helpers.linux.mm import for_each_vma

from crashsh.commands.files import open_file, reference_tokens, root_and_cwd
from crashsh.commands.vm import vma_file
from crashsh.conventions.numbers import NumberError, htol, is_hexadecimal
from crashsh.errors import CommandError, UsageError
from crashsh.kernel import fs, tasks
from crashsh.kernel.memmap import is_kernel_address
from crashsh.parsing import CommandParser
from crashsh.records import Address
from crashsh.registry import command


@dataclass
class FileUser:
    """A task using the file: pid, task, command, and its uses in crash's order
    ("root", "cwd", "fd", "mmap")."""

    pid: int
    task: Address
    command: str
    uses: list[str]


@dataclass
class FileUsers:
    """`fuser ARG`: the users of one path or inode (crash prints "No users of ARG found"
    for none; ``argument`` is without a leading 0x)."""

    argument: str
    users: list[FileUser]


FUSER_HELP = """\
The tasks using a file: each task whose root or working directory is the file, that has it
open, or that maps it, with how it uses it (root, cwd, fd, mmap). The argument is a full
path name (no symbolic links) or an inode address.
"""
FUSER_EXAMPLES = """\
examples:
  fuser /dev/null    every task with /dev/null open:
                        PID         TASK        COMM             USAGE
                         107  ffff8d1bc257a0c0  "crashsh_sleepe  fd
  fuser /            every task: / is each one's root and working directory
"""


def fuser_parser() -> CommandParser:
    p = CommandParser("fuser", FUSER_HELP, epilog=FUSER_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="pathname | inode")
    return p


@command("fuser", "file users", fuser_parser, synopsis="[pathname | inode]")
def run_fuser(session, args) -> Iterator[FileUsers]:
    if not args.files:
        raise UsageError("", "")
    for text in args.files:
        yield file_users(session.prog, text)


def file_users(prog: drgn.Program, text: str) -> FileUsers:
    try:
        address = htol(text)
    except NumberError:
        address = None
    if (address is None or not is_kernel_address(prog, address)) and not text.startswith("/"):
        raise CommandError(f"invalid argument: {text}")
    if text.startswith("0x") and is_hexadecimal(text):
        text = text[2:]
    users = []
    for tc in tasks.task_contexts(prog):
        uses = task_uses(prog, tc.task, text)
        if uses:
            users.append(FileUser(tc.pid, tc.address, tc.comm, uses))
    return FileUsers(text, users)


def ends_word(line: str, text: str, start: int = 0) -> int | None:
    """Where the first *text* at or after *start* ends when a blank or the line's end
    follows it (crash's strstr() and its check of the next character), else None."""
    at = line.find(text, start)
    if at < 0 or line[at + len(text)] not in " \n":
        return None
    return at + len(text)


def task_uses(prog: drgn.Program, task: drgn.Object, text: str) -> list[str]:
    """crash's reading of one task's `foreach files vm` lines (with inodes)."""
    uses = []
    root = root_line(prog, task)
    if root is not None and (end := ends_word(root, text)) is not None:
        if "CWD:" in root[end - len(text):]:
            uses.append("root")
            if ends_word(root, text, end) is not None:
                uses.append("cwd")
        else:
            uses.append("cwd")
    if any(ends_word(line, text) is not None for line in file_lines(prog, task)):
        uses.append("fd")
    if any(ends_word(line, text) is not None for line in vma_lines(prog, task)):
        uses.append("mmap")
    return uses


def root_line(prog: drgn.Program, task: drgn.Object) -> str | None:
    """The ROOT line crash prints with inodes (without them when a dentry is missing)."""
    fs_struct = task.fs.read_()
    if not fs_struct:
        return None
    root, cwd = root_and_cwd(prog, task)
    root_dentry, cwd_dentry = fs_struct.root.dentry.read_(), fs_struct.pwd.dentry.read_()
    if not (root_dentry and cwd_dentry):
        return f"ROOT: {root}    CWD: {cwd}\n"
    return (f"ROOT: {root_dentry.d_inode.value_():x} {root}    "
            f"CWD: {cwd_dentry.d_inode.value_():x} {cwd}\n")


def file_lines(prog: drgn.Program, task: drgn.Object) -> Iterator[str]:
    found = fs.open_files(task)
    for fd, file in found or ():
        yield " ".join(reference_tokens(open_file(prog, fd, file), False)) + "\n"


def vma_lines(prog: drgn.Program, task: drgn.Object) -> Iterator[str]:
    """A task's VMA lines: the inode before the path of a mapped file with a dentry."""
    mm = task.mm.read_()
    if not mm:
        return
    for vma in for_each_vma(mm):
        words = [f"{vma.value_():x}", f"{vma.vm_start.value_():x}", f"{vma.vm_end.value_():x}",
                 f"{vma.vm_flags.value_():x}"]
        file = vma.vm_file.read_()
        dentry = file.f_path.dentry.read_() if file else None
        if dentry and dentry.d_inode:
            words.append(f"{dentry.d_inode.value_():x}")
        yield " ".join(words) + f" {vma_file(prog, vma)}\n"
