"""whatis: declarations, ptype text (-o offsets, struct.member), enums, typedefs, errors.

Known differences, left out of the suite:
- gdb sees extern declarations that drgn cannot: `_text`, `phys_base` and other linker or
  assembly symbols declared in C print their declared type in crash, "no debug info" here;
  arrays whose first declaration has no size print `[]` in crash (sys_call_table, node_data).
- names defined twice (static functions, variables and types in several files): gdb and drgn
  may pick different definitions, and drgn's choice can vary between runs.
- module symbols and types: crash knows them only after `mod -S`; crashsh loads them at start.
"""

from tests.differential.suite import Case

CASES = (
    Case("whatis -o task_struct", True),
    Case("whatis -o list_head", True),
    Case("whatis mm_struct", True),
    Case("whatis page", True),
    Case("whatis -o page", True),
    Case("whatis struct page", True),
    Case("whatis union list_head", True),
    Case("whatis file_operations", True),
    Case("whatis -o file_operations", True),
    Case("whatis sk_buff", True),
    Case("whatis -o sk_buff", True),
    Case("whatis dentry", True),
    Case("whatis -o dentry", True),
    Case("whatis kobject", True),
    Case("whatis -o kobject", True),
    Case("whatis qspinlock", True),
    Case("whatis -o qspinlock", True),
    Case("whatis pid_type", True),
    Case("whatis enum pid_type", True),
    Case("whatis PIDTYPE_MAX", True),
    Case("whatis MM_FILEPAGES", True),
    Case("whatis atomic_t", True),
    Case("whatis -o atomic_t", True),
    Case("whatis pgd_t", True),
    Case("whatis spinlock_t", True),
    Case("whatis -o spinlock_t", True),
    Case("whatis u32", True),
    Case("whatis int", True),
    Case("whatis unsigned long", True),
    Case("whatis bool", True),
    Case("whatis void", True),
    Case("whatis irqreturn_t", True),
    Case("whatis irq_handler_t", True),
    Case("whatis work_func_t", True),
    Case("whatis pgtable_t", True),
    Case("whatis cpumask_var_t", True),
    Case("whatis elf_gregset_t", True),
    Case("whatis schedule", True),
    Case("whatis vfs_read", True),
    Case("whatis _printk", True),
    Case("whatis strcpy", True),
    Case("whatis panic", True),
    Case("whatis kthread_create_on_node", True),
    Case("whatis jiffies", True),
    Case("whatis init_task", True),
    Case("whatis init_mm", True),
    Case("whatis mutex", True),
    Case("whatis kmalloc_caches", True),
    Case("whatis __per_cpu_offset", True),
    Case("whatis runqueues", True),
    Case("whatis startup_64", True),
    Case("whatis entry_SYSCALL_64", True),
    Case("whatis task_struct.pid", True),
    Case("whatis dentry.d_u", True),
    Case("whatis page.lru", True),
    Case("whatis list_head.nosuch", True),
    Case("whatis nosuchthing", True),
    Case("whatis struct nosuchthing", True),
    Case("whatis -o nosuchthing", True),
    Case("whatis init_task.pid", True),
    Case("whatis init_task.comm", True),
    Case("whatis jiffies.x", True),
    Case("whatis", True),
    Case("whatis struct", True),
)
