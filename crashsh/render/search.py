"""Plain text of search (crash's search_ulong/uint/ushort, report_match and
display_with_pre_and_post)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from crashsh.commands.memory import MemoryDisplay
from crashsh.commands.search import SearchHit, SearchHits, SearchNote, SearchTask, StringHit
from crashsh.render.common import task_header_line
from crashsh.render.plain import plain

LOW = 0x1000  # "%lx" of an address from 0x1000 up ends in three hex digits of its low 12 bits


@plain.register
def _(hit: SearchHit) -> Iterator[str]:
    if hit.before is None:
        yield f"{hit.address:x}: {hit.value:x} {hit.label}\n"
        return
    yield from plain(MemoryDisplay(hit.bits, "hex", True, iter(hit.before)))
    yield f"{hit.address:16x}:  {hit.value:x} {hit.label}\n"
    yield from plain(MemoryDisplay(hit.bits, "hex", True, iter(hit.after)))
    yield "\n"


@lru_cache(maxsize=64)
def line_tails(size: int, value: int, label: str, padded: bool) -> tuple[str, ...]:
    """The text after an address's leading digits, for each word of a 4 KiB block: its low
    three hex digits (unpadded in the first block), the value and the label."""
    return tuple(f"{offset:03x}: {value:x} {label}\n" if padded else
                 f"{offset:x}: {value:x} {label}\n" for offset in range(0, LOW, size))


@plain.register
def _(hits: SearchHits) -> Iterator[str]:
    """Each 4 KiB block's lines at once: its leading address digits joined to the cached
    line tails of its matching words (a word that matches k targets: k lines)."""
    if hits.values is not None:  # -m: the words found differ
        yield "".join(f"{hit.address:x}: {hit.value:x} {hit.label}\n" for hit in hits.records())
        return
    size, spans, base = hits.bits // 8, hits.spans, hits.base
    tables: dict[tuple[int, bool], list[tuple[str, ...]]] = {}
    text: list[str] = []
    block, prefix, tails = -LOW, "", []
    for i, g in enumerate(hits.group_of):
        start, end = base + spans[2 * i], base + spans[2 * i + 1]
        while start < end:
            if start - block >= LOW or start < block:
                if tails:
                    text.append(prefix + prefix.join(tails))
                block = start - start % LOW
                prefix, tails = f"{block // LOW:x}" if block else "", []
            stop = min(end, block + LOW)
            key = (g, block > 0)
            group = tables.get(key)
            if group is None:
                group = tables[key] = [line_tails(size, t.value, t.label, block > 0)
                                       for t in hits.groups[g]]
            first, last = (start - block) // size, (stop - block) // size
            if len(group) == 1:
                tails += group[0][first:last]
            else:
                words: list[str] = [""] * ((last - first) * len(group))
                for j, table in enumerate(group):
                    words[j::len(group)] = table[first:last]
                tails += words
            start = stop
    if tails:
        text.append(prefix + prefix.join(tails))
    yield "".join(text)


@plain.register
def _(hit: StringHit) -> Iterator[str]:
    yield f"{hit.address:x}: {hit.text}\n"


@plain.register
def _(task: SearchTask) -> Iterator[str]:
    yield ("\n" if task.subsequent else "") + task_header_line(task.header) + "\n"


@plain.register
def _(note: SearchNote) -> Iterator[str]:
    yield f"search: {note.text}\n"
