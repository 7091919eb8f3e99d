"""dev and sys -i: device majors, disks, requests in flight, resources and PCI devices against
drgn's own helpers; the DMI strings against the guest's boot log; crash's 80-column cut."""

from __future__ import annotations

import struct

from drgn.helpers.linux.block import MAJOR, disk_name, for_each_disk, request_queue_busy_iter
from drgn.helpers.linux.device import for_each_registered_blkdev, for_each_registered_chrdev
from drgn.helpers.linux.ioport import for_each_resource
from drgn.helpers.linux.pci import for_each_pci_dev, pci_name

from crashsh.commands.dev import DeviceDumps, Resource, ResourceTable
from crashsh.dumpfile import FileKind
from crashsh.dumpnotes import DeviceDump, device_dumps
from crashsh.render.dev import wrapped
from crashsh.render.plain import plain
from tests.differential.runner import run_json
from tests.test_cli import crashsh as crashsh_process


def test_char_majors_are_drgns(crashsh):
    prog = crashsh.session.prog
    rows = run_json(crashsh, "dev")["chars"]
    registered = list(for_each_registered_chrdev(prog))
    assert [(r["major"], r["name"]) for r in rows] == [
        (MAJOR(dev), name.decode()) for dev, _, name, _ in registered]
    for row, (_, _, _, cdev) in zip(rows, registered):
        if row["operations"] != "0x0":
            assert row["object"] == hex(cdev.value_())
            assert row["operations"] == hex(cdev.ops.value_())
            assert row["symbol"] == prog.symbol(int(row["operations"], 16)).name


def test_block_majors_are_drgns(crashsh):
    """The first name registered in each major_names[] slot, with a gendisk of its major."""
    prog = crashsh.session.prog
    rows = run_json(crashsh, "dev")["blocks"]
    registered = {(major, name.decode()) for major, name, _ in for_each_registered_blkdev(prog)}
    assert {(r["major"], r["name"]) for r in rows} <= registered
    disks = {hex(d.value_()): d for d in for_each_disk(prog)}
    for row in rows:
        if row["object"] != "0x0":
            assert disks[row["object"]].major.value_() == row["major"]
            assert row["operations"] == hex(disks[row["object"]].fops.value_())
    assert any(row["object"] != "0x0" for row in rows)  # virtio_blk's disks


def test_disks_and_requests_in_flight(crashsh):
    """Every disk drgn finds (none is ram or loop here), with the requests the driver holds
    in flight as drgn's busy iterator counts them."""
    prog = crashsh.session.prog
    disks = run_json(crashsh, "dev -d")["disks"]
    assert [d["gendisk"] for d in disks] == [hex(g.value_()) for g in for_each_disk(prog)]
    for row, disk in zip(disks, for_each_disk(prog)):
        assert row["name"] == disk_name(disk).decode()
        assert row["queue"] == hex(disk.queue.value_())
        busy = [rq for rq in request_queue_busy_iter(disk.queue, "driver")
                if rq.state.value_() == 1]
        writes = sum(rq.cmd_flags.value_() & 1 for rq in busy)
        assert (row["read"], row["write"]) == (len(busy) - writes, writes)
    busy_only = run_json(crashsh, "dev -D")["disks"]
    assert busy_only == [d for d in disks if d["read"] + d["write"]]


def test_resources_are_drgns(crashsh):
    prog = crashsh.session.prog
    for table in run_json(crashsh, "dev -i"):
        root = prog[f"{table['kind']}_resource"].address_of_()
        assert [r["address"] for r in table["resources"]] == [
            hex(r.value_()) for r in for_each_resource(root)]
        assert table["resources"][0]["end"] == hex(root.end.value_())


def test_pci_devices_are_drgns(crashsh):
    prog = crashsh.session.prog
    (root,) = run_json(crashsh, "dev -p")["roots"]
    found = {d["address"]: d for d in root["devices"]}
    for dev in for_each_pci_dev(prog):
        ours = found[hex(dev.value_())]
        assert ours["name"] == pci_name(dev)
        assert (ours["vendor"], ours["device"]) == (dev.vendor.value_(), dev.device.value_())
        assert ours["pci_class"] == dev.member_("class").value_() >> 8


def test_dmi_strings_are_the_boot_logs(kernel, crashsh):
    """The kernel's "DMI: vendor product, BIOS version date" boot line holds the strings."""
    fields = run_json(crashsh, "sys -i")["fields"]
    line = next(l for l in kernel.manifest["dmesg"] if "] DMI: " in l)
    assert line.split("] DMI: ", 1)[1] == (
        f"{fields['DMI_SYS_VENDOR']} {fields['DMI_PRODUCT_NAME']}, "
        f"BIOS {fields['DMI_BIOS_VERSION']} {fields['DMI_BIOS_DATE']}")


def test_dev_V_finds_no_device_dumps(crashsh):
    assert crashsh.run("dev -V") == "dev: no device dumps found in this dumpfile\n"


# -- pure pieces ---------------------------------------------------------------------------------
def test_long_resource_names_wrap_at_a_blank():
    """do_resource_list(): a name past column 80 is cut at the first blank (from the end)
    that leaves enough; the rest goes under the name column."""
    name = "Intel Corporation 82801 something rather long with words in it, really quite long"
    first, rest = wrapped(name, 29)
    assert 29 + len(first) <= 80 and first.startswith("Intel")
    assert rest == " " * 29 + name[len(first) + 1:]
    assert wrapped("short", 29) == ["short"]
    assert wrapped("x" * 60, 29) == ["x" * 60]  # no blank: printed whole


def test_resource_rows_as_crash_prints_them():
    table = ResourceTable("iomem", 8, [Resource(0xffff888000001000, 0x100000, 0x3ffdffff,
                                                "System RAM")])
    assert list(plain(table))[1] == "%8x  %08x-%08x  %s\n" % (0xffff888000001000, 0x100000,
                                                             0x3ffdffff, "System RAM")


def vmcoredd_note(name: str, data: bytes) -> bytes:
    """An NT_VMCOREDD note as the kernel writes it: "LINUX", then the device's name in 44
    bytes and its dump."""
    desc = name.encode().ljust(44, b"\0") + data
    return struct.pack("<III", 6, len(desc), 0x700) + b"LINUX\0\0\0" + desc


def test_device_dump_notes_of_an_elf_vmcore(tmp_path):
    other = struct.pack("<III", 5, 4, 1) + b"CORE\0\0\0\0" + b"xxxx"  # an NT_PRSTATUS
    notes = vmcoredd_note("nic0", b"\1" * 8) + other
    ehdr = b"\x7fELF\2\1\1".ljust(16, b"\0") + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0,
                                                             0, 64, 56, 1, 0, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 4, 0, 120, 0, 0, len(notes), len(notes), 4)
    path = tmp_path / "vmcore"
    path.write_bytes(ehdr + phdr + notes)
    dumps = device_dumps(str(path), FileKind.ELF_CORE)
    assert dumps == [DeviceDump(120 + 12 + 8 + 44, 8, "nic0")]
    assert list(plain(DeviceDumps(dumps))) == [
        "INDEX  OFFSET             SIZE             NAME\n",
        f"  0    0x{120 + 64:<16x} {8:<16d} nic0\n"]


def test_device_dump_notes_of_a_kdump_file(tmp_path):
    block = 4096
    head = bytearray(block * 2)
    head[:8] = b"KDUMP   "
    struct.pack_into("<i", head, 8, 6)  # header_version: notes since 4
    struct.pack_into("<iiIi", head, 428, block, 1, 0, 0)
    notes = vmcoredd_note("gpu", b"\2" * 16)
    struct.pack_into("<qQ", head, block + 48, len(head), len(notes))
    path = tmp_path / "vmcore"
    path.write_bytes(bytes(head) + notes)
    assert device_dumps(str(path), FileKind.KDUMP) == [DeviceDump(len(head) + 64, 16, "gpu")]


def with_device_dumps(kdump: str, path, dumps: list[tuple[str, bytes]]) -> None:
    """A copy of a kdump-compressed file whose note area also holds NT_VMCOREDD notes: the
    old notes and the new ones written at the end, the sub-header pointed at them."""
    data = bytearray(open(kdump, "rb").read())
    block = struct.unpack_from("<i", data, 428)[0]
    offset, size = struct.unpack_from("<qQ", data, block + 48)
    notes = bytes(data[offset:offset + size]) + b"".join(
        vmcoredd_note(name, body) + b"\0" * (-len(body) % 4) for name, body in dumps)
    struct.pack_into("<qQ", data, block + 48, len(data), len(notes))
    path.write_bytes(bytes(data) + notes)


def test_dev_v_shows_and_copies_a_device_dump(kernel, tmp_path):
    """dev -V lists the notes; dev -v INDEX shows one as rd -f does (the last word padded
    from the next bytes of the file), dev -v INDEX FILE copies its bytes; crash's messages for
    a missing index and extra words."""
    vmcore = tmp_path / "vmcore.kdump"
    nic, gpu = bytes(range(40)), b"a device dump of 21 b"
    with_device_dumps(kernel.dump(), vmcore, [("nic0", nic), ("gpu", gpu)])
    copy = tmp_path / "gpu.bin"
    lines = ["dev -v 0", f"dev -v 1 {copy}", "dev -v 2", "dev -v 0 a b"]
    out = crashsh_process(kernel, "-s", stdin="".join(f"{line}\n" for line in lines),
                  files=[kernel.vmlinux, str(vmcore)]).stdout
    found = device_dumps(str(vmcore), FileKind.KDUMP)
    assert [(d.name, d.size) for d in found] == [("nic0", 40), ("gpu", 21)]
    nic_at = found[0].offset
    assert out.startswith(
        "DEVICE: nic0\n"
        f"{nic_at:>16x}:  0706050403020100 0f0e0d0c0b0a0908   ................\n"
        f"{nic_at + 16:>16x}:  1716151413121110 1f1e1d1c1b1a1918   ................\n"
        f"{nic_at + 32:>16x}:  2726252423222120                     !\"#$%&'\n")
    assert f"DEVICE: gpu\n21 bytes copied from 0x{found[1].offset:x} to {copy}\n" in out
    assert copy.read_bytes() == gpu
    assert "dev: no device dump found at index: 2\nUsage:\n  dev " in out
