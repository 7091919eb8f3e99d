"""Plain text of `sys -c` (crash's kernel.c dump_sys_call_table)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.syscalls import SyscallEntry, SyscallHeader
from crashsh.render.plain import plain


@plain.register
def _(header: SyscallHeader) -> Iterator[str]:
    yield "NUM  SYSTEM CALL                FILE AND LINE NUMBER\n"


@plain.register
def _(entry: SyscallEntry) -> Iterator[str]:
    if entry.name is None:
        symbol = f"({entry.symbol})" if entry.symbol else ""
        yield f"{entry.label:>3}  invalid sys_call_table entry: {entry.address:x} {symbol}\n"
    else:
        yield f"{entry.label:>3}  {entry.name:<26} {entry.source}\n"
