"""p (and gdb's print, p/FMT): expressions, the value history, crash's leader for a symbol,
per-cpu symbols, formats and errors. All lines run in one session, so the history numbers
($N) are part of the comparison. This module sorts before mod.py on purpose: the `mod` lines
(`mod -R`, `mod -r`, ...) leave crash's gdb without module symbols for the rest of the session
(`p crashsh_param` then fails, and crash's output filter for `p` is off), while these lines
need the state crash starts in after `mod -S`.

Left out: `linux_banner` (on 6.12 gdb takes its extern declaration `const char []` where drgn
has the definition's size), gdb's warnings (`p 1 << 40` prints "warning: left shift count >= width of type"),
`p/a` (crash fails after printing `$N = `), casts to `long` of addresses (crash's gdb
truncates `(long)&jiffies` to 32 bits), and lines with `>`, `<`, `|` or `!` outside `->`,
which both read as redirections, pipes or shell escapes. gdb's own commands (`print`, `p/FMT`)
end in a word that is not a number: crash strips a redirection from their line after the
rightmost occurrence of the last word, which a number can have inside the output file's name,
and so can a word like `-x` (`gdb -x` is left out: the harness's temporary directory name decides
whether crash's error line shows the redirection).
"""

from __future__ import annotations

import drgn

from tests.differential.suite import Case

CASES = (
    Case("p jiffies", True),
    Case("p jiffies_64", True),
    Case("p $", True),
    Case("p $$", True),
    Case("p $$2", True),
    Case("p $1", True),
    Case("p $0", True),
    Case("p $999", True),
    Case("p -x jiffies", True),
    Case("p -d jiffies", True),
    Case("px jiffies", True),
    Case("pd jiffies", True),
    Case("p init_task.pid", True),
    Case("p init_task.comm", True),
    Case("p &init_task.comm", True),
    Case("p init_task.comm[0]", True),
    Case("p init_task.se.load", True),
    Case("p init_task.mm", True),
    Case("p init_task.sched_class", True),
    Case("p *init_task.sched_class", True),
    Case("p init_task.sched_class->enqueue_task", True),
    Case("p init_task.thread_pid->numbers[0]", True),
    Case("p *init_task.thread_pid", True),
    Case("p init_task.tasks", True),
    Case("p init_task.tasks.next", True),
    Case("p *init_task.tasks.next", True),
    Case("p init_task.cpus_mask", True),
    Case("p init_task.pi_lock", True),
    Case("p init_uts_ns.name.release", True),
    Case("p init_uts_ns.name", True),
    Case("p &init_uts_ns.name", True),
    Case("p saved_command_line", True),
    Case("p &saved_command_line", True),
    Case("p *saved_command_line@4", True),
    Case("p (char *)linux_banner", True),
    Case("p (unsigned char *)linux_banner", True),
    Case("p init_task.stack", True),
    Case("p init_task.stack + 8", True),
    Case("p &init_task + 1", True),
    Case("p &jiffies", True),
    Case("p schedule", True),
    Case("p &schedule", True),
    Case("p *&schedule", True),
    Case("p init_task.thread_info", True),
    Case("p init_task.__state", True),
    Case("p init_task.policy", True),
    Case("p init_task.on_cpu", True),
    Case("p init_task.se.on_rq", True),
    Case("p (enum pid_type)1", True),
    Case("p (enum pid_type)7", True),
    Case("p (struct file *)0", True),
    Case("p sizeof(struct task_struct)", True),
    Case("p sizeof init_task", True),
    Case("p sizeof(init_task.comm)", True),
    Case("p sizeof(long) * 2", True),
    Case("p 1+2*3", True),
    Case("p (5 - 3)", True),
    Case("p 5 - 3", True),
    Case("p 10 % 3", True),
    Case("p ~0", True),
    Case("p 0x10", True),
    Case("p 010", True),
    Case("p 4294967296", True),
    Case("p 0xffffffffffffffff", True),
    Case("p 'A'", True),
    Case("p 'a'+1", True),
    Case("p (char)65", True),
    Case("p init_task.pid == 0", True),
    Case("p init_task.pid ? 1 : 2", True),
    Case("p init_task.flags & 0x2", True),
    Case("p init_task.se.load.weight / 1024", True),
    Case("p *init_task.comm@3", True),
    Case("p init_task.comm[1]@3", True),
    Case("p nr_cpu_ids", True),
    Case("p modules", True),
    Case("p crashsh_param", True),
    Case("p &crashsh_param", True),
    Case("p crashsh_test_list", True),
    Case("p crashsh_test_list.next", True),
    Case("p crashsh_obj_ctor", True),
    Case("p runqueues", True),
    Case("p runqueues:1", True),
    Case("p jiffies:0", True),
    Case("p -x init_task.comm", True),
    Case("p -x init_task.prio", True),
    Case("p -x init_task.se.load", True),
    Case("p -x $", True),
    Case("p *(struct file *){marker_file}", True),
    Case("p ((struct file *){marker_file})->f_path.dentry->d_name", True),
    Case("p (struct file *){marker_file}", True),
    Case("print jiffies", True),
    Case("print", True),
    Case("print/x jiffies", True),
    Case("p/x jiffies", True),
    Case("p /x init_task.pid", True),
    Case("p/x init_task.tasks", True),
    Case("p/d init_task.tasks", True),
    Case("p/x init_task.sched_class", True),
    Case("p/c init_task.comm", True),
    Case("p/s init_task.comm", True),
    Case("p/x init_task.comm", True),
    Case("p/o init_task.prio", True),
    Case("p/t init_task.prio", True),
    Case("p/c init_task.prio", True),
    Case("p/d 'A'", True),
    Case("p/u init_task.exit_signal - init_task.prio", True),
    Case("p/s saved_command_line", True),
    Case("p/o init_task.se.load.weight", True),
    Case("p/x", True),
    # errors
    Case("p", True),
    Case("p -x", True),
    Case("p -1", True),
    Case("p nosuch", True),
    Case("p 1/0", True),
    Case("p jiffies jiffies", True),
    Case("p *(int *)0x10", True),
    Case("p *(struct file *)0", True),
    Case("p init_task.nosuch", True),
    Case("p (struct nosuch *)0", True),
    Case("p (long)jiffies - 1", True),
    Case("print nosuch", True),
    Case("print -x jiffies", True),
    Case("p/x nosuch", True),
    Case("p/x -x jiffies", True),
    Case("p -z jiffies", True),
    Case("p -x -d jiffies", True),
    Case("p runqueues:99", True),
    Case("p runqueues:0,zz", True),
)


def placeholders(prog: drgn.Program, marker_pid: int) -> dict[str, str]:
    """The marker's open regular file (fd 3) for `p *(struct file *)ADDR`; init_task's
    tasks list_head and the next task's (for struct and -l)."""
    from drgn.helpers.linux.pid import find_task

    fd = find_task(prog, marker_pid).files.fdt.fd
    tasks = prog["init_task"].tasks
    return {
        "marker_file": f"{fd[3].value_():#x}",
        "init_tasks": f"{tasks.address_:x}",
        "next_tasks": f"{tasks.next.value_():x}",
        "pid_offset": str(drgn.offsetof(prog.type("struct task_struct"), "pid")),
    }
