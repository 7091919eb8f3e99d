"""log on the fixtures: the panic record is there, and -T's clock agrees with the dump's."""

from __future__ import annotations

import re
import time

from crashsh.commands.log import records
from crashsh.render.jsonout import jsonable
from tests import dumptruth


def test_log_ends_with_the_panic(crashsh):
    lines = crashsh.run("log -t").splitlines()
    assert any("Kernel panic - not syncing: sysrq triggered crash" in line for line in lines)
    assert any("sysrq: Trigger a crash" in line for line in lines)


def test_log_ctime_uses_the_true_hz(kernel, crashsh):
    """crash's -T times are off on 6.12 (HZ guessed as 1000). As crash computes them, a
    record's time is the boot date (the dump's wall clock minus its uptime in whole seconds,
    at the kernel's true HZ) plus the record's own seconds."""
    prog = crashsh.session.prog
    hz = kernel.manifest["hz"]
    boot = dumptruth.wall_clock(prog) - dumptruth.uptime_ticks(prog, hz) // hz
    last = crashsh.run("log -T").splitlines()[-1]
    stamp = re.match(r"\[(.*?)\] ", last).group(1)
    logged = boot + int(dumptruth.last_log_seconds(prog))
    assert stamp == time.strftime("%a %b %e %T %Z %Y", time.localtime(logged))


def test_log_json_records(crashsh):
    data = jsonable(list(records(crashsh.session.prog))[-1])
    assert set(data) == {"timestamp", "level", "caller", "text", "subsystem", "device"}
    assert data["caller"][0] in "TC"
