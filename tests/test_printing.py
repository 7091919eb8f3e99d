"""p, struct/union and crash's shortcuts: the expression evaluator on its own, and values
on the fixture dumps checked against drgn and the manifest."""

from __future__ import annotations

import drgn
import pytest

from crashsh.toolchain.cexpr import Evaluator, ExpressionError, tokenize
from crashsh.toolchain.gdbvalues import CHAR_CHARS

host = drgn.Program(drgn.host_platform)


def value(text: str, history=()) -> drgn.Object:
    return Evaluator(host, list(history)).evaluate(text)


# -- the evaluator without a dump -------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("1+2*3", 7), ("(1+2)*3", 9), ("10 % 3", 1), ("~0", -1), ("1 << 4 | 1", 17),
    ("0x10", 16), ("010", 8), ("'A'", 65), ("'\\n'", 10), ("3 > 2", 1), ("2 == 3", 0),
    ("1 && 0", 0), ("0 || 5", 1), ("!0", 1), ("-5 / 2", -2), ("1 ? 4 : 5", 4),
    ("sizeof(long)", 8), ("sizeof(char) * 3", 3), ("(char)321", 65), ("0 ? 1 : 2 ? 3 : 4", 3),
])
def test_arithmetic(text, expected):
    assert value(text).value_() == expected


def test_literal_types():
    assert value("1").type_.name == "int"
    assert value("4294967296").type_.name == "long"
    assert value("0xffffffff").type_.name == "unsigned int"
    assert value("0xffffffffffffffff").type_.name == "unsigned long"
    assert value("1 == 1").type_.name == "int"


def test_history():
    history = [value("10"), value("20"), value("30")]
    assert [value(t, history).value_() for t in ("$", "$$", "$$2", "$1", "$0", "$$0")] == [
        30, 20, 10, 10, 30, 30]
    with pytest.raises(ExpressionError, match=r"History has not yet reached \$4"):
        value("$4", history)


@pytest.mark.parametrize("text", ["", "1 +", "(1", "nosuch", "1/0", "*1", "&1", "1 2", "#"])
def test_errors(text):
    with pytest.raises(ExpressionError):
        value(text)


@pytest.mark.parametrize("request_, last, letter, rest", [
    ("/x jiffies", "i", "x", "jiffies"), ("/xr a", "", "x", "a"), ("/sx a", "", "x", "a"),
    ("/xs a", "", None, "a"), ("/ a", "x", "x", "a"), ("/r a", "z", "z", "a"),
    ("/1x a", "", "x", "a"), ("a + 1", "x", None, "a + 1"),
])
def test_print_format(request_, last, letter, rest):
    """gdb's print_command_parse_format: the letter (s: natural) and the expression."""
    from types import SimpleNamespace

    from crashsh.commands.printing import print_format

    assert print_format(SimpleNamespace(gdb_format=last), request_) == (letter, rest)


@pytest.mark.parametrize("request_", ["/2x a", "/xw a", "/-x a", "/0 a", "/i a", "/ a"])
def test_print_format_refused(request_):
    """Counts, size letters and i are refused (a bare / after gdb's x/i repeats i)."""
    from types import SimpleNamespace

    from crashsh.commands.printing import PrintFailed, print_format

    with pytest.raises(PrintFailed):
        print_format(SimpleNamespace(gdb_format="i"), request_)


def test_tokens():
    kinds = [(t.kind, t.text) for t in tokenize("a->b[$$2] != 'x'")][:-1]
    assert kinds == [("name", "a"), ("op", "->"), ("name", "b"), ("op", "["),
                     ("history", "$$2"), ("op", "]"), ("op", "!="), ("char", "'x'")]


# -- on the dumps -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def session_runner(kernel):
    """A session of its own: these lines must not move the suite's history numbers."""
    from tests.differential.runner import CrashshRunner

    return CrashshRunner(kernel)


def run(runner, line: str) -> str:
    return runner.run(line)


def test_symbol_leader_and_numbers(session_runner):
    prog = session_runner.session.prog
    session_runner.session.value_history.clear()
    jiffies = prog["jiffies"].value_()
    assert run(session_runner, "p jiffies") == f"jiffies = $1 = {jiffies}\n"
    assert run(session_runner, "p -x jiffies") == f"jiffies = $2 = {jiffies:#x}\n"
    assert run(session_runner, "p $$") == f"$3 = {jiffies}\n"
    assert run(session_runner, "jiffies") == f"jiffies = $4 = {jiffies}\n"
    assert run(session_runner, "struct list_head init_task").startswith("struct list_head {")
    assert run(session_runner, "p nosuch") == "p: gdb request failed: p nosuch\n"
    assert run(session_runner, "print jiffies") == f"$5 = {jiffies}\n"


def test_marker_file(session_runner, kernel):
    """The seed's example: print *(struct file *)ADDR on the marker's open file."""
    from drgn.helpers.linux.pid import find_task

    prog = session_runner.session.prog
    marker = kernel.manifest["marker"]
    file = find_task(prog, marker["pid"]).files.fdt.fd[3]
    text = run(session_runner, f"p *(struct file *){file.value_():#x}")
    assert "  f_path = {\n" in text
    assert f"  f_mode = {file.f_mode.value_()},\n" in text
    name = run(session_runner, f"p (({'struct file *'}){file.value_():#x})->f_path.dentry->d_iname")
    assert '"' + marker["file"].rsplit("/", 1)[1] in name


def test_struct_offsets_and_members(session_runner):
    prog = session_runner.session.prog
    task = prog["init_task"]
    offset = drgn.offsetof(prog.type("struct task_struct"), "pid")
    assert run(session_runner, "struct task_struct.pid") == (
        f"struct task_struct {{\n  [{offset}] pid_t pid;\n}}\n")
    assert run(session_runner, "struct -o task_struct.pid init_task") == (
        f"struct task_struct {{\n  [{task.address_ + offset:x}] pid_t pid;\n}}\n")
    assert run(session_runner, "task_struct.pid init_task") == f"  pid = {task.pid.value_()},\n"
    tasks = task.tasks.address_
    text = run(session_runner, f"struct list_head {tasks:x}")
    assert f"  next = {task.tasks.next.value_():#x}," in text


def test_list_offset(session_runner):
    prog = session_runner.session.prog
    task = prog["init_task"]
    following = drgn.container_of(task.tasks.next, "struct task_struct", "tasks")
    text = run(session_runner, f"struct -l task_struct.tasks task_struct.pid "
                               f"{task.tasks.next.value_():x}")
    assert text == f"  pid = {following.pid.value_()},\n"


def test_python_escape_and_limits(session_runner):
    session_runner.session.value_history.clear()
    assert run(session_runner, 'p --py prog["init_task"].comm') == (
        '$1 = "swapper/0\\000\\000\\000\\000\\000\\000"\n')
    assert run(session_runner, "p --py 1+1") == "p: not a drgn Object: 1+1\n"
    # crash sets gdb's max-value-size unlimited; a string still prints 256 characters
    big = run(session_runner, "p *init_task.comm@100000")
    assert big.startswith('$2 = "swapper/0') and big.endswith('"...\n')
    assert run(session_runner, "p $$") == '$3 = "swapper/0\\000\\000\\000\\000\\000\\000"\n'


def test_json_value(session_runner):
    from tests.differential.runner import run_json

    data = run_json(session_runner, "p init_task.comm")
    assert data[0]["type"] == "char [16]"
    assert data[0]["text"].startswith('"swapper/0')
    assert data[0]["value"] == {"type": "char [16]", "value": "swapper/0",
                                "text": data[0]["text"]}


def test_json_tree(session_runner):
    """p and struct values as typed trees, against drgn's values."""
    from tests.differential.runner import run_json

    prog = session_runner.session.prog
    task = prog["init_task"]
    load = run_json(session_runner, "p init_task.se.load")[0]["value"]
    assert load["type"] == "struct load_weight"
    assert [(m["name"], m["value"]) for m in load["members"]] == [
        (m.name, task.se.load.member_(m.name).value_()) for m in task.se.load.type_.members]
    head = run_json(session_runner, f"struct list_head {task.tasks.address_:x}")[0]["value"]
    assert [m["value"] for m in head["members"]] == [
        f"{task.tasks.next.value_():#x}", f"{task.tasks.prev.value_():#x}"]
    pointer = run_json(session_runner, "p init_task.sched_class")[0]["value"]
    sched = prog.symbol(task.sched_class.value_())
    assert pointer["value"] == f"{task.sched_class.value_():#x}"
    assert pointer["symbol"] == sched.name


# -- print/FMT, readmem's messages, -u ---------------------------------------------------------
def test_print_formats(session_runner):
    prog = session_runner.session.prog
    task = prog["init_task"]
    sched = task.sched_class.value_()
    name = prog.symbol(sched).name
    prio = task.prio.value_()
    assert run(session_runner, "p/a init_task.sched_class").endswith(f" = {sched:#x} <{name}>\n")
    assert run(session_runner, "p/z init_task.prio").endswith(f" = 0x{prio:08x}\n")
    assert run(session_runner, "p/d init_task.stack").endswith(
        f" = {task.stack.value_() - (1 << 64)}\n")
    byte = (prio + 200) & 0xFF
    assert run(session_runner, "p/c init_task.prio + 200").endswith(
        f" = {byte} '{CHAR_CHARS[byte]}'\n")
    # no letter repeats the last one; sizes and counts are refused
    assert run(session_runner, "p/ init_task.prio").endswith(f" = {prio} '{CHAR_CHARS[prio]}'\n")
    assert run(session_runner, "p/xw jiffies") == "gdb: gdb request failed: p/xw jiffies\n"
    # an unknown letter fails at the first scalar, after the history entry; struct members
    # and array elements show the error in place
    assert run(session_runner, "p/q jiffies").endswith(" = gdb: gdb request failed: p/q jiffies\n")
    assert '  next = <error reading variable: Undefined output format "q".>,' in run(
        session_runner, "p/q init_task.tasks")


def test_unreadable_memory_notes(session_runner, kernel):
    """crash's readmem messages for gdb's reads: a seek error past a kdump file's memory."""
    from crashsh.dumpfacts import facts

    prog = session_runner.session.prog
    beyond = facts(prog).page_offset + 2 * (prog["max_pfn"].value_() << 12)
    note = f'seek error: kernel virtual address: {beyond:x}  type: "gdb_readmem_callback"'
    assert run(session_runner, f"print *(long *){beyond:#x}") == (
        f"gdb: {note}\ngdb: gdb request failed: print *(long *){beyond:#x}\n")
    text = run(session_runner, f"print (char *){beyond:#x}")
    assert text.endswith(f" = {beyond:#x} gdb: {note}\ngdb: {note}\ngdb: {note}\n"
                         f"<error: Cannot access memory at address {beyond:#x}>\n")
    assert run(session_runner, f"struct list_head {beyond:x}") == (
        f"struct list_head struct: {note}\n\n")
    # a user address read for -u (the panic task's page tables) and a kernel one
    jiffies = prog.symbol("jiffies").address
    assert run(session_runner, "p -u jiffies") == (
        f'p: invalid user virtual address: {jiffies:x}  type: "gdb_readmem_callback"\n'
        "p: gdb request failed: p jiffies\n")


def test_struct_per_cpu_and_file(session_runner, kernel):
    prog = session_runner.session.prog
    offsets = prog["__per_cpu_offset"]
    runqueues = prog.symbol("runqueues").address
    ncpus = prog["nr_cpu_ids"].value_()
    expected = "".join(f"[{cpu}]: {(runqueues + offsets[cpu].value_()) & ((1 << 64) - 1):x}\n"
                       f"  cpu = {cpu},\n" for cpu in range(ncpus))
    assert run(session_runner, "struct rq.cpu runqueues:a") == expected
    with open(kernel.dump(), "rb") as f:
        f.seek(0x1000)
        words = [int.from_bytes(f.read(8), "little") for _ in range(2)]
    assert run(session_runner, "struct -f list_head 0x1000") == (
        f"struct list_head {{\n  next = {words[0]:#x},\n  prev = {words[1]:#x}\n}}\n")


def test_dis_bug_bytes(session_runner):
    assert run(session_runner, "dis -b") == "encoded bytes being skipped after ud2a: 0\n"
    assert run(session_runner, "dis -b 4") == ""
    assert run(session_runner, "dis -b") == "encoded bytes being skipped after ud2a: 4\n"
    assert run(session_runner, "dis -b 0") == ""


def test_rich_layout(session_runner):
    """At a terminal: gdb's layout with the member names of a struct aligned."""
    import io

    from crashsh.registry import get_command
    from crashsh.render import render

    cmd = get_command("p")
    out = io.StringIO()
    render(cmd.run(session_runner.session, cmd.parser().parse_args(["init_task.se.load"])),
           "rich", out)
    plain_lines = [line for line in _strip_ansi(out.getvalue()).splitlines() if " = " in line]
    assert plain_lines[1:] == ["  weight     = " + plain_lines[1].split(" = ")[1],
                               "  inv_weight = " + plain_lines[2].split(" = ")[1]]


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_user_reads_without_user_space(session_runner, kernel):
    """-u in a kernel thread's context: crash's read of mm->pgd fails and ends the command
    (after what gdb had printed), with no "gdb request failed"."""
    from drgn.helpers.linux.pid import find_task

    session = session_runner.session
    pgd = drgn.offsetof(session.prog.type("struct mm_struct"), "pgd")
    error = f'invalid kernel virtual address: {pgd:x}  type: "mm_struct pgd"'
    kthread = find_task(session.prog, kernel.manifest["test_module"]["kthread_pid"])
    outputs = []
    for line in ("p -u *(int *)0x400000", "struct -u list_head 0x400000"):
        session_runner.out.seek(0)
        session_runner.out.truncate()
        session.context = kthread
        session_runner.shell.onecmd_plus_hooks(line)
        outputs.append(session_runner.out.getvalue())
    assert outputs == [f"p: {error}\n", f"struct list_head struct: {error}\n"]
