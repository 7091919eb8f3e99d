"""JSON for machines: dataclasses become objects, iterators become arrays, addresses stay ints."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO

from crashsh.records import RecordBatch


def jsonable(data: object) -> object:
    """Convert command data into JSON-ready values (fields with metadata json=False are left
    out; an object with a ``__json__`` method gives what it returns, made when asked for)."""
    if hasattr(data, "__json__") and not isinstance(data, type):
        return jsonable(data.__json__())
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return {
            f.name: jsonable(getattr(data, f.name))
            for f in dataclasses.fields(data)
            if f.metadata.get("json", True)
        }
    if isinstance(data, enum.Enum):
        return data.name
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    if isinstance(data, Mapping):
        return {str(k): jsonable(v) for k, v in data.items()}
    if isinstance(data, (str, int, float, bool)) or data is None:
        return data
    if isinstance(data, Iterable):
        return [jsonable(item) for item in data]
    return str(data)


def write_json(data: object, out: TextIO) -> None:
    """Write one JSON document; an iterator is streamed as an array, item by item."""
    if isinstance(data, Iterator):
        out.write("[")
        first = True
        try:
            for item in data:
                for record in item.records() if isinstance(item, RecordBatch) else (item,):
                    out.write("\n " if first else ",\n ")
                    out.write(json.dumps(jsonable(record)))
                    first = False
                out.flush()
        finally:  # a command failing part way still leaves a whole document
            out.write("\n]\n")
        return
    out.write(json.dumps(jsonable(data), indent=2))
    out.write("\n")
