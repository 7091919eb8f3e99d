"""timer: the timer wheel (crash 9.0.2 shows BASE_STD and BASE_DEF; on 6.12 those labels name
BASE_LOCAL and BASE_GLOBAL, and BASE_DEF is not shown) and -r, the hrtimers, with -C.

crash's hrtimer "current" time is the jiffies uptime at its guess of HZ, wrong on 6.12
(HZ_BUG): the CURRENT value and every TTE differ there, so the indented lines of timer -r
are left out on 6.12; tests/test_timer.py checks them against crash's other columns and
against the dump."""

from tests.differential.suite import HZ_BUG, Case

HRTIMER_612 = {"6.12": ("  ", HZ_BUG + ": hrtimer CURRENT and TTE")}

CASES = (
    Case("timer", True),
    Case("timer -C 0", True),
    Case("timer -C 1", True),
    Case("timer -C 0-1", True),
    Case("timer -C 1,0", True),
    Case("timer -C a", True),
    Case("timer -C 0 -C 1", True),
    Case("timer -C 9", True),
    Case("timer -C", True),
    Case("timer extra", True),
    Case("timer -x", True),
    Case("timer -r", True, HRTIMER_612),
    Case("timer -r -C 1", True, HRTIMER_612),
    Case("timer -C 0 -r", True, HRTIMER_612),
)
