"""dis: whole functions, counts, symbol+off, addresses, -r -f -l -x -h -d -s -b -U, module
functions.

Known differences, left out of the suite:
- aliases at one address (memset/__memset, memcpy/__memcpy): crash names the alias its symbol
  lookup cache last stopped at (symval_hash_search's val_hash_last), so the name depends on the
  session's history; crashsh names the first alias, as a fresh crash session does.
- freed init text: gdb decodes the leftover bytes of a few instructions differently, and a
  function whose pages are excluded from the dump leaves crash's line unfinished.
- ``dis -s``: crash writes its "source code is not available" error into the redirected
  output's temporary file, so the suite sees only FILE and LINE (tests/test_dis.py checks them).
"""

from tests.differential.suite import Case

FUNCTIONS = (
    "schedule", "__schedule", "panic", "sysrq_handle_crash", "__warn_printk", "crash_kexec",
    "do_syscall_64", "__x64_sys_getpid", "vfs_read", "ksys_write", "find_vma", "idr_find",
    "strlen", "strcmp", "memchr", "strncpy_from_user", "copy_page", "clear_page_rep",
    "csum_partial", "native_irq_return_iret", "kernel_fpu_begin_mask", "fpu__init_cpu",
    "fpu_clone", "cpuidle_enter_state", "irqentry_exit", "sysvec_apic_timer_interrupt",
    "lockref_get", "rwsem_down_read_slowpath", "_raw_spin_lock", "crashsh_kthread_fn",
)

CASES = tuple(Case(f"dis {name}", True) for name in FUNCTIONS) + (
    Case("dis -l schedule", True),
    Case("dis -l panic", True),
    Case("dis -x schedule", True),
    Case("dis -d sysrq_handle_crash", True),
    Case("dis -r schedule+20", True),
    Case("dis -r schedule", True),
    Case("dis -r schedule+3", True),
    Case("dis -r schedule+100 3", True),
    Case("dis -r -l schedule+60", True),
    Case("dis -f schedule+100", True),
    Case("dis -f schedule+100 2", True),
    Case("dis -x schedule 5", True),
    Case("dis schedule 10", True),
    Case("dis schedule+100", True),
    Case("dis -x schedule+100 3", True),
    Case("dis (schedule+5)", True),
    Case("dis {schedule_plus_5}", True),
    Case("dis {schedule_plus_5} 4", True),
    Case("dis crashsh_kthread_fn 6", True),
    Case("dis -r crashsh_kthread_fn+30", True),
    Case("dis -x crashsh_kthread_fn", True),
    Case("dis -l crashsh_kthread_fn", True),
    Case("dis -u schedule 3", True),
    Case("dis -u {schedule_plus_5} 2", True),
    Case("dis schedule+5000", True),
    Case("dis fpu__init_cpu_xstate", True),
    Case("dis -x -r schedule+40 4", True),
    Case("dis -l -f schedule+100", True),
    Case("dis -rl schedule+30", True),
    Case("dis panic+10 3", True),
    Case("dis jiffies", True),
    Case("dis -b", True),
    Case("dis nosuchsym", True),
    Case("dis schedul", True),
    Case("dis -r -f schedule", True),
    Case("dis -s -r schedule", True),
    Case("dis -d -x schedule", True),
    Case("dis schedule 0", True),
    Case("dis", True),
    # -b N sets the bytes crash skips after ud2a for the session (its x86_64 filter does not
    # use them), -U prints gdb's own lines, -h is -x
    Case("dis -b", True),
    Case("dis -b 4", True),
    Case("dis -b", True),
    Case("dis -b 4 schedule 3", True),
    Case("dis -B 2", True),
    Case("dis -b", True),
    Case("dis -b 0", True),
    Case("dis -U schedule 3", True),
    Case("dis -U {schedule_plus_5} 2", True),
    Case("dis -h schedule 2", True),
    Case("dis -Ux schedule 2", True),
    Case("dis -U -u {schedule_plus_5} 2", True),
    Case("dis -U schedule", True),
    Case("dis -U jiffies", True),
    Case("dis -h -d schedule", True),
    Case("dis -b", True),
)
