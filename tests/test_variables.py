"""set -v and crash's variables: every variable crash lists, in its order, with the session's
values; changes show in set -v and act on the commands that read them."""

from __future__ import annotations

from tests.differential.runner import CrashshRunner, run_json

# crash's show_options() order (tools.c)
CRASH_VARIABLES = ["scroll", "radix", "refresh", "print_max", "print_array", "console", "debug",
                   "core", "hash", "silent", "edit", "namelist", "dumpfile", "unwind",
                   "zero_excluded", "null-stop", "gdb", "scope", "offline", "redzone", "error"]


def test_set_v_lists_crashs_variables_with_the_sessions_values(kernel):
    runner = CrashshRunner(kernel)
    variables = dict(run_json(runner, "set -v")["variables"])
    assert list(variables) == CRASH_VARIABLES
    assert variables["namelist"] == kernel.vmlinux
    assert variables["dumpfile"] == kernel.dump()
    assert variables["radix"] == "10 (decimal)"


def test_changed_variables_show_and_act(kernel):
    runner = CrashshRunner(kernel)
    jiffies = runner.session.prog["jiffies"].value_()
    assert runner.run("set radix 16") == "output radix: 16 (hex)\n"
    assert dict(run_json(runner, "set -v")["variables"])["radix"] == "16 (hexadecimal)"
    assert runner.run("p jiffies").endswith(f"= {jiffies:#x}\n")
    runner.run("set offline hide")
    runner.run("set hash off")
    variables = dict(run_json(runner, "set -v")["variables"])
    assert (variables["offline"], variables["hash"]) == ("hide", "off")
    runner.run("set radix 7")  # refused: the radix stays
    assert runner.run("set radix") == "output radix: 16 (hex)\n"
