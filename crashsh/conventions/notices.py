"""The one record for a line crash prints amid a command's output."""

from __future__ import annotations

from dataclasses import dataclass, field

LAYOUT = {"json": False}


@dataclass
class Notice:
    """``PREFIX: MESSAGE``, where the prefix is the command's name (or WARNING), with the
    blank lines crash puts around some of them."""

    prefix: str
    message: str
    blank_before: bool = field(default=False, metadata=LAYOUT)
    blank_after: bool = field(default=False, metadata=LAYOUT)

    def text(self) -> str:
        before, after = "\n" if self.blank_before else "", "\n" if self.blank_after else ""
        return f"{before}{self.prefix}: {self.message}\n{after}"
