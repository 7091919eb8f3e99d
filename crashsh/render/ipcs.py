"""Plain text of ipcs (crash's dump_shared_memory, dump_semaphore_arrays,
dump_message_queues and their dump_*_info, ipcs.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.ipcs import (IpcMatch, IpcNotFound, IpcObject, IpcTable, MessageQueue,
                                   SemaphoreArray, SharedMemory)
from crashsh.render.plain import plain

HEADERS = {
    "shm": "SHMID_KERNEL     KEY      SHMID      UID   PERMS BYTES      NATTCH STATUS\n",
    "sem": "SEM_ARRAY        KEY      SEMID      UID   PERMS NSEMS     \n",
    "msg": "MSG_QUEUE        KEY      MSQID      UID   PERMS USED-BYTES   MESSAGES    \n",
}


def row(obj: IpcObject, verbose: bool) -> str:
    head = f"{obj.address:<16x} {obj.key:08x} "
    if isinstance(obj, SharedMemory):
        text = (head + f"{obj.shmid:<10d} {obj.uid:<5d} {obj.perms:<5o} {obj.bytes:<10d} "
                f"{obj.nattch:<6d} {'dest' if obj.dest else ''} {'locked' if obj.locked else ''}\n")
        if verbose:
            text += (f"PAGES ALLOCATED/RESIDENT/SWAPPED: {obj.pages}/{obj.resident}/"
                     f"{obj.swapped}\nINODE: {obj.inode:x}\n")
        return text
    if isinstance(obj, SemaphoreArray):
        return head + f"{obj.semid:<10d} {obj.uid:<5d} {obj.perms:<5o} {obj.nsems:<10d}\n"
    assert isinstance(obj, MessageQueue)
    return (head + f"{obj.msqid:<10d} {obj.uid:<5d} {obj.perms:<5o} {obj.used_bytes:<12d} "
            f"{obj.messages:<12d}\n")


@plain.register
def _(table: IpcTable) -> Iterator[str]:
    if table.verbose:  # -M: a header above each segment; without any, crash's empty table
        if not table.in_use:
            yield HEADERS["shm"] + "(none allocated)\n\n"
        for obj in table.objects:
            yield HEADERS["shm"] + row(obj, True) + "\n"
        return
    yield HEADERS[table.kind]
    if not table.in_use:
        yield "(none allocated)\n\n"
        return
    for obj in table.objects:
        yield row(obj, False)
    yield "\n"


@plain.register
def _(match: IpcMatch) -> Iterator[str]:
    yield HEADERS[match.kind] + row(match.object, match.verbose) + "\n"


@plain.register
def _(missing: IpcNotFound) -> Iterator[str]:
    yield f"invalid id or address: {missing.argument}\n\n"
