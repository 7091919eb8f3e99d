"""Plain text of timer and timer -r (crash's dump_timer_data_timer_bases and
dump_hrtimer_data, kernel.c)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.timer import HrClockBase, HrTimer, HrTimers, TimerBase, TimerWheel
from crashsh.render.common import centered
from crashsh.render.plain import plain


@plain.register
def _(wheel: TimerWheel) -> Iterator[str]:
    width = max(len(str(wheel.jiffies)), len("JIFFIES"))
    yield f"{'JIFFIES':<{width}}\n{wheel.jiffies:>{width}}\n\n"
    shown = 0
    for cpu in wheel.cpus:
        if cpu.offline:
            yield f"TIMER_BASES[{cpu.cpu}]: [OFFLINE]\n"
            continue
        if shown:
            yield "\n"
        shown += 1
        for base in cpu.bases:
            if base.label is not None:
                yield from base_lines(cpu.cpu, base, width)


def base_lines(cpu: int, base: TimerBase, width: int) -> Iterator[str]:
    yield f"TIMER_BASES[{cpu}][{base.label}]: {base.address:x}\n"
    highest = max((abs(t.tte) for t in base.timers), default=0)
    tte_width = max(len(str(highest)) + 1, len("TTE"))  # +1: room for a minus sign
    yield f"  {'EXPIRES':<{width}}     {'TTE':<{tte_width}}     TIMER_LIST     FUNCTION\n"
    for t in base.timers:
        yield (f"  {t.expires:>{width}}  {t.tte:>{tte_width}}  {t.timer:>16x}  "
               f"{t.function:>16x}  <{t.symbol}>\n")
    if not base.timers:
        yield "  (none)\n"


@plain.register
def _(listing: HrTimers) -> Iterator[str]:
    for i, cpu in enumerate(listing.cpus):
        if i:
            yield "\n"
        if cpu.offline:
            yield f"CPU: {cpu.cpu}  [OFFLINE]\n"
            continue
        yield f"CPU: {cpu.cpu}  HRTIMER_CPU_BASE: {cpu.address:x}\n"
        for j, clock in enumerate(cpu.clocks):
            if j:
                yield "\n"
            yield from clock_lines(clock)


def clock_lines(clock: HrClockBase) -> Iterator[str]:
    """One clock base; crash sizes the columns from its last timer."""
    yield f"  CLOCK: {clock.index}  HRTIMER_CLOCK_BASE: {clock.address:x}  [{clock.clock}]\n"
    if not clock.timers:
        yield "  (empty)\n"
        return
    last = clock.timers[-1]
    soft = max(len(str(last.softexpires)), len("SOFTEXPIRES"))
    hard = max(len(str(last.expires)), len("EXPIRES"))
    tte = len(str(last.tte))
    yield f"  {centered('CURRENT', soft, True)}\n"
    yield f"  {centered(str(clock.now), soft, True)}\n"
    yield (f"  {centered('SOFTEXPIRES', soft, True)}  {centered('EXPIRES', hard, True)}  "
           f"{centered('TTE', tte, True)}  {centered('HRTIMER', 16)}  "
           f"{centered('FUNCTION', 16)}\n")
    for timer in clock.timers:
        yield hrtimer_line(timer, soft, hard, tte)


def hrtimer_line(timer: HrTimer, soft: int, hard: int, tte: int) -> str:
    if timer.destroyed:
        return "  (destroyed timer)\n"
    function = f"{timer.function:x}  <{timer.symbol}>" if timer.function is not None else ""
    return (f"  {centered(str(timer.softexpires), soft, True)}  "
            f"{centered(str(timer.expires), hard, True)}  {timer.tte:>{tte}}  "
            f"{timer.address:x}  {function}\n")
