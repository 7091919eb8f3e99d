"""bt on the fixtures: the manifest's tasks, drgn's own unwinder as a cross-check, JSON,
bt --group, speed; and the instruction decoder crash's frame sizing needs."""

from __future__ import annotations

import re
import time

import pytest

from crashsh.commands.bt import Target, backtraces, bt_parser, group_stacks, run_bt, stack_kernel
from crashsh.dumpfacts import facts
from crashsh.kernel import stack, tasks
from crashsh.render.jsonout import jsonable
from crashsh.toolchain import x86insn

FRAME = re.compile(r"^ ?#(\d+) \[([0-9a-f]+)\] (\S+) at ([0-9a-f]+)( \[\S+\])?$")


def frame_names(text: str) -> list[str]:
    return [m.group(3) for m in map(FRAME.match, text.splitlines()) if m]


def drgn_frames(session) -> list[str]:
    """The panic task's frames as drgn's unwinder names them, from __crash_kexec on."""
    names = [f.name for f in session.prog.stack_trace(session.panic_task) if not f.is_inline]
    return names[names.index("__crash_kexec"):]


def manifest_task(kernel, pid: int) -> dict:
    return next(t for t in kernel.manifest["tasks"] if t["pid"] == pid)


def data(crashsh, line: str):
    """A bt command's data, as JSON sees it."""
    return jsonable(run_bt(crashsh.session, bt_parser().parse_args(line.split()[1:])))


def test_panic_task_starts_at_kexec(kernel, crashsh):
    panic = kernel.manifest["panic"]
    text = crashsh.run("bt")
    assert text.startswith(f"PID: {crashsh.session.panic_task.pid.value_():<7d}")
    assert f'COMMAND: "{panic["comm"]}"' in text.splitlines()[0]
    names = frame_names(text)
    # crash starts at machine_kexec; from __crash_kexec on, drgn's unwinder names the same
    # frames (the caller is panic, or vpanic on newer kernels)
    assert names[0] == "machine_kexec"
    assert names[1:3] == drgn_frames(crashsh.session)[:2]
    assert "sysrq_handle_crash" in names and "write_sysrq_trigger" in names
    assert names[-1] == "entry_SYSCALL_64_after_hwframe"
    # it wrote 'c' to /proc/sysrq-trigger: write(2) is system call 1
    assert text.splitlines()[-1].startswith("    ORIG_RAX: 0000000000000001  CS: 0033")


def test_sleeping_tasks_match_drgns_unwinder(crashsh):
    """crash's scan of a sleeping task finds what drgn's DWARF unwinder finds: each frame's
    return address, in the slot just below the caller's stack pointer."""
    session = crashsh.session
    kernel = stack_kernel(session)
    checked = 0
    for task in tasks.crash_task_table(session.prog):
        if not stack.has_stack(task) or task.value_() in kernel.active:
            continue
        ours = [(e.pc, e.sp) for e in stack.backtrace(kernel, task, stack.WalkOptions())
                if isinstance(e, stack.Frame)]
        drgns = [(f.pc, f.sp - stack.WORD) for f in session.prog.stack_trace(task)
                 if not f.is_inline and f.pc >= facts(session.prog).page_offset]
        assert ours == drgns, task.pid.value_()
        checked += 1
    assert checked > 50


def test_kernel_threads_and_user_tasks_end_differently(kernel, crashsh):
    zombie = kernel.manifest["zombie"]["pid"]
    for entry in kernel.manifest["tasks"]:
        pid = entry["pid"]
        if pid in (0, zombie) or entry["comm"].startswith("kworker"):
            continue  # idle tasks are shown per CPU; kworkers may have come and gone
        text = crashsh.run(f"bt {pid}")
        if entry["kthread"]:
            assert frame_names(text)[-1] in ("ret_from_fork", "ret_from_fork_asm"), pid
            assert "RIP:" not in text, pid
        else:
            assert text.splitlines()[-1].endswith("CS: 0033  SS: 002b"), pid


def test_module_kthread_frame_names_its_module(kernel, crashsh):
    module = kernel.manifest["test_module"]
    text = crashsh.run(f"bt {module['kthread_pid']}")
    line = next(line for line in text.splitlines() if "crashsh_kthread_fn" in line)
    assert line.endswith(f" [{module['name']}]")
    assert "kthread" in frame_names(text)


def test_zombie_has_no_stack(kernel, crashsh):
    pid = kernel.manifest["zombie"]["pid"]
    assert crashsh.run(f"bt {pid}").splitlines()[1:] == ["(no stack)"]
    assert crashsh.run(f"bt -r {pid}").splitlines()[1:] == [
        'bt: invalid kernel virtual address: 0  type: "64-bit KVADDR"']


def test_each_cpu_shows_its_active_task(kernel, crashsh):
    text = crashsh.run("bt -a")
    headers = [line for line in text.splitlines() if line.startswith("PID:")]
    assert [int(re.search(r"CPU: (\d+)", h).group(1)) for h in headers] == \
        list(range(kernel.manifest["nr_cpus"]))
    # the CPU that did not panic was stopped by crash_nmi_callback on its NMI stack
    assert text.count("--- <NMI exception stack> ---") == kernel.manifest["nr_cpus"] - 1
    assert "crash_nmi_callback" in frame_names(text)


def test_json_frames_and_registers(crashsh):
    (trace,) = data(crashsh, "bt")["traces"]
    frame = trace["entries"][0]
    assert {"level", "sp", "pc", "function", "offset", "module", "file", "line"} <= set(frame)
    assert frame["function"] == "machine_kexec" and frame["level"] == 0
    registers = trace["entries"][-1]["registers"]
    assert registers["cs"] == "0x33" and registers["orig_rax"] == "0x1"  # words: hex strings
    assert frame["pc"] == hex(crashsh.session.prog.symbol("machine_kexec").address
                              + frame["offset"])
    assert trace["header"]["pid"] == crashsh.session.panic_task.pid.value_()


def test_line_numbers_in_json(crashsh):
    (trace,) = data(crashsh, "bt -l")["traces"]
    caller = drgn_frames(crashsh.session)[1]  # the function that called __crash_kexec
    entry = next(e for e in trace["entries"] if e.get("function") == caller)
    frame = next(f for f in crashsh.session.prog.stack_trace(crashsh.session.panic_task)
                 if f.name == caller)
    assert entry["file"].endswith(frame.source()[0].lstrip("./")) and entry["line"] > 0


def test_group_puts_every_task_in_one_group(kernel, crashsh):
    session = crashsh.session
    groups = group_stacks(session, stack_kernel(session), []).groups
    pids = sorted(pid for g in groups for pid in g.pids)
    assert pids == sorted(t.pid.value_() for t in tasks.crash_task_table(session.prog))
    # the worker threads of the threads process all sleep in pause()
    threads = kernel.manifest["threads_proc"]["tids"][1:]
    group = next(g for g in groups if threads[0] in g.pids)
    assert set(threads) <= set(group.pids)
    assert any("__x64_sys_pause" in frame for frame in group.frames)
    text = crashsh.run("bt --group")
    assert re.match(r"\d+ TASKS: \d+", text)
    assert "(no stack)" in text


def test_a_foreach_listing_goes_on_after_a_failure(kernel, crashsh):
    """foreach bt's use: the zombie's raw stack fails, the next task still comes."""
    session = crashsh.session
    zombie = next(t for t in tasks.crash_task_table(session.prog)
                  if t.pid.value_() == kernel.manifest["zombie"]["pid"])
    listing = backtraces(session, bt_parser().parse_args(["-r"]),
                         [Target(zombie, keep_going=True),
                          Target(session.panic_task, keep_going=True)])
    first, second = listing.traces
    assert first.error and not first.raw
    assert second.raw and not second.error


def test_reference_filter(kernel, crashsh):
    """bt -R: only the tasks whose trace names the symbol or holds the return address."""
    assert crashsh.run("bt -R __x64_sys_pause -a") == ""
    text = crashsh.run("bt -R machine_kexec -a")
    assert text.count("PID:") == 1 and text.endswith("\n\n")
    marker = kernel.manifest["marker"]["pid"]
    line = next(line for line in crashsh.run(f"bt {marker}").splitlines()
                if "__x64_sys_pause" in line)
    pc = FRAME.match(line).group(4)
    by_symbol = crashsh.run(f"bt -R __x64_sys_pause 1 {marker}")
    assert by_symbol.startswith(f"PID: {marker:<7d}") and by_symbol.count("PID:") == 1
    assert crashsh.run(f"bt -R {pc} 1 {marker}") == by_symbol


def test_stack_overflow_check(kernel, crashsh):
    lines = crashsh.run("bt -v").splitlines()
    assert lines == ['bt: invalid kernel virtual address: 0  type: "stack overflow check"',
                     "No stack overflows detected"]


def test_all_tasks_take_well_under_a_second(crashsh):
    pids = " ".join(sorted({str(t.pid.value_())
                            for t in tasks.crash_task_table(crashsh.session.prog)}, key=int))
    crashsh.run("bt -a")  # warm up: symbols, ORC tables, stacks
    start = time.perf_counter()
    crashsh.run(f"bt {pids}")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("code, length, kind, immediate", [
    ("55", 1, "push", 0),
    ("4157", 2, "push", 0),
    ("ff7508", 3, "push", 0),
    ("5d", 1, "pop", 0),
    ("4883ec18", 4, "sub_rsp", 0x18),
    ("4881c488000000", 7, "add_rsp", 0x88),
    ("4983c408", 4, None, 0),  # add to %r12, not %rsp
    ("c3", 1, "ret", 0),
    ("f3c3", 2, None, 0),  # gdb shows "repz ret"
    ("f3480fb8c7", 5, "pop", 0),  # popcnt: crash's "pop" prefix test matches it
    ("e800000000", 5, None, 0),
    ("0f1f440000", 5, None, 0),
    ("660f1f840000000000", 9, None, 0),
    ("f30f1efa", 4, None, 0),
    ("48b80102030405060708", 10, None, 0),
    ("c5f877", 3, None, 0),
    ("c5f970c093", 5, None, 0),
    ("62f1650872c310", 7, None, 0),
    ("f6c101", 3, None, 0),
    ("f7c100010000", 6, None, 0),
    ("8b0425f0ffffff", 7, None, 0),
])
def test_instruction_decoder(code, length, kind, immediate):
    insn = x86insn.decode(bytes.fromhex(code))
    assert (insn.length, insn.kind, insn.immediate) == (length, kind, immediate)
