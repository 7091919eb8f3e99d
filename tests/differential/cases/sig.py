"""sig: the context task, pids and task addresses, a thread group (-g, also by a thread's pid
and for the idle tasks), -l, -s, crash's messages for bad input and -R, and foreach sig."""

from tests.differential.suite import Case

CASES = (
    Case("sig", True),
    Case("sig 1", True),
    Case("sig {marker_pid}", True),
    Case("sig {panic_task}", True),
    Case("sig 1 {panic_pid}", True),
    Case("sig 0", True),
    Case("sig -g", True),
    Case("sig -g 1", True),
    Case("sig -g 0", True),
    Case("sig -g {thread_tid}", True),
    Case("sig {threads_pid}", True),
    Case("sig {stopped_pid} {zombie_pid}", True),
    Case("sig -l", True),
    Case("sig -s 0x4000", True),
    Case("sig -s 10004", True),
    Case("sig -s 0", True),
    Case("sig -s ffffffffffffffff", True),
    Case("sig -s zz", True),
    Case("sig foo", True),
    Case("sig 99999", True),
    Case("sig pid", True),
    Case("sig -R x", True),
    Case("sig -x", True),
    Case("foreach sig", True),
    Case("foreach sig -g", True),
    Case("foreach 1 2 sig -g", True),
    Case("foreach sig -l", True),
    Case("foreach {marker_pid} sig", True),
)
