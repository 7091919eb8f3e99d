"""System facts as crash's `sys` computes them (see design/crash-formats.md)."""

from __future__ import annotations

import drgn
from drgn.helpers.linux.printk import get_printk_records

from crashsh.dumpfacts import MASK64, facts, per_dump
from crashsh.kernel.tasks import crash_task_table, online_cpus, present_cpus

FSHIFT = 11
FIXED_1 = 1 << FSHIFT

# crash's panic_msg[] in task.c, in priority order.
PANIC_PATTERNS = (
    "SysRq : Crash",
    "SysRq : Trigger a crash",
    "SysRq : Netdump",
    "Kernel panic: ",
    "Kernel panic - ",
    "Kernel BUG at",
    "kernel BUG at",
    "Unable to handle kernel paging request",
    "Unable to handle kernel NULL pointer dereference",
    "BUG: unable to handle kernel ",
    "general protection fault: ",
    "double fault: ",
    "divide error: ",
    "stack segment: ",
    "[Hardware Error]: ",
    "Bad mode in ",
    "Oops: ",
)


@per_dump
def hz(prog: drgn.Program) -> int:
    """The kernel's HZ, from ``tick_nsec`` (TICK_NSEC = (NSEC_PER_SEC + HZ/2) / HZ).

    crash guesses HZ from mq-deadline's ``write_expire`` and assumes 1000 when that is a
    module (6.12); the kernel's own tick length is right on both.
    """
    try:
        tick_nsec = prog["tick_nsec"].value_()
    except KeyError:
        return 1000
    return round(1_000_000_000 / tick_nsec) if tick_nsec else 1000


def uptime_jiffies(prog: drgn.Program) -> int:
    """Jiffies since boot, unwrapping INITIAL_JIFFIES as crash's get_uptime does."""
    j64 = prog["jiffies_64"].value_()
    offset = 300 * hz(prog)
    wrapped = j64 & 0xFFFFFFFF00000000
    if wrapped:
        return (((wrapped - 0x100000000) | (j64 & 0xFFFFFFFF)) + offset) & MASK64
    return (j64 - ((-offset) & 0xFFFFFFFF)) & MASK64


def format_uptime(jiffies: int, hz_value: int) -> str:
    total = jiffies // hz_value
    days, total = divmod(total, 86400)
    hours, total = divmod(total, 3600)
    minutes, seconds = divmod(total, 60)
    prefix = f"{days} days, " if days else ""
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}"


def load_average(prog: drgn.Program) -> str:
    parts = []
    for value in prog["avenrun"]:
        a = value.value_() + FIXED_1 // 200
        parts.append(f"{a >> FSHIFT}.{((a & (FIXED_1 - 1)) * 100) >> FSHIFT:02d}")
    return ", ".join(parts)


def task_count(prog: drgn.Program) -> int:
    return len(crash_task_table(prog))


def tainted_mask(prog: drgn.Program) -> int:
    return prog["tainted_mask"].value_()


def cpu_mhz(prog: drgn.Program) -> int:
    try:
        return prog["cpu_khz"].value_() // 1000
    except KeyError:
        return 0


def memory_size(prog: drgn.Program) -> str:
    """crash's MEMORY: present pages of all nodes, rounded up to a GB when within 64 MB."""
    from drgn.helpers.linux.mmzone import for_each_online_pgdat

    pages = 0
    for pgdat in for_each_online_pgdat(prog):
        present = pgdat.node_present_pages.value_()
        pages += present or pgdat.node_spanned_pages.value_()
    size = pages * facts(prog).page_size
    gb = 1 << 30
    rounded = (size + gb - 1) // gb * gb
    if rounded - size <= 64 << 20:
        size = rounded
    if size >= gb:
        text = f"{size / gb:.1f} GB"
    elif size >= 1 << 20:
        text = f"{size / (1 << 20):.1f} MB"
    else:
        return f"{size >> 10} KB"
    return text.replace(".0 ", " ", 1)


def log_lines(prog: drgn.Program) -> list[str]:
    """The kernel log as crash prints it without prefixes (one string per line)."""
    lines: list[str] = []
    for record in get_printk_records(prog):
        lines.extend(record.text.decode(errors="replace").split("\n"))
    return lines


@per_dump
def panic_message(prog: drgn.Program) -> str:
    """The first log line matching crash's panic patterns, by pattern priority (searched once
    per dump)."""
    lines = log_lines(prog)
    for pattern in PANIC_PATTERNS:
        for line in lines:
            if pattern in line:
                return line.rstrip("\n")
    return ""


def is_sysrq_crash(message: str) -> bool:
    return "SysRq :" in message


def cpu_counts(prog: drgn.Program) -> tuple[int, int]:
    """(present CPUs, CPUs crash displays: the online ones)."""
    return len(present_cpus(prog)), len(online_cpus(prog))


def uts_field(prog: drgn.Program, name: str) -> str:
    return prog["init_uts_ns"].name.member_(name).string_().decode(errors="replace")


def ikconfig_text(prog: drgn.Program) -> str | None:
    """The kernel's built-in .config (CONFIG_IKCONFIG), or None when it has none."""
    import gzip

    try:
        data = prog["kernel_config_data"]
    except KeyError:
        return None
    raw = prog.read(data.address_, drgn.sizeof(data))
    start, end = raw.find(b"IKCFG_ST"), raw.rfind(b"IKCFG_ED")
    if start < 0 or end < 0:
        return None
    return gzip.decompress(raw[start + 8 : end]).decode(errors="replace")
