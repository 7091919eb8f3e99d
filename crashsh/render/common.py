"""Text pieces shared by several renderers."""

from __future__ import annotations

from crashsh.records import TaskHeader


def task_header_line(header: TaskHeader) -> str:
    """crash's print_task_header(): ``PID: %-7ld  TASK: %-16lx  CPU: %-3s  COMMAND: "%s"``."""
    return (
        f"PID: {header.pid:<7d}  TASK: {header.task:<16x}  CPU: {str(header.cpu):<3}  "
        f'COMMAND: "{header.command}"'
    )


def centered(text: str, width: int, right_bias: bool = False) -> str:
    """crash's mkstring CENTER: odd padding goes right (CENTER|LJUST) or left (CENTER|RJUST)."""
    pad = width - len(text)
    if pad <= 0:
        return text
    left = (pad + 1) // 2 if right_bias else pad // 2
    return " " * left + text + " " * (pad - left)


def hex_centered(value: int, width: int, right_bias: bool = False) -> str:
    """crash's mkstring(CENTER|LONG_HEX[|RJUST])."""
    return centered(f"{value:x}", width, right_bias)


def nanoseconds_text(value: int) -> str:
    """crash's translate_nanoseconds(): ``days HH:MM:SS.mmm``."""
    ms, rest = value // 1_000_000 % 1000, value // 1_000_000_000
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{days} {hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"
