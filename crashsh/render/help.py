"""Plain text of help: crash's command list layout, the pages, crashsh's internal tables."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.help import (HELP_COLUMNS, CpuRegisters, HelpPage, HelpScreen,
                                   InternalTable)
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


REGISTER_LINES = (("RIP", "rip", 16), ("RSP", "rsp", 16), ("RFLAGS", "eflags", 8)), \
    (("RAX", "rax", 16), ("RBX", "rbx", 16), ("RCX", "rcx", 16)), \
    (("RDX", "rdx", 16), ("RSI", "rsi", 16), ("RDI", "rdi", 16)), \
    (("RBP", "rbp", 16), ("R8", "r8", 16), ("R9", "r9", 16)), \
    (("R10", "r10", 16), ("R11", "r11", 16), ("R12", "r12", 16)), \
    (("R13", "r13", 16), ("R14", "r14", 16), ("R15", "r15", 16))


@plain.register
def _(cpu: CpuRegisters) -> Iterator[str]:
    """crash's dump_registers() for x86_64: a blank line between CPUs."""
    gap = "\n" if cpu.cpu else ""
    if cpu.offline:
        yield f"{gap}CPU {cpu.cpu}: [OFFLINE]\n"
        return
    yield f"{gap}CPU {cpu.cpu}:\n"
    regs = cpu.registers
    if regs is None:
        yield f"help: registers not collected for cpu {cpu.cpu}\n"
        return
    for line in REGISTER_LINES:
        yield "    " + "  ".join(f"{name:>3}: {regs[key]:0{width}x}"
                                 for name, key, width in line) + "\n"
    yield f"    CS: {regs['cs'] & 0xFFFF:04x}  SS: {regs['ss'] & 0xFFFF:04x}\n"
