"""JSON for machines: dataclasses become objects, iterators become arrays, addresses stay ints."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO


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
        try:
            for i, item in enumerate(data):
                out.write(",\n " if i else "\n ")
                out.write(json.dumps(jsonable(item)))
                out.flush()
        finally:  # a command failing part way still leaves a whole document
            out.write("\n]\n")
        return
    out.write(json.dumps(jsonable(data), indent=2))
    out.write("\n")
