"""fuser against the guest's /proc: the tasks holding /dev/null and the marker's file open,
every task's root and working directory, an inode address; crash's command column and its
reading of a line."""

from __future__ import annotations

from drgn.helpers.linux.pid import find_task

from crashsh.commands.fuser import ends_word
from crashsh.kernel import tasks
from crashsh.render.fuser import command_column
from tests import dumptruth
from tests.differential.runner import run_json


def users(crashsh, argument: str) -> dict[int, list[str]]:
    (found,) = run_json(crashsh, f"fuser {argument}")
    return {u["pid"]: u["uses"] for u in found["users"]}


def test_dev_null_users_are_the_guests(kernel, crashsh):
    """The workload's threads that had /dev/null open in the guest (threads share the
    table, so each shows), and only tasks that have it."""
    tids = set(dumptruth.workload_tids(kernel.manifest))
    holders = {tid for t in kernel.manifest["tasks"] if "/dev/null" in t["fds"].values()
               for tid in t["tids"]} & tids
    found = users(crashsh, "/dev/null")
    assert holders <= set(found)
    assert all(uses == ["fd"] for uses in found.values())


def test_marker_file_has_one_user(kernel, crashsh):
    marker = kernel.manifest["marker"]
    assert users(crashsh, marker["file"]) == {marker["pid"]: ["fd"]}


def test_inode_address_is_the_path(kernel, crashsh):
    prog = crashsh.session.prog
    marker = kernel.manifest["marker"]
    inode = find_task(prog, marker["pid"]).files.fdt.fd[3].f_inode.value_()
    assert users(crashsh, f"{inode:x}") == users(crashsh, marker["file"])
    assert users(crashsh, f"0x{inode:x}") == users(crashsh, marker["file"])


def test_every_task_with_an_fs_lives_in_root(crashsh):
    """Every task but the reaped ones (no fs_struct) has / as root and working directory."""
    (found,) = run_json(crashsh, "fuser /")
    expected = [hex(tc.address) for tc in tasks.task_contexts(crashsh.session.prog) if tc.task.fs]
    assert [u["task"] for u in found["users"]] == expected
    assert {tuple(u["uses"]) for u in found["users"]} == {("root", "cwd")}


def test_no_users_and_bad_arguments(crashsh):
    assert crashsh.run("fuser /nonexistent") == "No users of /nonexistent found\n"
    assert crashsh.run("fuser 1234") == "fuser: invalid argument: 1234\n"


def test_command_column_is_crashs_cut():
    """show_fuser(): 16 characters of '"COMM"\\n' with the last one blanked."""
    assert command_column("init") == '"init"          '
    assert command_column("crashsh_sleeper") == '"crashsh_sleepe '
    assert command_column("crashsh_panic") == '"crashsh_panic" '


def test_a_use_ends_a_word_at_its_first_place():
    assert ends_word("3 ffff /dev/null\n", "/dev/null") == 16
    assert ends_word("3 /dev/nullx /dev/null\n", "/dev/null") is None  # only the first place
    assert ends_word("ROOT: 1 /    CWD: 2 /\n", "/", 9) == 21
