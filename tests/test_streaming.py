"""Long listings stream: foreach bt, ps, kmem -S and log give the renderer each record as it is
read, so their first lines are written while most of the work is still to come. Checked by
counting the records made when the renderer writes, not by timing."""

from __future__ import annotations

import pytest

from crashsh.commands import bt, kmem_slabs, ps
from crashsh.kernel import printk, slab, tasks
from crashsh.registry import get_command
from crashsh.render import render


class Written(Exception):
    """The rendering reached the write it was stopped at."""


class StopAt:
    """An output that ends the rendering at its *n*th write."""

    def __init__(self, n: int) -> None:
        self.left = n

    def write(self, text: str) -> None:
        self.left -= 1
        if not self.left:
            raise Written(text)

    def flush(self) -> None:
        pass


def counted(monkeypatch, owner, name: str) -> list[int]:
    """Count the calls of ``owner.name`` from now on (in a one-element list)."""
    calls = [0]
    original = getattr(owner, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def line_written(crashsh, line: str, writes: int) -> str:
    """Run *line*'s command and render its data until the renderer's *writes*th write."""
    name, *argv = line.split()
    command = get_command(name)
    data = command.run(crashsh.session, command.parser().parse_args(argv))
    with pytest.raises(Written) as stopped:
        render(data, "plain", StopAt(writes))
    return str(stopped.value)


def test_foreach_bt_streams(crashsh, monkeypatch):
    traced = counted(monkeypatch, bt, "task_trace")
    first = line_written(crashsh, "foreach bt", 1)
    assert first.startswith("PID: ")
    assert traced[0] == 1 < len(tasks.task_contexts(crashsh.session.prog))


def test_ps_streams(crashsh, monkeypatch):
    rows = counted(monkeypatch, ps.Ps, "row")
    first_row = line_written(crashsh, "ps", 2)  # after the header
    assert first_row[:2] in ("  ", "> ")
    assert rows[0] == 1 < len(tasks.task_contexts(crashsh.session.prog))


def test_log_streams(crashsh, monkeypatch):
    total = sum(1 for _ in printk.printk_records(crashsh.session.prog))
    read = counted(monkeypatch, printk.LocklessLog, "record")
    line_written(crashsh, "log", 1)
    assert read[0] < total


def test_kmem_S_streams(crashsh, monkeypatch):
    caches = sum(1 for _ in slab.walker(crashsh.session.prog).caches())
    details = counted(monkeypatch, kmem_slabs, "cache_detail")
    nodes = counted(monkeypatch, kmem_slabs, "node_slabs")
    line_written(crashsh, "kmem -S", 2)  # after the header: the first cache's row
    assert details[0] <= 2 < caches  # that cache's and the next one's rows are read
    assert nodes[0] == 0  # its node lists are read when they are shown
