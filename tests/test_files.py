"""files, mount, vm and swap: the guest's ground truth (the marker's descriptors, the mounts),
drgn's own answers (page translations, VMAs), JSON, and the pure pieces of crash's logic."""

from __future__ import annotations


import drgn
import pytest
from drgn.helpers.linux.mm import follow_phys
from drgn.helpers.linux.pid import find_task

from tests.differential.runner import run_json
from crashsh.commands.files import FileReference, OpenFile, filename_component, reference_tokens
from crashsh.commands.mount import MountRow, path_equal
from crashsh.commands.swap import SwapTable
from crashsh.commands.vm import PageTranslation, VmReference, vm_flags
from crashsh.kernel.swap import SwapArea, swap_entry
from crashsh.render.mount import type_and_device
from crashsh.render.plain import plain


def marker(kernel):
    return kernel.manifest["marker"]


# -- ground truth -------------------------------------------------------------------------------
def test_marker_files_match_the_guest(kernel, crashsh):
    """Every fd of the marker: its path, or for pipe:[N] / socket:[N] its type and inode number."""
    prog = crashsh.session.prog
    (task,) = run_json(crashsh, f"files {marker(kernel)['pid']}")
    files = {f["fd"]: f for f in task["files"]}
    assert sorted(files) == sorted(int(fd) for fd in marker(kernel)["fds"])
    for fd, truth in marker(kernel)["fds"].items():
        f = files[int(fd)]
        ino = drgn.Object(prog, "struct inode", address=int(f["inode"], 16)).i_ino.value_()
        if truth.startswith(("pipe:[", "socket:[")):
            assert f["type"] == ("FIFO" if truth.startswith("pipe") else "SOCK")
            assert ino == int(truth.split("[")[1].rstrip("]"))
        else:
            assert f["path"] == truth
    assert files[3]["path"] == marker(kernel)["file"]
    assert {"path", "type", "flags", "pos", "inode"} <= set(files[3])


def test_marker_file_position_and_flags(kernel, crashsh):
    """JSON carries f_pos and f_flags: the marker file is open read-write (O_RDWR) and written."""
    (task,) = run_json(crashsh, f"files {marker(kernel)['pid']}")
    marker_file = task["files"][3]
    assert int(marker_file["flags"], 16) & 0o3 == 0o2
    assert marker_file["pos"] > 0
    assert task["root"] == task["cwd"] == "/"


def test_mounts_match_the_guest(kernel, crashsh):
    (table,) = [run_json(crashsh, "mount")]
    found = [(r["devname"], r["dirname"], r["fstype"]) for r in table["rows"]]
    assert found == [(m["device"], m["mountpoint"], m["fstype"]) for m in kernel.manifest["mounts"]]


def test_vm_lists_every_vma_of_the_marker(kernel, crashsh):
    prog = crashsh.session.prog
    mm = find_task(prog, marker(kernel)["pid"]).mm
    (vm,) = run_json(crashsh, f"vm {marker(kernel)['pid']}")
    assert len(vm["areas"]) == mm.map_count.value_()
    assert vm["summary"]["mm"] == hex(mm.value_())
    assert vm["areas"][0]["file"] == "/usr/bin/crashsh_marker"


def test_vm_page_translations_agree_with_drgn(kernel, crashsh):
    prog = crashsh.session.prog
    mm = find_task(prog, marker(kernel)["pid"]).mm
    (vm,) = run_json(crashsh, f"vm -p {marker(kernel)['pid']}")
    pages = [p for area in vm["areas"] for p in area["pages"]]
    assert any(p["physical"] is not None for p in pages)
    for page in pages:
        if page["physical"] is not None:
            assert page["physical"] == hex(follow_phys(mm, int(page["virtual"], 16)).value_())
        else:
            with pytest.raises(drgn.FaultError):
                follow_phys(mm, int(page["virtual"], 16))


def test_files_p_lists_the_marker_files_page(kernel, crashsh):
    prog = crashsh.session.prog
    file = find_task(prog, marker(kernel)["pid"]).files.fdt.fd[3]
    out = crashsh.run(f"files -p {file.f_inode.value_():x}").splitlines()
    mapping = file.f_inode.i_mapping.value_()
    assert out[1].split() == [f"{file.f_inode.value_():x}", "1"]
    assert out[4].split()[2] == f"{mapping:x}"


def test_foreach_vm_and_files_cover_every_task(kernel, crashsh):
    tasks = crashsh.run("ps").count("\n") - 1
    assert crashsh.run("foreach files").count("PID: ") == tasks
    assert crashsh.run("foreach vm").count("PID: ") == tasks


def test_vm_flags_names(crashsh):
    assert vm_flags(crashsh.session.prog, 0x8100073).names == [
        "READ", "WRITE", "MAYREAD", "MAYWRITE", "MAYEXEC", "ACCOUNT", "CAN_NONLINEAR"]


# -- crash's logic, unit by unit ----------------------------------------------------------------
@pytest.mark.parametrize("a, b, equal", [
    ("/proc", "/proc", True),
    ("/mnt//tmpfs/", "/mnt/tmpfs", True),
    ("/mnt/tmpfs", "/mnt/tmpfs/", True),
    ("/", "/", True),
    ("proc", "/proc", False),
    ("/procx", "/proc", False),
])
def test_pathcmp(a, b, equal):
    assert path_equal(a, b) is equal


def test_mount_type_and_device_columns():
    row = MountRow(0, 0, "devtmpfs", "devtmpfs", "/dev")
    assert type_and_device(row) == "devtmpfs devtmpfs "
    assert type_and_device(MountRow(0, 0, "proc", "proc", "/proc")) == "proc   proc      "
    assert type_and_device(MountRow(0, 0, None, None, "/")) == "unknown (unknown) "


def test_file_reference():
    f = OpenFile(3, 0xffff1000, 0xffff2000, 0xffff3000, "REG", "/mnt/x y", 0, 0, 0, 0)
    words = reference_tokens(f, nrpages=False)
    assert words[-2:] == ["/mnt/x", "y"]  # crash splits the row at blanks
    assert FileReference("3", hexval=0, decval=3).matches(reference_tokens(
        OpenFile(3, 1, 2, 3, "REG", "/a", 0, 0, 0, 0), False))
    assert FileReference("ffff2000", hexval=0xffff2000).matches(words)
    assert FileReference("REG").matches(words)
    assert not FileReference("x y").matches(words)
    assert filename_component("/", "/") and not filename_component("/a", "/")


def test_vm_reference_pages():
    ref = VmReference.parse("9c000")
    assert ref.page(PageTranslation(0x49c000, file="/bin/x", file_offset=0x9c000))
    assert not ref.page(PageTranslation(0x49c000))
    assert VmReference.parse("12").page(PageTranslation(0, swap_device="/dev/sda2", swap_offset=12))
    assert VmReference.parse("sda").page(PageTranslation(0, swap_device="/dev/sda2", swap_offset=1))


def test_swap_entry_is_decoded_inverted():
    """L1TF kernels keep the type in the top 5 bits and the offset inverted from bit 9."""
    pte = (2 << 59) | (~(5 << 9) & ((1 << 59) - 1) & ~0x1FF)
    assert swap_entry(pte) == (2, 5)


def test_swap_row():
    area = SwapArea(0xffff888001234000, True, 262144, 1024, -2, "/dev/vda2")
    text = "".join(plain(SwapTable([area], 4096)))
    assert text.splitlines()[1] == (
        "ffff888001234000  PARTITION  1048576k     4096k     0%   -2  /dev/vda2")
