"""waitq against drgn: the tasks on the dump's non-empty global wait queues."""

from __future__ import annotations

from drgn.helpers.linux.list import list_for_each_entry

from tests.differential.runner import run_json


def test_waiters_are_drgns(crashsh):
    prog = crashsh.session.prog
    for name in ("kauditd_wait", "khugepaged_wait"):
        head = prog[name]
        waiters = [hex(entry.private.value_()) for entry in list_for_each_entry(
            "struct wait_queue_entry", head.head.address_of_(), "entry")]
        ours = run_json(crashsh, f"waitq {name}")
        assert ours["address"] == hex(head.address_)
        assert [t["task"] for t in ours["tasks"]] == waiters and waiters


def test_struct_member_and_address_forms_name_the_same_queue(crashsh):
    """waitq pglist_data.kswapd_wait PGDAT: node 0's kswapd sleeps there; the queue's address
    alone gives the same waiters."""
    from drgn.helpers.linux.mmzone import for_each_online_pgdat

    pgdat = next(iter(for_each_online_pgdat(crashsh.session.prog)))
    by_member = run_json(crashsh, f"waitq pglist_data.kswapd_wait {pgdat.value_():x}")
    assert by_member["address"] == hex(pgdat.kswapd_wait.address_)
    assert [t["task"] for t in by_member["tasks"]] == [hex(pgdat.kswapd.value_())]
    by_address = run_json(crashsh, f"waitq {pgdat.kswapd_wait.address_:x}")
    assert by_address["tasks"] == by_member["tasks"]
