"""crash's usage block (help.c cmd_usage with SYNOPSIS)."""

from __future__ import annotations

from crashsh.errors import CommandError
from crashsh.registry import get_command


def usage_block(name: str) -> str | None:
    """The lines crash prints for a command line it cannot use, or None for a command
    without crash's synopsis."""
    command = get_command(name)
    if command is None or command.synopsis is None:
        return None
    return f'Usage:\n  {name} {command.synopsis}\nEnter "help {name}" for details.\n'


def usage_error(name: str, reason: str) -> CommandError:
    """crash's error(INFO, reason) and then its usage block, both in the output."""
    return CommandError(f"{reason}\n{usage_block(name).rstrip()}")


def option_not_supported(letter: str) -> CommandError:
    """crash's option_not_supported(): an option the kernel (or machine) has nothing for."""
    return CommandError(f"-{letter} option not supported or applicable on this architecture "
                        "or kernel")
