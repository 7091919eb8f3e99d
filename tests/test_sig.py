"""sig against drgn: each task's handlers, blocked and pending sets, and sig -g's threads
against the manifest's thread-group workload."""

from __future__ import annotations

from drgn.helpers.linux.pid import find_task

from tests.differential.runner import run_json


def test_handlers_and_sets_are_the_tasks(kernel, crashsh):
    prog = crashsh.session.prog
    pid = kernel.manifest["marker"]["pid"]
    task = find_task(prog, pid)
    [sig] = run_json(crashsh, f"sig {pid}")
    assert sig["header"]["pid"] == pid
    group = sig["group"]
    assert group["signal_struct"] == hex(task.signal.value_())
    assert len(group["actions"]) == 64
    for ours, action in zip(group["actions"], task.sighand.action):
        assert ours["address"] == hex(action.address_)
        assert ours["handler"] == hex(action.sa.sa_handler.value_())
        assert ours["flags"] == hex(action.sa.sa_flags.value_())
    assert sig["task"]["signal"] == hex(task.pending.signal.sig[0].value_())
    assert int(sig["task"]["blocked"], 16) & 0xFFFFFFFF == task.blocked.sig[0].value_() & 0xFFFFFFFF


def test_thread_group_lists_every_thread(kernel, crashsh):
    threads = kernel.manifest["threads_proc"]
    [group] = run_json(crashsh, f"sig -g {threads['tids'][1]}")
    assert group["header"]["pid"] == threads["pid"]
    assert sorted(t["header"]["pid"] for t in group["threads"]) == sorted(threads["tids"])


def test_signal_names(crashsh):
    [names] = [run_json(crashsh, "sig -l")]
    assert names["signals"][0] == [1, "SIGHUP"]
    assert names["signals"][-1] == [64, "SIGRTMAX"]
    assert run_json(crashsh, "sig -s 0x10004")["names"] == ["SIGQUIT", "SIGCHLD"]


def test_foreach_sig_covers_every_task(crashsh):
    """foreach sig: one entry per task of crash's task table, each with its own pending set
    and its group's signal_struct."""
    from crashsh.kernel.tasks import task_contexts

    prog = crashsh.session.prog
    entries = run_json(crashsh, "foreach sig")
    contexts = list(task_contexts(prog))
    assert [e["header"]["task"] for e in entries] == [hex(tc.task.value_()) for tc in contexts]
    for entry, tc in zip(entries, contexts):
        [sig] = entry["outputs"]
        assert sig["group"]["signal_struct"] == hex(tc.task.signal.value_())
        assert sig["task"]["signal"] == hex(tc.task.pending.signal.sig[0].value_())
