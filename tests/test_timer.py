"""timer: the timer wheel and hrtimers against drgn's own helpers and the dump's clock, and
timer -r on 6.12, where crash's "current" time is wrong (HZ_BUG), against crash's other
columns."""

from __future__ import annotations

from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.timer import (hrtimer_clock_base_for_each, timer_base_for_each,
                                      timer_base_names)

from tests import dumptruth
from tests.differential.oracle import run_oracle
from tests.differential.runner import run_json


def test_every_base_holds_drgns_timers(kernel, crashsh):
    prog = crashsh.session.prog
    wheel = run_json(crashsh, "timer")
    assert wheel["jiffies"] == prog["jiffies"].value_()
    for cpu in wheel["cpus"]:
        bases = per_cpu(prog["timer_bases"], cpu["cpu"])
        assert [b["name"] for b in cpu["bases"]] == list(timer_base_names(prog))
        for ours, base in zip(cpu["bases"], bases):
            timers = list(timer_base_for_each(base.address_of_()))
            assert ours["address"] == hex(base.address_)
            assert sorted(int(t["timer"], 16) for t in ours["timers"]) == sorted(
                t.value_() for t in timers)
            expires = [t["expires"] for t in ours["timers"]]
            assert expires == sorted(expires)
            for t in ours["timers"]:
                assert t["tte"] == t["expires"] - wheel["jiffies"]


def test_crash_shows_the_first_two_bases(kernel, crashsh):
    text = crashsh.run("timer -C 0")
    labels = [line.split("]")[1][1:] for line in text.splitlines() if line.startswith("TIMER_")]
    assert labels == ["BASE_STD", "BASE_DEF"]


def test_hrtimers_are_drgns_in_order(kernel, crashsh):
    prog = crashsh.session.prog
    hz = kernel.manifest["hz"]
    uptime = dumptruth.uptime_ticks(prog, hz) * (1_000_000_000 // hz)
    for cpu in run_json(crashsh, "timer -r")["cpus"]:
        cpu_base = per_cpu(prog["hrtimer_bases"], cpu["cpu"])
        assert cpu["address"] == hex(cpu_base.address_)
        for clock, base in zip(cpu["clocks"], cpu_base.clock_base, strict=True):
            assert clock["now"] == hex(uptime + base.offset.value_())  # REALTIME: > 2**53
            timers = list(hrtimer_clock_base_for_each(base.address_of_()))
            assert [t["address"] for t in clock["timers"]] == [hex(t.value_()) for t in timers]
            for ours, timer in zip(clock["timers"], timers):
                assert ours["expires"] == hex(timer.node.expires.value_())
                assert ours["tte"] == int(ours["expires"], 16) - int(clock["now"], 16)


def test_hrtimer_now_is_the_uptime(kernel, crashsh):
    """The monotonic clock's "now" is the dump's uptime (crash's is 28 times too large on
    6.12, where it takes HZ for 1000): the jiffies uptime at the kernel's HZ exactly, on the
    scale of the panic's log clock."""
    prog = crashsh.session.prog
    hz = kernel.manifest["hz"]
    clock = run_json(crashsh, "timer -r -C 0")["cpus"][0]["clocks"][0]
    now = int(clock["now"], 16)
    assert now == dumptruth.uptime_ticks(prog, hz) * (1_000_000_000 // hz)
    assert dumptruth.on_log_clock_scale(now / 1e9, prog)


def columns(text: str) -> list[list[str]]:
    """timer -r's lines as words, the CURRENT value and each timer's TTE left out."""
    rows = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        words = line.split()
        if i and lines[i - 1].strip() == "CURRENT":
            continue  # crash's "now"
        if len(words) == 6 and words[5].startswith("<"):
            del words[2]
        elif words and words[0] == "SOFTEXPIRES":
            continue  # the TTE column's width follows the values
        rows.append(words)
    return rows


def test_timer_r_matches_crash_but_for_its_clock(kernel, crashsh, oracle):
    theirs = run_oracle(kernel, ["timer -r"])[0]
    assert columns(crashsh.run("timer -r")) == columns(theirs)
