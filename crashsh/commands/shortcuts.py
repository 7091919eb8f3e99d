"""crash's last resorts for a command word that names no command (main.c exec_command):
a symbol or data type name typed as a command (symbols.c is_datatype_command), then gdb's
own print commands (``print x``, ``p/x y``), which crash passes to gdb."""

from __future__ import annotations

from crashsh.commands.printing import gdb_print_line


def reinterpret(session, words: list[str]) -> list[str] | None:
    """The command line crash runs for *words* whose first word is no command, or None."""
    if session is None or not words:
        return None
    if gdb_print_line(words):
        return ["gdb", *words]
    return None
