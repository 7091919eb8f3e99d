"""Plain text of tree (crash's rbtree_iteration, do_xarray_entry, do_mt_entry)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.tree import TreeEntry, TreeText
from crashsh.kernel.structview import StructNotice
from crashsh.render.lists import member_text
from crashsh.render.plain import plain


@plain.register
def _(entry: TreeEntry) -> Iterator[str]:
    if entry.listed:
        yield f"{entry.address}\n" if entry.radix == 10 else f"{entry.address:x}\n"
    if entry.position is not None:
        if entry.index is None:
            yield f"  position: {entry.position}\n"
        else:
            index = f"{entry.index:x}" if entry.radix == 16 else str(entry.index)
            yield f"  index: {index}  position: {entry.position}\n"
    yield from member_text("tree", entry.lines)


@plain.register
def _(text: TreeText) -> Iterator[str]:
    yield text.text


@plain.register
def _(notice: StructNotice) -> Iterator[str]:
    yield f"tree: {notice.text}\n"  # a corrupted rb_node pointer, between the entries
