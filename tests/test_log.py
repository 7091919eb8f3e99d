"""log on the fixtures: the panic record is there, and -T's clock agrees with the dump's."""

from __future__ import annotations

import re
import time

from crashsh.commands.log import records
from crashsh.commands.system import sys_info
from crashsh.render.jsonout import jsonable


def test_log_ends_with_the_panic(crashsh):
    lines = crashsh.run("log -t").splitlines()
    assert any("Kernel panic - not syncing: sysrq triggered crash" in line for line in lines)
    assert any("sysrq: Trigger a crash" in line for line in lines)


def test_log_ctime_uses_the_true_hz(kernel, crashsh):
    # crash's -T times are off on 6.12 (HZ guessed as 1000): the last record must be logged
    # within a couple of seconds of the dump's own DATE
    last = crashsh.run("log -T").splitlines()[-1]
    stamp = re.match(r"\[(.*?)\] ", last).group(1)
    logged = time.mktime(time.strptime(stamp, "%a %b %d %H:%M:%S %Z %Y"))
    dumped = time.mktime(time.strptime(sys_info(crashsh.session).date, "%a %b %d %H:%M:%S %Z %Y"))
    assert 0 <= dumped - logged <= 2


def test_log_json_records(crashsh):
    data = jsonable(list(records(crashsh.session.prog))[-1])
    assert set(data) == {"timestamp", "level", "caller", "text", "subsystem", "device"}
    assert data["caller"][0] in "TC"
