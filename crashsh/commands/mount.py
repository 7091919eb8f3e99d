"""mount: the mounted filesystems of a mount namespace (crash's cmd_mount / show_mounts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.notices import Notice
from crashsh.conventions.numbers import htol, is_hexadecimal
from crashsh.conventions.tasks import task_table
from crashsh.conventions.usage import option_not_supported
from crashsh.errors import CommandError
from crashsh.kernel import fs, paths, tasks
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import LAYOUT, Address
from crashsh.registry import command


@dataclass
class MountRow:
    """One mount: ``struct mount``, superblock, filesystem type, device name and mount point
    (type or device None when unreadable)."""

    mount: Address
    superblock: Address
    fstype: str | None
    devname: str | None
    dirname: str


@dataclass
class MountTable:
    """`mount`: crash's header, then its rows (a filtered listing shows the header only
    above a match)."""

    rows: list[MountRow | Notice] = field(default_factory=list)
    filtered: bool = field(default=False, metadata=LAYOUT)


MOUNT_HELP = """\
The mounted filesystems of pid 1's mount namespace (or -n PID's): each mount's struct
address, superblock, type, device and directory. -f adds each filesystem's open files, -i
its dirty inodes; an argument (mount, superblock, device, directory, dentry or inode)
chooses the mounts it belongs to.
"""
MOUNT_EXAMPLES = """\
  mount            the mounts, starting:
         MOUNT           SUPERBLK     TYPE   DEVNAME   DIRNAME
    ffff8d1bd84a93c0 ffff8d1bc105a800 rootfs rootfs    /
    ffff8d1bd84a9140 ffff8d1bc24b1800 proc   proc      /proc
  mount -f /proc   the open files of /proc
"""


def mount_parser() -> CommandParser:
    p = CommandParser("mount", MOUNT_HELP, examples=MOUNT_EXAMPLES)
    p.add_argument("-f", dest="files", action="store_true", help="open files of each filesystem")
    p.add_argument("-i", dest="inodes", action="store_true", help="dirty inodes of each filesystem")
    completes(p.add_argument("-n", dest="namespace", metavar="pid|task",
                             help="the mount namespace of this task (default: pid 1's)"),
              PID_OR_TASK)
    p.add_argument("filters", nargs="*",
                   metavar="mount|vfsmount|superblock|dev|dir|dentry|inode")
    return p


@command("mount", "mounted filesystem data", mount_parser,
         synopsis="[-f][-i] [-n pid|task] [mount|vfsmount|superblock|dev|dir|dentry|inode]")
def run_mount(session, args):
    prog = session.prog
    if args.inodes:
        return unsupported(prog, "i", "s_dirty")
    task = namespace_task(prog, args.namespace)
    if args.files:
        return unsupported(prog, "f", "s_files")
    table = mount_table(prog, task)
    if args.filters:
        return filtered(prog, table, args.filters)
    return table


def unsupported(prog: drgn.Program, option: str, member: str) -> Iterator[Notice]:
    """crash's INFO line, then its option_not_supported() error: super_block.s_dirty went
    in 2.6.x and s_files in 3.13, so -i and -f fail on every kernel drgn reads."""
    if prog.type("struct super_block").has_member(member):
        raise CommandError(f"-{option}: super_block.{member} lists are not implemented")
    yield Notice("mount", f"the super_block.{member} linked list does not exist in this kernel")
    raise option_not_supported(option)


def namespace_task(prog: drgn.Program, text: str | None) -> drgn.Object:
    """The task whose mount namespace is shown: -n's pid or task, else the lowest pid >= 1."""
    if text is None:
        return next(tc.task for tc in tasks.task_contexts(prog) if tc.pid >= 1)
    return task_table(prog).get(text).tasks[0]


def mount_table(prog: drgn.Program, task: drgn.Object) -> MountTable:
    table = MountTable()
    for mount in fs.mount_list(task):
        sb = mount.mnt.mnt_sb.read_()
        if not sb:
            if not fs.is_cursor(mount):
                table.rows.append(Notice(
                    "WARNING", f"cannot get super_block from vfsmnt: {mount.value_():#x}"))
            continue
        table.rows.append(MountRow(
            mount=mount.value_(),
            superblock=sb.value_(),
            fstype=fs.fstype_name(prog, sb),
            devname=paths.read_string(prog, mount.mnt_devname.value_()),
            dirname=fs.mount_point(prog, mount),
        ))
    return table


def row_words(row: MountRow) -> list[str]:
    """The words of the row as crash prints it, which its filter reads back."""
    fstype = "unknown" if row.fstype is None else row.fstype
    devname = "(unknown)" if row.devname is None else row.devname
    return f"{row.mount:x} {row.superblock:x} {fstype} {devname} {row.dirname}".split()


def filtered(prog: drgn.Program, table: MountTable, filters: list[str]) -> MountTable:
    """crash's search of its own listing for each argument. crash then prints the line it
    saved after the header, which is always the first mount: reproduced."""
    rows = [r for r in table.rows if isinstance(r, MountRow)]
    mnt = drgn.offsetof(prog.type("struct mount"), "mnt")
    shown = MountTable(filtered=True)
    for text in filters:
        if text.startswith("0x") and is_hexadecimal(text):
            text = text[2:]
        for row in rows:
            if matches(row_words(row), text, mnt):
                shown.rows.append(rows[0])
    return shown


def matches(words: list[str], text: str, mnt_offset: int) -> bool:
    """*text* is the row's embedded vfsmount; or a word of the row names *text* as a path."""
    if len(words) == 5 and is_hexadecimal(text) and is_hexadecimal(words[0]):
        if htol(text) == htol(words[0]) + mnt_offset:
            return True
    return any(path_equal(word, text) for word in words)


def path_equal(a: str, b: str) -> bool:
    """crash's pathcmp() == 0: runs of ``/`` count as one, and a trailing ``/`` is ignored."""
    i = j = 0
    a, b = a + "\0", b + "\0"
    while True:
        c1, i = a[i], i + 1
        if c1 == "/":
            while a[i] == "/":
                i += 1
        c2, j = b[j], j + 1
        if c2 == "/":
            while b[j] == "/":
                j += 1
        if c1 == "\0":
            return c2 == "\0" or (c2 == "/" and b[j] == "\0")
        if c1 != c2:
            return c2 == "\0" and c1 == "/" and a[i] == "\0"
