"""list: next-pointer and list_head lists, -s/-S members, -h/-H/-r/-O/-l/-e, argument forms
and crash's errors.

Known differences: crash prints "invalid data structure member reference" while its output
goes to a temporary file, so it reaches the terminal but not a redirected file; crashsh prints
it in the output (as task -R does).
"""

from __future__ import annotations

import drgn

from tests.differential.suite import Case

TERMINAL_ONLY = "crash prints this message on the terminal only, not into a redirected file"
MEMBER_NOTICE = {s: ("list: invalid data structure member reference", TERMINAL_ONLY)
                 for s in ("6.1", "6.12")}


def placeholders(prog: drgn.Program, marker_pid: int, threads_pid: int) -> dict[str, str]:
    """For list and tree: kthreadd's children list head, the sixth node of the test module's
    list, CPU 0's CFS timeline (an rb_root_cached), the marker's open file's page cache, the
    page cache of pid 1's executable (a multi-level XArray) and a multi-threaded process's mm
    (a maple tree with internal nodes)."""
    from drgn.helpers.linux.list import list_for_each
    from drgn.helpers.linux.percpu import per_cpu
    from drgn.helpers.linux.pid import find_task

    from tests.differential.cases.files import placeholders as files_placeholders

    nodes = list(list_for_each(prog["crashsh_test_list"].address_of_()))
    timeline = per_cpu(prog["runqueues"], 0).cfs.tasks_timeline
    inode = int(files_placeholders(prog, marker_pid)["marker_file_inode"], 16)
    mapping = drgn.Object(prog, "struct inode *", inode).i_mapping
    return {
        "kthreadd_children": f"{find_task(prog, 2).children.address_of_().value_():x}",
        "crashsh_node_5": f"{nodes[5].value_():x}",
        "cpu0_timeline": f"{timeline.address_:x}",
        "marker_file_mapping": f"{mapping.value_():x}",
        "init_exe_mapping": f"{find_task(prog, 1).mm.exe_file.f_mapping.value_():x}",
        "threads_mm": f"{find_task(prog, threads_pid).mm.value_():x}",
        "threads_mt_root": f"{find_task(prog, threads_pid).mm.mm_mt.ma_root.value_():x}",
        "init_exe_xa_node":
            f"{find_task(prog, 1).mm.exe_file.f_mapping.i_pages.xa_head.value_():x}",
        "free_vmap_rb_node": f"{prog['free_vmap_area_root'].rb_node.value_():x}",
    }


CASES = (
    # the test module's list of 11 struct crashsh_node, linked by an embedded list_head
    Case("list -H crashsh_test_list", True),
    Case("list -r -H crashsh_test_list", True),
    Case("list crashsh_test_list", True),
    Case("list -s crashsh_node -H crashsh_test_list", True),
    Case("list -H crashsh_test_list -o 8 -s crashsh_node", True),
    Case("list -H crashsh_test_list -o 0x8", True),
    Case("list -h -o crashsh_node.list -s crashsh_node.value,list crashsh_test_list", True),
    Case("list crashsh_node.list -H crashsh_test_list -S crashsh_node.value,list,name", True),
    Case("list crashsh_node.list -H crashsh_test_list -s crashsh_node.value,list,name", True),
    Case("list -r -H crashsh_test_list -o crashsh_node.list -s crashsh_node.value", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -S crashsh_node.value,name -x", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -S crashsh_node.value,name -d", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -s crashsh_node.value,name -x", True),
    Case("list -H crashsh_test_list -s crashsh_node.value -o crashsh_node.list -d", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -s crashsh_node.list,value,name", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -S crashsh_node.list.next,value", True),
    Case("list -H crashsh_test_list -s crashsh_node.list.next -o crashsh_node.list", True),
    Case("list -H crashsh_test_list -s crashsh_node.list.next,value -o crashsh_node.list", True),
    Case("list -H crashsh_test_list -s crashsh_node.name[0] -o crashsh_node.list", True,
         MEMBER_NOTICE),
    Case("list -s crashsh_node.nosuch crashsh_test_list", True, MEMBER_NOTICE),
    Case("list -l crashsh_node.list -s crashsh_node.value crashsh_test_list", True),
    Case("list -l 8 -S crashsh_node.value,name crashsh_test_list", True),
    Case("list -O crashsh_node.list -h -o crashsh_node.list crashsh_test_list", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -e {crashsh_node_5}", True),
    Case("list -o 8 crashsh_test_list", True),
    Case("list -r crashsh_test_list", True),
    Case("list 8 crashsh_test_list", True),
    Case("list -H (crashsh_test_list+0) -o crashsh_node.list", True),
    Case("list -B -H crashsh_test_list -o crashsh_node.list -S crashsh_node.value", True),
    Case("list -B task_struct.parent {marker_task}", True),
    # kernel lists
    Case("list -H modules -o module.list -s module.name", True),
    Case("list -H modules -o module.list -S module.name,state,init", True),
    Case("list task_struct.tasks -s task_struct.pid,comm -h init_task", True),
    Case("list -o task_struct.tasks -S task_struct.pid,comm,mm -h init_task", True),
    Case("list -H init_task.tasks -o task_struct.tasks", True),
    Case("list -s task_struct.se.on_rq -h -o task_struct.tasks init_task", True),
    Case("list -h {panic_task} -o task_struct.tasks -s task_struct.comm -r", True),
    Case("list -H slab_caches -o kmem_cache.list -s kmem_cache.name,object_size", True),
    Case("list -H slab_caches -o kmem_cache.list -S kmem_cache.name,object_size,size -x", True),
    Case("list -H super_blocks -o super_block.s_list -s super_block.s_id", True),
    Case("list -H super_blocks -o super_block.s_list -S super_block.s_id,s_type,s_op", True),
    Case("list -o task_struct.sibling -H {kthreadd_children} -s task_struct.pid", True),
    Case("list task_struct.parent {marker_task}", True),
    Case("list task_struct.parent {marker_task} -s task_struct.comm", True),
    Case("list -o task_struct.parent -S task_struct.comm,pid {marker_task}", True),
    # errors
    Case("list", True),
    Case("list -x -d crashsh_test_list", True),
    Case("list -l 8 crashsh_test_list", True),
    Case("list -s nosuchstruct crashsh_test_list", True),
    Case("list -S crashsh_node.nosuch crashsh_test_list", True),
    Case("list -s crashsh_node -S crashsh_node crashsh_test_list", True),
    Case("list -e crashsh_test_list crashsh_test_list", True),
    Case("list nosuchsym", True),
    Case("list 0", True),
    Case("list 10 20", True),
    Case("list crashsh_test_list 1 2", True),
    Case("list -o 8 -H 0xffff000000000000", True),
    Case("list -H init_task.tasks -o task_struct.tasks -s nosuch", True),
    Case("list -H crashsh_test_list -o crashsh_node.list -o 8", True),
    Case("list -H crashsh_test_list crashsh_node.list -o 8", True),
    Case("list -H crashsh_test_list -o nosuch.member", True),
    Case("list -H crashsh_test_list -l nosuch.member -s crashsh_node", True),
    Case("list -H crashsh_test_list -l 8 -o 8 -s crashsh_node", True),
)
