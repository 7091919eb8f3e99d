"""ipcs against drgn's walk of the IPC namespace's idrs: every live object of each facility
with its key, id, owner, mode and counters (the fixtures may have none yet; the checks hold
for whatever the dump has), lookups by id and address, and crash's row formats."""

from __future__ import annotations

import struct

import drgn
import pytest
from drgn.helpers.linux.fs import fget
from drgn.helpers.linux.ipc import (for_each_sysv_msg_queue, for_each_sysv_sem_array,
                                    for_each_sysv_shm)
from drgn.helpers.linux.pid import find_task

from crashsh.commands.ipcs import (IpcTable, MessageQueue, SemaphoreArray, SharedMemory,
                                   listing, matches)
from crashsh.render.ipcs import HEADERS, row
from crashsh.render.plain import plain
from tests.differential.runner import run_json
from tests.overlay import Overlay

WALKS = {"shm": (for_each_sysv_shm, "shm_perm"), "sem": (for_each_sysv_sem_array, "sem_perm"),
         "msg": (for_each_sysv_msg_queue, "q_perm")}
IDS = {"shm": "shmid", "sem": "semid", "msg": "msqid"}


def drgn_objects(prog, kind: str) -> list:
    walk, member = WALKS[kind]
    return [obj for obj in walk(prog) if not getattr(obj, member).deleted]


def test_every_facility_is_drgns_walk(crashsh):
    prog = crashsh.session.prog
    tables = run_json(crashsh, "ipcs")
    assert [t["kind"] for t in tables] == ["shm", "sem", "msg"]
    for table in tables:
        kind = table["kind"]
        ns_ids = prog["init_ipc_ns"].ids[{"sem": 0, "msg": 1, "shm": 2}[kind]]
        assert table["in_use"] == ns_ids.in_use.value_()
        expected = drgn_objects(prog, kind)
        assert [o["address"] for o in table["objects"]] == [hex(obj.value_()) for obj in expected]
        for ours, obj in zip(table["objects"], expected):
            perm = getattr(obj, WALKS[kind][1])
            assert ours[IDS[kind]] == perm.id.value_()
            assert ours["key"] == perm.key.value_() & 0xFFFFFFFF
            assert ours["perms"] == perm.mode.value_() & 0o777
            check_counters(kind, ours, obj)


def check_counters(kind: str, ours: dict, obj) -> None:
    if kind == "shm":
        assert ours["bytes"] == obj.shm_segsz.value_()
        assert ours["nattch"] == obj.shm_nattch.value_()
        assert ours["inode"] == hex(obj.shm_file.f_inode.value_())
    elif kind == "sem":
        assert ours["nsems"] & 0xFFFFFFFF == obj.sem_nsems.value_()
    else:
        assert (ours["used_bytes"], ours["messages"]) == (obj.q_cbytes.value_(),
                                                          obj.q_qnum.value_())


def test_each_option_is_one_facility(crashsh):
    everything = {t["kind"]: t for t in run_json(crashsh, "ipcs")}
    for option, kind in (("-m", "shm"), ("-s", "sem"), ("-q", "msg")):
        assert run_json(crashsh, f"ipcs {option}") == [everything[kind]]
    (verbose,) = run_json(crashsh, "ipcs -M")
    assert verbose["objects"] == everything["shm"]["objects"]


def test_objects_are_found_by_id_and_address(crashsh):
    for table in run_json(crashsh, "ipcs"):
        option = {"shm": "-m", "sem": "-s", "msg": "-q"}[table["kind"]]
        for obj in table["objects"]:
            for value in (obj["address"][2:], str(obj[IDS[table['kind']]])):
                found = run_json(crashsh, f"ipcs {option} {value}")
                assert [m["object"] for m in found] == [obj]


def test_an_unknown_id_is_reported_first(crashsh):
    found = run_json(crashsh, "ipcs 2147483647 0x10")
    assert found[:2] == [{"argument": "2147483647"}, {"argument": "0x10"}]


def test_rows_as_crash_prints_them():
    """dump_shm_info(), dump_sem_info() and dump_msg_info()'s printf formats (Python's %
    formatting is C's for these)."""
    shm = SharedMemory(0xffff888001000000, 0x4d2, 32769, 1000, 0o600, 65536, 1, True, False,
                       16, 3, 1, 0xffff888002000000)
    assert row(shm, True) == (
        "%-16x %08x %-10d %-5d %-5o %-10d %-6d %-s %-s\n" % (
            shm.address, 0x4d2, 32769, 1000, 0o600, 65536, 1, "dest", "")
        + "PAGES ALLOCATED/RESIDENT/SWAPPED: 16/3/1\nINODE: ffff888002000000\n")
    sem = SemaphoreArray(0xffff888001000100, 0xffffffff, 3, -1, 0o644, 4)
    assert row(sem, False) == "%-16x %08x %-10d %-5d %-5o %-10d\n" % (
        sem.address, 0xffffffff, 3, -1, 0o644, 4)
    msg = MessageQueue(0xffff888001000200, 0, 65536, 0, 0o666, 12, 2)
    assert row(msg, False) == "%-16x %08x %-10d %-5d %-5o %-12d %-12d\n" % (
        msg.address, 0, 65536, 0, 0o666, 12, 2)


# -- objects laid over the dump ------------------------------------------------------------------
LAID = {  # kind: (struct, perm member, ids[] index, key, id, uid, mode)
    "shm": ("shmid_kernel", "shm_perm", 2, 0x1234, 32768, 1000, 0o1640),
    "sem": ("sem_array", "sem_perm", 0, 0x7fffffff, 1, 0, 0o600),
    "msg": ("msg_queue", "q_perm", 1, -1, 65536, 65534, 0o666),
}


@pytest.fixture(scope="module")
def laid(kernel):
    """A Program on the kdump whose initial IPC namespace holds one object of each kind at
    index 0 of its idr; the segment's file is the marker's tmpfs file."""
    prog = drgn.Program()
    prog.set_core_dump(kernel.dump())
    prog.load_debug_info([kernel.vmlinux])
    file = fget(find_task(prog, kernel.manifest["marker"]["pid"]), 3)
    o = Overlay(prog)
    ns = prog["init_ipc_ns"]
    found = {}
    for kind, (name, member, index, key, ident, uid, mode) in LAID.items():
        address = o.alloc(f"struct {name}")
        obj = drgn.Object(prog, f"struct {name}", address=address)
        perm = getattr(obj, member)
        o.write(perm.key.address_, struct.pack("<i", key))
        o.write(perm.id.address_, struct.pack("<i", ident))
        o.write(perm.uid.address_, struct.pack("<I", uid))
        o.write(perm.mode.address_, struct.pack("<H", mode))
        ids = ns.ids[index]
        o.write(ids.in_use.address_, struct.pack("<i", 1))
        o.put(ids.ipcs_idr.idr_rt.xa_head.address_, perm.address_)
        found[kind] = address
    shm = drgn.Object(prog, "struct shmid_kernel", address=found["shm"])
    o.put(shm.shm_segsz.address_, 3 * 4096 + 1)
    o.put(shm.shm_nattch.address_, 2)
    o.put(shm.shm_file.address_, file.value_())
    sem = drgn.Object(prog, "struct sem_array", address=found["sem"])
    o.write(sem.sem_nsems.address_, struct.pack("<i", 5))
    msq = drgn.Object(prog, "struct msg_queue", address=found["msg"])
    o.put(msq.q_cbytes.address_, 100, 3)  # q_cbytes, q_qnum
    o.install()
    return prog, found, file


def test_laid_objects_are_listed_as_crash_prints_them(laid):
    prog, found, file = laid
    ns = prog["init_ipc_ns"]
    tables = [IpcTable(kind, *listing(prog, ns, kind)) for kind in ("shm", "sem", "msg")]
    assert [[o.address for o in t.objects] for t in tables] == [
        [o.value_() for o in drgn_objects(prog, kind)] for kind in ("shm", "sem", "msg")]
    inode = file.f_inode
    nrpages = inode.i_mapping.nrpages.value_()
    swapped = drgn.container_of(inode, "struct shmem_inode_info", "vfs_inode").swapped.value_()
    shm_line = "%-16x %08x %-10d %-5d %-5o %-10d %-6d %-s %-s\n" % (
        found["shm"], 0x1234, 32768, 1000, 0o640, 3 * 4096 + 1, 2, "dest", "")
    assert "".join(plain(tables[0])) == HEADERS["shm"] + shm_line + "\n"
    assert "".join(plain(IpcTable("shm", 1, tables[0].objects, verbose=True))) == (
        HEADERS["shm"] + shm_line
        + f"PAGES ALLOCATED/RESIDENT/SWAPPED: 4/{nrpages}/{swapped}\nINODE: {inode.value_():x}\n\n")
    assert "".join(plain(tables[1])) == HEADERS["sem"] + "%-16x %08x %-10d %-5d %-5o %-10d\n\n" % (
        found["sem"], 0x7fffffff, 1, 0, 0o600, 5)
    assert "".join(plain(tables[2])) == HEADERS["msg"] + (
        "%-16x %08x %-10d %-5d %-5o %-12d %-12d\n\n" % (found["msg"], 0xffffffff, 65536, 65534,
                                                      0o666, 100, 3))


def test_laid_objects_are_found_by_id_and_address(laid):
    prog, found, _ = laid
    ns = prog["init_ipc_ns"]
    kinds = ["shm", "sem", "msg"]
    hits = matches(prog, ns, kinds, ["1", f"{found['msg']:x}", "99"], [1, found["msg"], 99],
                   False)
    assert [type(h).__name__ for h in hits] == ["IpcNotFound", "IpcMatch", "IpcMatch"]
    assert hits[0].argument == "99"
    assert (hits[1].kind, hits[1].object.address) == ("sem", found["sem"])
    assert (hits[2].kind, hits[2].object.address) == ("msg", found["msg"])
