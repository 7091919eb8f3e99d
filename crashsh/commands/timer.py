"""timer: the timer wheel and, with -r, the hrtimers (crash's cmd_timer, kernel.c)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import argparse
from collections.abc import Iterator

import drgn
from drgn.helpers.linux.list import hlist_for_each_entry
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.rbtree import rb_next
from drgn.helpers.linux.timer import timer_base_names

from crashsh.conventions.numbers import cpu_list, signed
from crashsh.kernel import system, tasks
from crashsh.parsing import CommandParser
from crashsh.records import LAYOUT, Address, Word
from crashsh.registry import command

if TYPE_CHECKING:
    from crashsh.toolchain.symtab import CrashSymbolTable


@dataclass
class WheelTimer:
    """A timer_list: its expiry (jiffies), time to expiry (expires - jiffies), address,
    function and the function's symbol (for a pointer to a function, the target's)."""

    expires: int
    tte: int
    timer: Address
    function: Address
    symbol: str


@dataclass
class TimerBase:
    """One timer_base of a CPU: its index, the kernel's name for it, its address and its
    timers by expiry. ``label`` is crash's name for it, null for a base crash does not show
    (crash shows two bases, BASE_STD and BASE_DEF; 6.9+ has BASE_LOCAL, BASE_GLOBAL, BASE_DEF)."""

    index: int
    name: str
    address: Address
    timers: list[WheelTimer]
    label: str | None = field(default=None, metadata=LAYOUT)


@dataclass
class TimerCpu:
    cpu: int
    offline: bool
    bases: list[TimerBase] = field(default_factory=list)


@dataclass
class TimerWheel:
    """`timer`: jiffies and the chosen CPUs' timer bases."""

    jiffies: int
    cpus: list[TimerCpu]


@dataclass
class HrTimer:
    """An hrtimer: soft and hard expiry and time to expiry (ns), address, function and its
    symbol; ``destroyed`` when unreadable (crash's "(destroyed timer)")."""

    address: Address
    softexpires: Word
    expires: Word
    tte: int
    function: Address | None
    symbol: str
    destroyed: bool = False


@dataclass
class HrClockBase:
    """One hrtimer_clock_base: its index, address, clock (crash's name of its get_time),
    crash's "current" time for it (uptime in ns plus the base's offset) and its timers."""

    index: int
    address: Address
    clock: str
    now: Word
    timers: list[HrTimer]


@dataclass
class HrCpuBase:
    cpu: int
    offline: bool
    address: Address = 0
    clocks: list[HrClockBase] = field(default_factory=list)


@dataclass
class HrTimers:
    """`timer -r`: each chosen CPU's hrtimer_cpu_base."""

    cpus: list[HrCpuBase]


TIMER_HELP = """\
The pending timers of each CPU. Without -r: the timer wheel's bases (crash shows BASE_STD and
BASE_DEF; on 6.9+ kernels those labels name BASE_LOCAL and BASE_GLOBAL), each timer_list by
expiry in jiffies with its time to expiry (TTE) and function. With -r: each hrtimer clock
base's timers, soft and hard expiry in ns, TTE from the base's current time, and function.
"""
TIMER_EXAMPLES = """\
examples:
  timer -C 1       the timer wheel of CPU 1:
    JIFFIES
    4294894491

    TIMER_BASES[1][BASE_STD]: ffff8d1bfeb20980
      EXPIRES        TTE        TIMER_LIST     FUNCTION
      4294895445     954  ffff8d1bfeb20870  ffffffff97eb79d0  <delayed_work_timer_fn>
  timer -r -C 0    CPU 0's hrtimers, e.g. its tick on CLOCK 0 [ktime_get]:
       8776000000   8776000000    -4000000  ffff8d1bfea23440  ffffffff97f58f60  <tick_sched_timer>
"""


def timer_parser() -> CommandParser:
    p = CommandParser("timer", TIMER_HELP, epilog=TIMER_EXAMPLES,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-r", dest="hrtimers", action="store_true",
                   help="the hrtimers of each clock base instead of the timer wheel")
    p.add_argument("-C", dest="cpus", metavar="CPUS",
                   help='only these CPUs: "1,3,5", "1-3", "1,3,5-7,10"')
    return p


@command("timer", "timer queue data", timer_parser, synopsis="[-r][-C cpu]")
def run_timer(session, args):
    prog = session.prog
    ncpus = len(tasks.present_cpus(prog))
    chosen = cpu_list(args.cpus, ncpus) if args.cpus is not None else range(ncpus)
    online = set(tasks.online_cpus(prog))
    if args.hrtimers:
        uptime_ns = system.uptime_jiffies(prog) * (1_000_000_000 // system.hz(prog))
        return HrTimers([hrtimer_cpu(prog, cpu, uptime_ns, session.symtab) if cpu in online
                         else HrCpuBase(cpu, True) for cpu in chosen])
    jiffies = prog["jiffies"].value_()
    wheel = Wheel(prog, jiffies, session.symtab)
    return TimerWheel(jiffies, [wheel.cpu(cpu) if cpu in online else TimerCpu(cpu, True)
                                for cpu in chosen])


# -- the timer wheel ----------------------------------------------------------------------------
class Wheel:
    """The timer bases of one dump as crash's dump_timer_data_timer_bases() lists them."""

    def __init__(self, prog: drgn.Program, jiffies: int, symtab: CrashSymbolTable) -> None:
        self.prog = prog
        self.jiffies = jiffies
        self.symtab = symtab
        self.names = timer_base_names(prog)
        # crash shows BASE_STD, and BASE_DEF after it when the kernel can migrate timers;
        # since 6.9 the bases are BASE_LOCAL, BASE_GLOBAL, BASE_DEF and crash's two labels
        # name the first two
        migration = "sysctl_timer_migration" in symtab.kernel.by_name
        self.labels = ("BASE_STD", "BASE_DEF") if migration else ("BASE_STD",)

    def cpu(self, cpu: int) -> TimerCpu:
        bases = []
        for index, base in enumerate(per_cpu(self.prog["timer_bases"], cpu)):
            timers = sorted(map(self.timer, base_timers(base)), key=lambda t: t.expires)
            label = self.labels[index] if index < len(self.labels) else None
            bases.append(TimerBase(index, self.names[index], base.address_, timers, label))
        return TimerCpu(cpu, False, bases)

    def timer(self, timer: drgn.Object) -> WheelTimer:
        expires = timer.expires.value_()
        function = timer.function.value_()
        return WheelTimer(expires, signed(expires - self.jiffies), timer.value_(), function,
                          self.symtab.symstr(self.text_target(function)))

    def text_target(self, function: int) -> int:
        """crash's choice of what to name: the function when it is kernel text, else the word
        it points to when that is kernel text, else the function."""
        if self.symtab.is_text(function):
            return function
        try:
            target = self.prog.read_u64(function)
        except drgn.FaultError:
            return function
        return target if self.symtab.is_text(target) else function


def base_timers(base: drgn.Object) -> Iterator[drgn.Object]:
    """The timer_list of each vector's hlist, vectors in index order (do_timer_list_v4)."""
    for head in base.vectors:
        yield from hlist_for_each_entry("struct timer_list", head.address_of_(), "entry")


# -- hrtimers -----------------------------------------------------------------------------------
def hrtimer_cpu(prog: drgn.Program, cpu: int, uptime_ns: int,
                symtab: CrashSymbolTable) -> HrCpuBase:
    """crash's dump_hrtimer_data() for one CPU; "now" is the jiffies uptime in ns (crash's
    get_uptime at the kernel's HZ) plus each base's offset."""
    cpu_base = per_cpu(prog["hrtimer_bases"], cpu)
    clocks = []
    for index, base in enumerate(cpu_base.clock_base):
        try:
            clock = symtab.symstr(base.get_time.value_())
        except AttributeError:  # 6.18 dropped get_time: crash names the base's type
            clock = enumerator_name(prog.type("enum hrtimer_base_type"), base.index.value_())
        now = signed(uptime_ns + base.offset.value_())
        timers = [hrtimer(timer, now, symtab) for timer in clock_timers(base)]
        clocks.append(HrClockBase(index, base.address_, clock, now, timers))
    return HrCpuBase(cpu, False, cpu_base.address_, clocks)


def enumerator_name(enum: drgn.Type, value: int) -> str:
    return next((e.name for e in enum.enumerators if e.value == value), "")


def clock_timers(base: drgn.Object) -> Iterator[drgn.Object]:
    """The base's hrtimers from the cached leftmost node on (crash's dump_active_timers)."""
    node = base.active.rb_root.rb_leftmost.read_()
    seen = set()
    while node and node.value_() not in seen:
        seen.add(node.value_())
        yield drgn.container_of(node, "struct hrtimer", "node.node")
        node = rb_next(node)


def hrtimer(timer: drgn.Object, now: int, symtab: CrashSymbolTable) -> HrTimer:
    """crash's print_timer(); an unreadable timer is "destroyed" and reads as expiring at 0."""
    try:
        expires = timer.node.expires.value_()
        soft = timer._softexpires.value_()
        function = timer.function.value_()
    except drgn.FaultError:
        return HrTimer(timer.value_(), 0, 0, signed(-now), None, "", destroyed=True)
    return HrTimer(timer.value_(), soft, expires, signed(expires - now), function,
                   symtab.symstr(function))
