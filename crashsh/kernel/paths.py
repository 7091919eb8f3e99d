"""crash's own path names for dentries (filesys.c get_pathname), not the kernel's d_path.

crash climbs ``d_parent`` itself. A component counts only if its string length equals
``d_name.len`` (a pipe's empty name ends the walk at once). A component is joined with a
``/`` unless the path built so far already starts with one. At a mount's root the walk goes
on from ``mnt_mountpoint`` in ``mnt_parent``, and it stops at a mount that is its own parent.
One trailing ``/`` is dropped, except from ``/`` itself.

Mounts are passed around as addresses of their ``struct vfsmount`` (``&mount->mnt``), as
crash does: ``file->f_path.mnt``, ``fs->root.mnt`` and the like.
"""

from __future__ import annotations

import drgn

from crashsh.dumpfacts import per_dump

READ_STRING_MAX = 1500  # crash's BUFSIZE: read_string() never reads further


def read_cstring(prog: drgn.Program, address: int, limit: int = READ_STRING_MAX) -> bytes | None:
    """crash's read_string(): the bytes up to the first NUL; None if *address* is unreadable."""
    data = b""
    while len(data) < limit:
        chunk = min(limit - len(data), 4096 - (address + len(data)) % 4096)
        try:
            part = prog.read(address + len(data), chunk)
        except drgn.FaultError:
            if not data:
                return None
            break
        end = part.find(b"\0")
        if end >= 0:
            return data + part[:end]
        data += part
    return data


def read_string(prog: drgn.Program, address: int) -> str | None:
    """read_cstring() as text."""
    data = read_cstring(prog, address)
    return None if data is None else data.decode(errors="replace")


@per_dump
def layout(prog: drgn.Program) -> tuple[drgn.Type, drgn.Type, int]:
    """``struct dentry``, ``struct mount`` and the offset of ``mnt`` in it."""
    mount = prog.type("struct mount")
    return prog.type("struct dentry"), mount, drgn.offsetof(mount, "mnt")


def mount_of(prog: drgn.Program, vfsmnt: int) -> drgn.Object:
    """The ``struct mount`` around the ``struct vfsmount`` at *vfsmnt*."""
    _, mount, offset = layout(prog)
    return drgn.Object(prog, mount, address=vfsmnt - offset)


def vfsmount_of(mount: drgn.Object) -> int:
    """The address of ``&mount->mnt`` for a ``struct mount`` (object or pointer)."""
    return mount.mnt.address_


def _inline_name(dentry: drgn.Object) -> drgn.Object:
    try:
        return dentry.d_iname
    except AttributeError:  # 6.14 turned d_iname into the union d_shortname
        return dentry.d_shortname.string


def component(dentry: drgn.Object) -> str | None:
    """crash's get_pathname_component(): the dentry's name, or None when its string length
    differs from ``d_name.len`` (or the name is empty or unreadable)."""
    length = dentry.d_name.len.value_()
    name = dentry.d_name.name.value_()
    if not length or not name:
        return None
    inline = _inline_name(dentry)
    if name == inline.address_:
        raw: bytes | None = inline.string_()
    else:
        raw = read_cstring(dentry.prog_, name)
    if raw is None or len(raw) != length:
        return None
    return raw.decode(errors="replace")


@per_dump
def _paths(prog: drgn.Program) -> dict[tuple[int, int], str]:
    return {}


def crash_path(prog: drgn.Program, dentry: int, vfsmnt: int = 0) -> str:
    """crash's get_pathname(dentry, ..., full=1, vfsmnt), walked once per dump."""
    known = _paths(prog)
    key = (dentry, vfsmnt)
    if key not in known:
        known[key] = _walk(prog, dentry, vfsmnt)
    return known[key]


def _walk(prog: drgn.Program, dentry: int, vfsmnt: int) -> str:
    path = ""
    parent = dentry
    dentry_type = layout(prog)[0]
    while True:
        current = parent
        d = drgn.Object(prog, dentry_type, address=current)
        name = component(d)
        if name is None:
            break
        if current == dentry:
            path = name
        elif name != "/" and not path.startswith("/"):
            path = f"{name}/{path}"
        else:
            path = name + path
        parent = d.d_parent.value_()
        if current == parent and vfsmnt:
            # at a mount's root: go on from where it is mounted
            if path.startswith("//"):
                path = path[1:]
            mount = mount_of(prog, vfsmnt)
            parent = mount.mnt_mountpoint.value_()
            mnt_parent = mount.mnt_parent.value_()
            if mount.address_ == mnt_parent:
                break
            vfsmnt = vfsmount_of(mount.mnt_parent)
            continue
        if current == parent or not parent:
            break
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    return path


@per_dump
def _devnames(prog: drgn.Program) -> dict[int, str]:
    return {}


def devname(prog: drgn.Program, vfsmnt: int) -> str:
    """crash's vfsmount_devname(): ``mnt_devname`` of the mount, "" if unreadable (read once
    per dump)."""
    known = _devnames(prog)
    if vfsmnt not in known:
        known[vfsmnt] = _devname(prog, vfsmnt)
    return known[vfsmnt]


def _devname(prog: drgn.Program, vfsmnt: int) -> str:
    try:
        address = mount_of(prog, vfsmnt).mnt_devname.value_()
    except drgn.FaultError:
        return ""
    return read_string(prog, address) or ""


def root_vfsmount(prog: drgn.Program, vfsmnt: int) -> int:
    """crash's get_root_vfsmount(): for devtmpfs (or udev) mounted on the same, the parent.

    crash passes ``mnt_parent`` (a ``struct mount``) on as if it were a vfsmount; that is
    reproduced, since the paths it prints depend on it.
    """
    name = devname(prog, vfsmnt)
    if name not in ("udev", "devtmpfs"):
        return vfsmnt
    try:
        mnt_parent = mount_of(prog, vfsmnt).mnt_parent.value_()
    except drgn.FaultError:
        return vfsmnt
    return mnt_parent if devname(prog, mnt_parent) == name else vfsmnt


def file_path(prog: drgn.Program, file: drgn.Object) -> str:
    """The PATH crash prints for an open file: its own walk from the file's mount, with
    ``/dev`` put before devpts names under ``/pts/``."""
    vfsmnt = root_vfsmount(prog, file.f_path.mnt.value_())
    path = crash_path(prog, file.f_path.dentry.value_(), vfsmnt)
    if path.startswith("/pts/") and devname(prog, vfsmnt) == "devpts":
        path = "/dev" + path
    return path
