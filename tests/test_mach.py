"""mach against the guest: HZ (crash guesses 1000 on 6.12), CPUs, the e820 RAM ranges against
the guest's /proc/iomem, the stacks against drgn's per-CPU data."""

from __future__ import annotations

import tarfile

from drgn.helpers.linux.percpu import per_cpu

from tests.differential.runner import run_json


def iomem_ram(kernel) -> list[tuple[int, int]]:
    """The guest's top-level "System RAM" ranges from /proc/iomem, as [start, end)."""
    with tarfile.open(kernel.root / "truth.tar.gz") as tar:
        text = tar.extractfile("./iomem").read().decode()
    ranges = []
    for line in text.splitlines():
        span, _, name = line.partition(" : ")
        if name == "System RAM" and not line.startswith(" "):
            start, end = (int(x, 16) for x in span.split("-"))
            ranges.append((start, end + 1))
    return ranges


def test_machine_figures(kernel, crashsh):
    [stats] = run_json(crashsh, "mach")
    assert stats["hz"] == kernel.manifest["hz"]
    assert stats["cpus"] == kernel.manifest["nr_cpus"]
    assert stats["page_size"] == 4096
    prog = crashsh.session.prog
    assert stats["kernel_virtual_base"] == hex(prog["page_offset_base"].value_())
    for stack in stats["irq_stacks"]:
        top = per_cpu(prog["pcpu_hot"], stack["cpu"]).hardirq_stack_ptr.value_() \
            if "pcpu_hot" in prog else per_cpu(prog["hardirq_stack_ptr"], stack["cpu"]).value_()
        base = int(stack["base"], 16)
        assert base < top <= base + stats["irq_stack_size"]


def test_e820_ram_is_the_guests_system_ram(kernel, crashsh):
    [memory] = run_json(crashsh, "mach -m")
    ram = [(int(r["start"], 16), int(r["end"], 16)) for r in memory["ranges"] if r["type"] == 1]
    assert ram == iomem_ram(kernel)


def test_cpuinfo_per_cpu(kernel, crashsh):
    prog = crashsh.session.prog
    cpus = run_json(crashsh, "mach -c")
    assert [c["cpu"] for c in cpus] == list(range(kernel.manifest["nr_cpus"]))
    for cpu in cpus:
        assert cpu["address"] == hex(per_cpu(prog["cpu_info"], cpu["cpu"]).address_)
        assert f"cpu_index = {cpu['cpu']}," in cpu["text"]
