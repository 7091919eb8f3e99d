"""p, struct/union and crash's shortcuts: the expression evaluator on its own, and values
on the fixture dumps checked against drgn and the manifest."""

from __future__ import annotations

import drgn
import pytest

from crashsh.toolchain.cexpr import Evaluator, ExpressionError, tokenize

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
