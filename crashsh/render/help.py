"""Plain text of help: crash's command list layout, the pages, crashsh's internal tables."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.help import HELP_COLUMNS, HelpPage, HelpScreen, InternalTable
from crashsh.render.plain import plain


def help_screen(names: list[str], version: str, drgn_version: str) -> str:
    """crash's `help` layout: names down columns, 5 columns of 15, then the version lines."""
    rows = (len(names) + HELP_COLUMNS - 1) // HELP_COLUMNS
    lines = ["\n"]
    for i in range(rows):
        lines.append("".join(f"{name:<15}" for name in names[i::rows]) + "\n")
    lines.append(f"\ncrashsh version: {version}   drgn version: {drgn_version}\n")
    lines.append('For help on any command above, enter "help <command>".\n\n')
    return "".join(lines)


@plain.register
def _(screen: HelpScreen) -> Iterator[str]:
    yield help_screen(screen.names, screen.version, screen.drgn_version)


@plain.register
def _(page: HelpPage) -> Iterator[str]:
    yield page.text if page.text.endswith("\n") else page.text + "\n"


@plain.register
def _(table: InternalTable) -> Iterator[str]:
    width = max((len(label) for label, _ in table.rows), default=0)
    yield f"{table.title}:\n"
    for label, value in table.rows:
        yield f"  {label:>{width}}{': ' if label else '  '}{value}\n"
