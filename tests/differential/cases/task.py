"""task: whole task_structs in gdb's format, -x/-d, several tasks, -R members, foreach task.

Known differences (crash is wrong; tests/test_task.py checks crashsh's values instead):
- crash prints "not a task_struct or thread_info member" and "invalid data structure member
  reference" while its output goes to a temporary file, so they reach the terminal but never
  a redirected file; crashsh prints them in its output.
- crash reads gdb's text back with fgets() into 1500 bytes. The cpus_mask line is longer, so
  every dotted or indexed member after it (sched_info.pcount, pid_links[1], ...) is "invalid";
  crashsh prints its value. Aggregate members of that kind span several lines and stay
  incompatible; scalar ones are compared without that line.
"""

from tests.differential.suite import Case

TERMINAL_ONLY = "crash prints this message on the terminal only, not into a redirected file"
FGETS_BUG = "crash's 1500-byte fgets() splits the cpus_mask line and loses later members"


def terminal_only(series=("6.1", "6.12")) -> dict[str, tuple[str, str]]:
    return {s: ("task: ", TERMINAL_ONLY) for s in series}


def after_cpumask(line: str) -> dict[str, tuple[str, str]]:
    return {s: (line, FGETS_BUG) for s in ("6.1", "6.12")}


CASES = (
    Case("task", True),
    Case("task {marker_pid}", True),
    Case("task -x {panic_pid}", True),
    Case("task -d {panic_pid}", True),
    Case("task {panic_task}", True),
    Case("task {marker_pid} {panic_pid}", True),
    Case("task 0", True),
    Case("task 1 99999 2", True),
    Case("task 99999", True),
    Case("task bogus", True),
    Case("task -x -d", True),
    Case("task {zombie_pid}", True),
    Case("task {kthread_pid}", True),
    Case("task {thread_tid}", True),
    Case("task {stopped_pid}", True),
    Case("task pid comm {marker_pid}", True),
    # -R: top-level members, as crash greps them out of gdb's text
    Case("task -R pid,comm", True),
    Case("task -R mm {marker_pid}", True),
    Case("task -d -R prio {marker_pid}", True),
    Case("task -R flags", True),
    Case("task -R cpus_mask", True),
    Case("task -R pid_links", True),
    Case("task -R posix_cputimers", True),
    Case("task -R restart_block", True),
    Case("task -R perf_event_ctxp", True),
    Case("task -R rcu_users", True),
    Case("task -R blocked,saved_sigmask", True),
    Case("task -R comm {zombie_pid} {kthread_pid}", True),
    Case("task -R state", True, terminal_only()),
    Case("task -R comm,nosuch", True, terminal_only()),
    # -R: dotted and indexed members, re-parsed and printed by crash
    Case("task -R se.on_rq,thread_info", True),
    Case("task -x -R prio,se.load {marker_pid}", True),
    Case("task -R thread_info.cpu", True),
    Case("task -R se.avg.util_est", True),
    Case("task -R se.avg", True),
    Case("task -R cpus_mask,se.on_rq", True),
    Case("task -R wake_entry.u_flags", True),
    Case("task -R wake_entry.a_flags.counter", True),
    Case("task -R dl.dl_timer", True),
    Case("task -R dl.dl_timer.node.node.rb_right", True),
    Case("task -R usage.refs,se.run_node.rb_left", True),
    Case("task -R cpus_mask.bits[0]", True, terminal_only()),
    Case("task -R nosuch.member", True, terminal_only()),
    Case("task -R pid_links.next", True, terminal_only()),
    Case("task -R sched_info.pcount,rt.time_slice", True,
         after_cpumask("  sched_info.pcount = ")),
    Case("task -R ioac.rchar", True, after_cpumask("  ioac.rchar = ")),
    Case("task -R pid_links[1].pprev", True, after_cpumask("  pid_links[1].pprev = ")),
    Case("task -R restart_block.futex.uaddr", True,
         after_cpumask("  restart_block.futex.uaddr = ")),
    Case("task -R restart_block.nanosleep.rmtp", True,
         after_cpumask("  restart_block.nanosleep.rmtp = ")),
    Case("task -R pid_links[1]"),
    Case("task -R posix_cputimers.bases[2].tqhead"),
    Case("task -R restart_block.nanosleep"),
    Case("task -R thread.fpu.perm"),
    Case("task -R thread.tls_array[1]"),
    # foreach task: foreach prints the task line, except with -R
    Case("foreach crashsh_sleeper task", True),
    Case("foreach crashsh_sleeper task -x", True),
    Case("foreach crashsh_sleeper task -R __state", True),
    Case("foreach crashsh_sleeper task -R se.on_rq,comm", True),
    Case("foreach crashsh_sleeper task -R state", True, terminal_only()),
    Case("foreach {marker_pid} task -d -x", True),
    Case("foreach task", True),
    Case("foreach task -R comm,pid", True),
)
