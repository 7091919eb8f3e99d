"""Records that several command families share (data only; crashsh/render formats them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskHeader:
    """The task line crash prints above bt, files, vm, task, ps -l ... output."""

    pid: int
    task: int
    cpu: int
    command: str
