"""Records that several command families share (data only; crashsh/render formats them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskHeader:
    """The task line crash prints above bt, files, vm, task, ps -l ... output."""

    pid: int
    task: int
    cpu: int
    command: str


class RecordBatch:
    """Many records of one kind kept together (a million search matches): JSON writes each of
    ``records()`` as an element of the command's array; the plain renderer formats the batch
    at once."""

    def records(self) -> Iterator[object]:
        raise NotImplementedError
