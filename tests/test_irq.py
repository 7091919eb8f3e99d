"""irq: descriptors, actions, counts, affinity, softirqs and the IDT against drgn's helpers."""

from __future__ import annotations

from drgn.helpers.linux.cpumask import for_each_cpu
from drgn.helpers.linux.irq import (
    for_each_irq_desc,
    gate_desc_func,
    irq_desc_action_names,
    irq_desc_affinity_mask,
    irq_desc_chip_name,
    irq_desc_kstat_cpu,
    irq_get_nr_irqs,
)

from tests.differential.runner import run_json, run_rich


def descs(prog) -> dict:
    return {irq: desc for irq, desc in for_each_irq_desc(prog)}


def test_listing_has_every_descriptor_and_action(kernel, crashsh):
    prog = crashsh.session.prog
    rows = run_json(crashsh, "irq")
    known = descs(prog)
    assert [row["irq"] for row in rows] == list(range(irq_get_nr_irqs(prog)))
    for row in rows:
        desc = known.get(row["irq"])
        assert row["desc"] == hex(desc.value_() if desc is not None else 0)
        names = irq_desc_action_names(desc) if desc is not None else []
        assert [a["name"] for a in row["actions"]] == [n.decode() for n in names]
    assert [row["irq"] for row in run_json(crashsh, "irq -u")] == sorted(known)


def in_use(prog) -> dict:
    return {irq: desc for irq, desc in descs(prog).items() if desc.action}


def test_counts_chips_and_affinity(kernel, crashsh):
    prog = crashsh.session.prog
    used = in_use(prog)
    stats = run_json(crashsh, "irq -s")
    assert [row["irq"] for row in stats["rows"]] == sorted(used)
    for row in stats["rows"]:
        desc = used[row["irq"]]
        assert row["counts"] == [irq_desc_kstat_cpu(desc, cpu) for cpu in stats["cpus"]]
        assert row["chip"] == irq_desc_chip_name(desc).decode()
    timer = next(row for row in stats["rows"] if row["names"] == ["timer"])
    assert sum(timer["counts"]) > 0
    for row in run_json(crashsh, "irq -a")["rows"]:
        assert row["cpus"] == list(for_each_cpu(irq_desc_affinity_mask(used[row["irq"]])))


def test_softirqs_and_idt(kernel, crashsh):
    prog = crashsh.session.prog
    vectors = run_json(crashsh, "irq -b")["vectors"]
    assert [(v["vector"], v["action"]) for v in vectors] == [
        (i, hex(vec.action.value_())) for i, vec in enumerate(prog["softirq_vec"]) if vec.action]
    assert all(prog.symbol(int(v["action"], 16)).name == v["symbol"] for v in vectors)
    entries = run_json(crashsh, "irq -d")["entries"]
    assert [e["handler"] for e in entries] == [
        hex(gate_desc_func(gate).value_()) for gate in prog["idt_table"]]
    exact = 0
    for entry in entries:
        symbol = prog.symbol(int(entry["handler"], 16))
        if symbol.address == int(entry["handler"], 16):
            assert entry["name"] == symbol.name
            exact += 1
        else:
            assert entry["name"].startswith(symbol.name + "+")
    assert exact >= 32  # the exception vectors at least


def test_rich_counts_mark_the_busiest_cpu(kernel, crashsh):
    stats = run_json(crashsh, "irq -s")
    totals = [sum(row["counts"][i] for row in stats["rows"]) for i in range(len(stats["cpus"]))]
    busiest = stats["cpus"][totals.index(max(totals))]
    assert f"(busiest: CPU{busiest})" in run_rich(crashsh, "irq -s")
