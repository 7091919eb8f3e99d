"""Plain text of mount (crash's show_mounts)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.mount import MountRow, MountTable
from crashsh.render.plain import plain

MOUNT_HEADER = "     MOUNT           SUPERBLK     TYPE   DEVNAME   DIRNAME\n"


def type_and_device(row: MountRow) -> str:
    """``"%-6s "`` type and device left-justified to 9, as crash joins them: trailing blanks
    are dropped while the text is longer than 17 and ends in two of them."""
    fstype = "unknown " if row.fstype is None else f"{row.fstype:<6} "
    text = fstype + f"{'(unknown)' if row.devname is None else row.devname:<9} "
    while len(text) > 17 and text[-2] == " ":
        text = text[:-1]
    return text


@plain.register
def _(table: MountTable) -> Iterator[str]:
    if table.rows or not table.filtered:
        yield MOUNT_HEADER
    for row in table.rows:
        if isinstance(row, MountRow):
            yield f"{row.mount:16x} {row.superblock:16x} {type_and_device(row)}{row.dirname:<10}\n"
        else:
            yield from plain(row)
