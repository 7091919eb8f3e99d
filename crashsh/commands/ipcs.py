"""ipcs: System V shared memory, semaphore arrays and message queues of an IPC namespace
(crash's cmd_ipcs, ipcs.c)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.idr import idr_for_each

from crashsh.conventions.numbers import stol
from crashsh.conventions.tasks import task_table
from crashsh.dumpfacts import facts
from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.parsing import PID_OR_TASK, CommandParser, completes
from crashsh.records import LAYOUT, Address
from crashsh.registry import command

SHM_DEST, SHM_LOCKED = 0o1000, 0o2000
MAXARGS = 100
# ipc_namespace.ids[] index and the structure holding each kern_ipc_perm
KINDS = {"sem": (0, "sem_array", "sem_perm"), "msg": (1, "msg_queue", "q_perm"),
         "shm": (2, "shmid_kernel", "shm_perm")}
IDS = {"shm": "shmid", "sem": "semid", "msg": "msqid"}


@dataclass
class SharedMemory:
    """A shmid_kernel: key, id, owner uid, permission bits (mode & 0777), size in bytes,
    attach count, SHM_DEST/SHM_LOCKED, and with -M its pages (allocated, resident, swapped)
    and shmem inode."""

    address: Address
    key: int
    shmid: int
    uid: int
    perms: int
    bytes: int
    nattch: int
    dest: bool
    locked: bool
    pages: int
    resident: int
    swapped: int
    inode: Address


@dataclass
class SemaphoreArray:
    """A sem_array: key, id, owner uid, permission bits and number of semaphores."""

    address: Address
    key: int
    semid: int
    uid: int
    perms: int
    nsems: int


@dataclass
class MessageQueue:
    """A msg_queue: key, id, owner uid, permission bits, bytes and messages queued."""

    address: Address
    key: int
    msqid: int
    uid: int
    perms: int
    used_bytes: int
    messages: int


IpcObject = SharedMemory | SemaphoreArray | MessageQueue


@dataclass
class IpcTable:
    """One facility of `ipcs`: ``kind`` is shm, sem or msg; ``in_use`` the namespace's
    count (crash's "(none allocated)" when 0); ``verbose`` for `ipcs -M`."""

    kind: str
    in_use: int
    objects: list[IpcObject]
    verbose: bool = field(default=False, metadata=LAYOUT)


@dataclass
class IpcMatch:
    """`ipcs ID|ADDRESS`: an object whose id or address is the argument."""

    kind: str
    object: IpcObject
    verbose: bool = field(default=False, metadata=LAYOUT)


@dataclass
class IpcNotFound:
    """`ipcs ID|ADDRESS`: an argument no object has (crash prints these first)."""

    argument: str


IPCS_HELP = """\
System V IPC objects of an IPC namespace (that of pid 0, or of the task given with -n):
shared memory segments (-m; -M adds each segment's allocated, resident and swapped pages and
its inode), semaphore arrays (-s) and message queues (-q); all three without options. An id
or the address of a shmid_kernel, sem_array or msg_queue shows only that object.
"""
IPCS_EXAMPLES = """\
examples:
  ipcs -s           the semaphore arrays:
    SEM_ARRAY        KEY      SEMID      UID   PERMS NSEMS
    ffff8e30c3d10400 0c5a5002 32768      0     600   3
  ipcs -M 32768     one shared memory segment with its pages and inode
  ipcs -q -n 1      the message queues of pid 1's namespace
"""


def ipcs_parser() -> CommandParser:
    p = CommandParser("ipcs", IPCS_HELP, epilog=IPCS_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-s", dest="sem", action="store_true", help="semaphore arrays")
    p.add_argument("-m", dest="shm", action="store_true", help="shared memory segments")
    p.add_argument("-M", dest="verbose", action="store_true",
                   help="shared memory segments with their pages and inode")
    p.add_argument("-q", dest="msg", action="store_true", help="message queues")
    completes(p.add_argument("-n", dest="task", metavar="pid|task",
                             help="the IPC namespace of this task"), PID_OR_TASK)
    p.add_argument("values", nargs="*", metavar="id | addr")
    return p


@command("ipcs", "System V IPC facilities", ipcs_parser,
         synopsis="[-smMq] [-n pid|task] [id | addr]")
def run_ipcs(session, args) -> Iterator[object]:
    prog = session.prog
    task = (task_table(prog).get(args.task).tasks[0] if args.task is not None
            else tasks.task_contexts(prog)[0].task)
    if len(args.values) > MAXARGS:
        raise CommandError("too many id/member specified")
    values = [stol(text) for text in args.values]
    shm = args.shm or args.verbose
    kinds = [k for k, on in (("shm", shm), ("sem", args.sem), ("msg", args.msg)) if on] \
        or ["shm", "sem", "msg"]
    namespace = task.nsproxy.ipc_ns.read_()
    if not values:
        return [IpcTable(k, *listing(prog, namespace, k), verbose=args.verbose and k == "shm")
                for k in kinds]
    return matches(prog, namespace, kinds, args.values, values, args.verbose)


def listing(prog: drgn.Program, namespace: drgn.Object, kind: str) -> tuple[int, list]:
    """The facility's in_use count and its objects in idr order, deleted ones left out."""
    index, name, member = KINDS[kind]
    ids = namespace.ids[index]
    in_use = ids.in_use.value_()
    if not in_use:
        return 0, []
    found = []
    for _, entry in idr_for_each(ids.ipcs_idr.address_of_()):
        perm = drgn.cast("struct kern_ipc_perm *", entry)
        if not perm.deleted:
            found.append(READERS[kind](drgn.container_of(perm, f"struct {name}", member)))
    return in_use, found


def matches(prog: drgn.Program, namespace: drgn.Object, kinds: list[str], texts: list[str],
            values: list[int], verbose: bool) -> list[object]:
    """crash's loop over the arguments: for each facility the first object with that id or
    address; the arguments nothing has are listed first."""
    objects = {k: listing(prog, namespace, k)[1] for k in kinds}
    missing, shown = [], []
    for text, value in zip(texts, values):
        found = [IpcMatch(k, obj, verbose and k == "shm") for k in kinds
                 if (obj := next((o for o in objects[k]
                                  if value in (o.address, getattr(o, IDS[k]))), None))]
        shown.extend(found)
        if not found:
            missing.append(IpcNotFound(text))
    return missing + shown


def signed32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def perm_fields(perm: drgn.Object) -> tuple[int, int, int, int]:
    """key, id, uid (as crash's %d prints it) and mode of a kern_ipc_perm."""
    return (perm.key.value_() & 0xFFFFFFFF, perm.id.value_(), signed32(perm.uid.val.value_()),
            perm.mode.value_())


def shared_memory(shp: drgn.Object) -> SharedMemory:
    """crash's get_shm_info(): the segment and, from its file's inode, the pages."""
    key, shmid, uid, mode = perm_fields(shp.shm_perm)
    size = shp.shm_segsz.value_()
    file = shp.shm_file.read_()
    inode = file.f_path.dentry.d_inode.read_()
    resident, swapped = shm_pages(file, inode)
    page_size = facts(shp.prog_).page_size
    return SharedMemory(shp.value_(), key, shmid, uid, mode & 0o777, size,
                        shp.shm_nattch.value_(), bool(mode & SHM_DEST), bool(mode & SHM_LOCKED),
                        (size + page_size - 1) // page_size, resident, swapped, inode.value_())


def shm_pages(file: drgn.Object, inode: drgn.Object) -> tuple[int, int]:
    """crash's add_rss_swap(): resident pages (huge pages counted in base pages) and the
    shmem inode's swapped pages."""
    nrpages = inode.i_mapping.nrpages.value_()
    if is_hugepage_file(file):
        order = drgn.cast("struct hugetlbfs_sb_info *", inode.i_sb.s_fs_info).hstate.order
        return nrpages << order.value_(), 0
    info = drgn.container_of(inode, "struct shmem_inode_info", "vfs_inode")
    return nrpages, info.swapped.value_()


def is_hugepage_file(file: drgn.Object) -> bool:
    """crash's is_file_hugepages(): hugetlbfs's file operations, or shm's huge ones."""
    prog = file.prog_
    wanted = [name for name in ("hugetlbfs_file_operations", "shm_file_operations_huge")
              if name in prog]
    ops = {prog[name].address_ for name in wanted}
    return file.f_op.value_() in ops


def semaphore_array(sma: drgn.Object) -> SemaphoreArray:
    """crash's get_sem_info(); it reads sem_nsems (an int) as a long, so the int after it
    (complex_count, 0 when no complex operation waits) shows in the upper half."""
    key, semid, uid, mode = perm_fields(sma.sem_perm)
    nsems = sma.prog_.read_u64(sma.sem_nsems.address_)
    return SemaphoreArray(sma.value_(), key, semid, uid, mode & 0o777, nsems)


def message_queue(msq: drgn.Object) -> MessageQueue:
    key, msqid, uid, mode = perm_fields(msq.q_perm)
    return MessageQueue(msq.value_(), key, msqid, uid, mode & 0o777, msq.q_cbytes.value_(),
                        msq.q_qnum.value_())


READERS = {"shm": shared_memory, "sem": semaphore_array, "msg": message_queue}
