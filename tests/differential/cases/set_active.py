"""set -a: a task marked as its CPU's active task, as ps, set, set -c and bt -c then see it;
the bad arguments; the last line marks the CPU's own task again, as later lines expect."""

from tests.differential.suite import Case


def placeholders(prog, marker_pid: int) -> dict[str, str]:
    from drgn.helpers.linux.pid import find_task
    from drgn.helpers.linux.sched import cpu_curr, task_cpu

    cpu = task_cpu(find_task(prog, marker_pid))
    return {"marker_cpu": str(cpu), "marker_cpu_task": f"{cpu_curr(prog, cpu).value_():x}"}


CASES = (
    Case("set -a {marker_pid}", True),
    Case("ps {marker_pid} {panic_pid}", True),
    Case("set {marker_pid}", True),
    Case("set -c {marker_cpu}", True),
    # crash finds no start on a marked task's stacks and walks it from its saved stack pointer
    # without its frame pointer: frames that ORC sizes from RBP are scanned, stale return
    # addresses included (as crash prints them)
    Case("bt -c {marker_cpu}", True),
    Case("runq", True),
    Case("runq -c {marker_cpu}", True),
    Case("runq -m", True),
    Case("runq -g", True),
    Case("set -a 0", True),
    Case("set -a", True),
    Case("set -a 999999", True),
    Case("set -a ffff", True),
    Case("set -a {marker_cpu_task}", True),
    Case("ps {marker_pid}", True),
    Case("set -c {marker_cpu}", True),
)
