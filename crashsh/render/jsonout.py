"""JSON for machines (the one encoder; docs/json.md is the schema).

The convention, in full:

- Output is JSON Lines: one document per command line, ``{"command": LINE, "data": ...}``,
  with ``"error"`` (crash's error text) when the command failed, and without ``"data"`` when
  it failed with nothing to show (``is_empty``). JsonDocument writes it; the runner counts the
  failure, so the exit status follows.
- Data is the command's records (dataclasses), read by their annotations
  (crashsh/records.py): ``Address`` and ``Word`` ints become ``"0x…"`` strings (also inside
  ``X | None``, ``list[X]``, ``tuple[...]``, ``dict[K, X]``); plain ints stay numbers;
  ``field(metadata=LAYOUT)`` fields and ``LAYOUT_ONLY`` records are left out.
- Other values: an object with a ``__json__`` method by what it returns (a value tree, made
  only when JSON is written), enums by name, bytes as text, mappings as objects, iterables
  as arrays (a top-level iterator is written item by item as it comes).
- An error Notice (crash's ``error(INFO)`` line amid the output) leaves the data for the
  document's ``"error"``; WARNING and informational notices stay in the data.

A new record needs nothing here: annotate its address fields, mark its layout fields.
tests/test_json.py walks every command's documents against these rules."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import TextIO

from crashsh.conventions.notices import Notice, log_error
from crashsh.records import Hex, RecordBatch

Convert = Callable[[object], object]
DROP = object()  # an error notice's place in the data: left out
SEQUENCES = {list, set, frozenset, Iterator, Iterable, Sequence}  # get_origin() of X[...]
UNIONS = {typing.Union, types.UnionType}


def jsonable(data: object) -> object:
    """*data* as JSON-ready values, by its runtime types (records by their annotations; an
    object with a ``__json__`` method gives what it returns, made when asked for)."""
    if hasattr(data, "__json__") and not isinstance(data, type):
        return jsonable(data.__json__())
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        if isinstance(data, Notice) and data.is_error:
            log_error(data)
            return DROP
        if getattr(data, "LAYOUT_ONLY", False):
            return DROP
        return {name: convert(getattr(data, name)) for name, convert in record_fields(type(data))}
    if isinstance(data, enum.Enum):
        return data.name
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    if isinstance(data, Mapping):
        return {str(k): jsonable(v) for k, v in data.items()}
    if isinstance(data, (str, int, float, bool)) or data is None:
        return data
    if isinstance(data, Iterable):
        return kept(jsonable(item) for item in data)
    return str(data)


def kept(values: Iterable[object]) -> list[object]:
    return [v for v in values if v is not DROP]


@cache
def record_fields(cls: type) -> list[tuple[str, Convert]]:
    """A record's JSON fields (LAYOUT ones left out), each with the converter its annotation
    asks for."""
    try:
        hints = record_hints(cls)
    except (NameError, TypeError):  # an annotation naming what the module does not import
        hints = {}
    return [(f.name, converter(hints.get(f.name))) for f in dataclasses.fields(cls)
            if f.metadata.get("json", True)]


def record_hints(cls: type) -> dict[str, object]:
    """A record's annotations, resolved in its module (a method named like a type, such as
    ``set``, does not hide the type)."""
    return typing.get_type_hints(cls, localns={}, include_extras=True)


def is_hex(hint: object) -> bool:
    return typing.get_origin(hint) is typing.Annotated and Hex in hint.__metadata__


@cache
def converter(hint: object) -> Convert:
    """The function that makes a value of annotation *hint* JSON-ready."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if is_hex(hint):
        return hex_or_jsonable
    if origin in UNIONS:
        arms = [arm for arm in args if arm is not type(None)]
        if len(arms) == 1:
            return converter(arms[0])
        if not any(map(is_hex, arms)):
            return jsonable
        sequences = [arm for arm in arms if typing.get_origin(arm) in SEQUENCES | {tuple}]
        if not sequences:
            return hex_or_jsonable
        sequence = converter(sequences[0])  # e.g. Word | list[Word]: by the value's type
        return lambda v: sequence(v) if isinstance(v, (list, tuple)) else hex_or_jsonable(v)
    if origin in SEQUENCES and args:
        item = converter(args[0])
        return lambda v: v if v is None else kept(map(item, v))
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            item = converter(args[0])
            return lambda v: v if v is None else kept(map(item, v))
        items = [converter(arg) for arg in args]
        return lambda v: v if v is None else [c(x) for c, x in zip(items, v)]
    if origin in (dict, Mapping) and len(args) == 2:
        value = converter(args[1])
        return lambda v: v if v is None else {str(k): value(x) for k, x in v.items()}
    return jsonable


def hex_or_jsonable(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:#x}"
    return jsonable(value)


def is_empty(data: object) -> bool:
    """Data that holds nothing: null, an empty array or object, or an object of such (a
    failed command's ``{"traces": []}`` is left out of its document)."""
    if isinstance(data, dict):
        return all(map(is_empty, data.values()))
    return data is None or data == []


class JsonDocument:
    """One command's line of JSON: ``{"command": LINE, "data": ...}`` when it ran, with
    ``"error"`` (crash's error lines) when it failed, without ``"data"`` when it failed with
    nothing to show; a top-level iterator is written item by item as it comes, so a failure
    part way still closes the line."""

    def __init__(self, out: TextIO, command: str) -> None:
        self.out = out
        self.command = command
        self.errors: list[str] = []
        self.data: object = None
        self.ran = False
        self.streaming = False

    def write_data(self, data: object) -> None:
        """The command's data (error notices in it go to the error log). An iterator's line
        starts with its first record (a RecordBatch gives each of its records): a command
        that fails before it has no data."""
        self.ran = True
        if not isinstance(data, Iterator):
            self.data = jsonable(data)
            return
        for item in data:
            for record in item.records() if isinstance(item, RecordBatch) else (item,):
                value = jsonable(record)
                if value is DROP:
                    continue
                if self.streaming:
                    self.out.write(", ")
                else:
                    self.out.write(f'{{"command": {json.dumps(self.command)}, "data": [')
                    self.streaming = True
                self.out.write(json.dumps(value))
            self.out.flush()
        if not self.streaming:
            self.data = []

    def write_text(self, text: str) -> None:
        """Text data written piece by piece (a shell built-in's output)."""
        self.ran = True
        self.data = (self.data or "") + text

    def fail(self, text: str) -> None:
        """Add crash's error text (one or more lines)."""
        self.errors.append(text.strip("\n"))

    def close(self) -> None:
        """End the line: the data (unless streamed) and the errors."""
        if self.streaming:
            self.out.write("]")
            if self.errors:
                self.out.write(f', "error": {json.dumps(self.text)}')
            self.out.write("}\n")
        else:
            doc: dict[str, object] = {"command": self.command}
            if self.ran and not (self.errors and is_empty(self.data)):
                doc["data"] = self.data
            if self.errors:
                doc["error"] = self.text
            self.out.write(json.dumps(doc) + "\n")
        self.out.flush()

    @property
    def text(self) -> str:
        return "\n".join(self.errors)
