"""The task_struct members crash's task table keeps, read with one read of the struct's front
per task and decoded by offset (drgn's ``task.pid.value_()`` is one read per member per task)."""

from __future__ import annotations

import struct
from collections import namedtuple

import drgn

from crashsh.dumpfacts import per_dump

# name -> the member designators tried in order (members renamed or moved across kernels)
MEMBERS: dict[str, tuple[str, ...]] = {
    "pid": ("pid",),
    "tgid": ("tgid",),
    "comm": ("comm",),
    "parent": ("parent",),
    "flags": ("flags",),
    "state": ("__state", "state"),  # renamed __state in 5.14
    "exit_state": ("exit_state",),
    "policy": ("policy",),
    "mm": ("mm",),
    "fs": ("fs",),
    "files": ("files",),
    "stack": ("stack",),
    "utime": ("utime",),
    "stime": ("stime",),
    "start_time": ("start_time",),
    "last_arrival": ("sched_info.last_arrival",),
    "cpu": ("thread_info.cpu", "cpu"),  # drgn's task_cpu() order; 5.16 moved it back
    "rss_counts": ("rss_stat.count",),  # per-thread RSS deltas (SPLIT_RSS_COUNTING, to 6.1)
}
INTEGER_CODES = {(1, True): "b", (1, False): "B", (2, True): "h", (2, False): "H",
                 (4, True): "i", (4, False): "I", (8, True): "q", (8, False): "Q"}


class TaskFields:
    """How to read MEMBERS of one kernel's task_struct: where each lies and how it is coded.
    A member the kernel lacks reads as None."""

    def __init__(self, prog: drgn.Program) -> None:
        task_type = prog.type("struct task_struct")
        self.mm_type = task_type.member("mm").type  # struct mm_struct *
        found = {}  # name -> (offset, struct code, array length or None)
        for name, designators in MEMBERS.items():
            for designator in designators:
                try:
                    found[name] = (drgn.offsetof(task_type, designator),
                                   *coding(member_type(task_type, designator)))
                    break
                except LookupError:
                    continue
        self.names = tuple(MEMBERS)
        self.record = namedtuple("TaskRecord", self.names)
        order = sorted(found, key=lambda name: found[name][0])
        self.start = found[order[0]][0] if order else 0
        endian = "<" if prog.platform.flags & drgn.PlatformFlags.IS_LITTLE_ENDIAN else ">"
        codes, at = [endian], self.start
        for name in order:
            offset, code, _ = found[name]
            codes.append(f"{offset - at}x{code}")
            at = offset + struct.calcsize(endian + code)
        self.layout = struct.Struct("".join(codes))
        self.found = found
        self.order = order

    def read(self, prog: drgn.Program, address: int):
        """The TaskRecord of the task at *address* (one read; FaultError if it fails)."""
        raw = self.layout.unpack_from(prog.read(address + self.start, self.layout.size))
        values = dict.fromkeys(self.names)
        at = 0
        for name in self.order:
            length = self.found[name][2]
            if length is None:
                value = raw[at]
                at += 1
            else:
                value = raw[at:at + length]
                at += length
            values[name] = value
        comm = values["comm"]
        if comm is not None:
            values["comm"] = comm.split(b"\0", 1)[0].decode(errors="replace")
        return self.record(**values)


@per_dump
def task_fields(prog: drgn.Program) -> TaskFields:
    """The dump's TaskFields."""
    return TaskFields(prog)


def member_type(struct_type: drgn.Type, designator: str) -> drgn.Type:
    """The type of a dotted member designator ("sched_info.last_arrival")."""
    found = struct_type
    for part in designator.split("."):
        found = found.unaliased().member(part).type
    return found.unaliased()


def coding(member: drgn.Type) -> tuple[str, int | None]:
    """(struct code, array length or None) of a member: an integer, a pointer, a char array
    (bytes) or an array of integers."""
    if member.kind == drgn.TypeKind.ARRAY:
        element = member.type.unaliased()
        if element.kind == drgn.TypeKind.INT and element.size == 1:
            return f"{member.length}s", None
        return f"{member.length}{integer_code(element)}", member.length
    if member.kind == drgn.TypeKind.POINTER:
        return INTEGER_CODES[member.size, False], None
    return integer_code(member), None


def integer_code(member: drgn.Type) -> str:
    if member.kind == drgn.TypeKind.ENUM:
        member = member.type
    if member.kind not in (drgn.TypeKind.INT, drgn.TypeKind.BOOL):
        raise LookupError(f"not an integer: {member}")
    return INTEGER_CODES[member.size, member.is_signed]
