"""Plain text of fuser (crash's cmd_fuser and show_fuser, filesys.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.fuser import FileUser, FileUsers
from crashsh.render.common import centered
from crashsh.render.plain import plain

FUSER_HEADER = f" PID   {centered('TASK', 16)}  COMM             USAGE\n"


def command_column(command: str) -> str:
    """show_fuser(): the first 16 characters of the task line's ``"COMM"`` and its newline,
    the last of them a blank, padded to 16."""
    text = f'"{command}"\n'[:16]
    return text[:-1].ljust(16)


def user_line(user: FileUser) -> str:
    uses = "".join(f"{use} " for use in user.uses)
    return f"{user.pid:>5}  {user.task:>16x}  {command_column(user.command)} {uses}\n"


@plain.register
def _(found: FileUsers) -> Iterator[str]:
    if not found.users:
        yield f"No users of {found.argument} found\n"
        return
    yield FUSER_HEADER
    yield from map(user_line, found.users)
