"""Records that several command families share, and the annotations every record uses to say
how its fields become JSON (data only; crashsh/render formats them).

- ``Address``: an int that is an address (kernel or user virtual, physical, struct page, task,
  file, inode, module ...); JSON writes it as a ``"0x…"`` string.
- ``Word``: a 64-bit value that is not an address (a register, a memory word, a page-table
  entry, flag bits); also a ``"0x…"`` string.
- ``field(metadata=LAYOUT)``: a field that only steers crash's text (a user's display option,
  a blank line, a width the renderer cannot work out from the data); left out of JSON.
- ``LAYOUT_ONLY = True`` on a record class: a record that is only text layout (a header line
  repeated amid a stream); left out of JSON.

Plain ints stay JSON numbers (counts, sizes, pids, CPUs, offsets). crashsh/render/jsonout.py
reads these annotations; the type checker sees plain ints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated


class Hex:
    """The marker ``Address`` and ``Word`` carry: JSON writes the int in lowercase hex."""


Address = Annotated[int, Hex]
Word = Annotated[int, Hex]
LAYOUT = MappingProxyType({"json": False})


@dataclass(frozen=True)
class TaskHeader:
    """The task line crash prints above bt, files, vm, task, ps -l ... output."""

    pid: int
    task: Address
    cpu: int
    command: str


class RecordBatch:
    """Many records of one kind kept together (a million search matches): JSON writes each of
    ``records()`` as an element of the command's array; the plain renderer formats the batch
    at once."""

    def records(self) -> Iterator[object]:
        raise NotImplementedError
