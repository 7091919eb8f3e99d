"""waitq against drgn: the tasks on the dump's non-empty global wait queues."""

from __future__ import annotations

from drgn.helpers.linux.list import list_for_each_entry

from tests.differential.runner import run_json


def test_waiters_are_drgns(crashsh):
    prog = crashsh.session.prog
    for name in ("kauditd_wait", "khugepaged_wait"):
        head = prog[name]
        waiters = [entry.private.value_() for entry in list_for_each_entry(
            "struct wait_queue_entry", head.head.address_of_(), "entry")]
        ours = run_json(crashsh, f"waitq {name}")
        assert ours["address"] == head.address_
        assert [t["task"] for t in ours["tasks"]] == waiters and waiters
