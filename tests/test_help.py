"""help: the list holds crash commands only, every command has a page in crashsh's words with
examples, crash's synopsis heads it, and help -n/-m/-v run on both dump formats."""

from __future__ import annotations

import pytest

from crashsh.commands.help import BUILTIN_PAGES, help_names
from crashsh.registry import get_command, load_builtin_commands
from tests.differential.runner import CrashshRunner, run_document, run_json


def test_the_list_is_crash_commands_only(crashsh):
    text = crashsh.run("help")
    for internal in ("run_script", "history", "shell", "input_file", "_eof", "eof"):
        assert f" {internal} " not in f" {text} "
    for name in ("bt", "mach", "sig", "waitq", "repeat", "alias", "help", "q"):
        assert name in text.split()


def test_every_command_has_a_page_with_examples():
    load_builtin_commands()
    for name in help_names():
        if name in BUILTIN_PAGES:
            continue
        command = get_command(name)
        parser = command.parser()
        assert parser.epilog and parser.epilog.startswith("examples:\n"), name
        assert len(parser.description) > 120, name  # more than a one-line summary
        for line in parser.format_help().splitlines():
            assert len(line) <= 100, (name, line)


def test_page_starts_with_crashs_synopsis(crashsh):
    page = crashsh.run("help mach")
    assert page.startswith("usage: mach [-m | -c -[xd] | -o]\n")
    assert crashsh.run("help dmesg").startswith("usage: log ")
    assert crashsh.run("help nosuch") == 'No help data for "nosuch" is available.\n'


def test_foreach_page_names_its_commands(crashsh):
    line = next(line for line in crashsh.run("help foreach").splitlines()
                if line.startswith("The commands foreach runs: "))
    assert {"bt", "ps", "sig", "set", "task", "files", "vm"} <= set(
        line.split(": ")[1].rstrip(".").split(", "))


@pytest.mark.parametrize("dump", ["kdump", "elf"])
def test_internal_tables(kernel, dump):
    runner = CrashshRunner(kernel, dump)
    rows = dict(tuple(r) for r in run_json(runner, "help -n")["rows"] if r[0])
    assert rows["filename"] == kernel.dump(dump)
    if dump == "kdump":
        assert rows["signature"] == '"KDUMP   "'
        assert rows["release"] == kernel.manifest["release"]
    else:
        assert rows["e_type"] == "4 (ET_CORE)"
    machdep = dict(tuple(r) for r in run_json(runner, "help -m")["rows"])
    assert machdep["hz"] == str(kernel.manifest["hz"])
    assert machdep["cpus"] == str(kernel.manifest["nr_cpus"])
    vm = dict(tuple(r) for r in run_json(runner, "help -v")["rows"])
    assert vm["slab_allocator"] == "SLUB"
    assert int(vm["numnodes"]) >= 1


@pytest.mark.parametrize("dump", ["kdump", "elf"])
def test_help_r_registers_are_drgns_first_frames(kernel, dump):
    """help -r reads each CPU's NT_PRSTATUS note; drgn starts each CPU's running task's
    stack trace from the same registers."""
    from drgn.helpers.linux.sched import cpu_curr

    runner = CrashshRunner(kernel, dump)
    prog = runner.session.prog
    cpus = run_json(runner, "help -r")
    assert [c["cpu"] for c in cpus] == list(range(kernel.manifest["nr_cpus"]))
    for cpu in cpus:
        frame = prog.stack_trace(cpu_curr(prog, cpu["cpu"]))[0].registers()
        assert (cpu["registers"]["rip"], cpu["registers"]["rsp"]) == (hex(frame["rip"]),
                                                                      hex(frame["rsp"]))


def test_help_z_all_and_pages_without_argparse_help(crashsh):
    options = dict(tuple(r) for r in run_json(crashsh, "help -z")["rows"])
    assert {"-n", "-m", "-r", "-v", "-z"} <= set(options)
    pages = crashsh.run("help all")
    assert "--help" not in pages and "\0" not in pages
    assert pages.count("usage: exit | q | quit") == 1
    assert "\n\nusage: bt " in pages  # a blank line between pages


def test_bad_option_reports_then_shows_helps_page_and_the_rest(crashsh):
    """crash's cmd_help on a bad option: getopt's line (stderr) for each bad letter before the
    first good option; without a good one, cmd_usage(COMPLETE_HELP) (help's own page) and
    then what the rest of the line asks for."""
    def run(line: str) -> tuple[str, str]:
        crashsh.err.seek(0)
        crashsh.err.truncate()
        return crashsh.run(line), crashsh.err.getvalue()

    assert run("help bt -Z") == (run("help help bt")[0], "help: invalid option -- 'Z'\n")
    assert run("help -Z") == (run("help help")[0] + run("help")[0],
                              "help: invalid option -- 'Z'\n")
    assert run("help -Y bt -Z")[1] == "help: invalid option -- 'Y'\nhelp: invalid option -- 'Z'\n"
    assert run("help -Zr") == (run("help -r")[0], "help: invalid option -- 'Z'\n")
    assert run("help -rZ") == (run("help -r")[0], "")  # -r returns before getopt reads Z
    document = run_document(crashsh, "help bt -Z")
    assert document["error"] == "help: invalid option -- 'Z'"
    assert [page["name"] for page in document["data"]] == ["help", "bt"]
