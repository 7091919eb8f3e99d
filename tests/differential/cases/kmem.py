"""kmem: -i -s -S -v -V -z -n -f -F -p -g -h -o and kmem ADDRESS."""

from __future__ import annotations

import drgn

from tests.differential.suite import Case

VM_IOREMAP = 0x1

COMMITTED = ("    COMMITTED ", "crash prints only vm_committed_as.count, the percpu counter's "
             "central part; crashsh prints the full sum (checked against the guest's Committed_AS)")
MEMORY_BLOCK_STATE = (" ffff", "crash decodes memory_block.state as the old MEM_* bit flags; "
                      "6.12 made them an enum (MEM_ONLINE = 0), so crash shows UNKNOWN where "
                      "crashsh shows ONLINE")

CASES = (
    Case("kmem -i", True, {"6.1": COMMITTED, "6.12": COMMITTED}),
    Case("kmem -s", True),
    Case("kmem -s crashsh_test_cache", True),
    Case("kmem -s {test_cache}", True),
    Case("kmem -s list", True),
    Case("kmem -s no_such_cache", True),
    Case("kmem -s {test_object}", True),
    Case("kmem -s {test_slab}", True),
    Case("kmem -s {test_cache} {test_object}", True),
    Case("kmem -s crashsh_test_cache {test_object}", True),
    Case("kmem -s a b", True),
    Case("kmem -s {unmapped}", True),
    Case("kmem -S crashsh_test_cache", True),
    Case("kmem -S {test_object}", True),
    Case("kmem -S {test_cache}", True),
    Case("kmem -S", True),
    Case("kmem -V", True),
    Case("kmem -z", True),
    Case("kmem -v", True),
    Case("kmem -v {panic_stack} {ioremap}", True),
    Case("kmem -n", True, {"6.12": MEMORY_BLOCK_STATE}),
    Case("kmem -f", True),
    Case("kmem -F", True),
    Case("kmem -f {free_block}", True),
    Case("kmem -f 1000 {free_block_phys_2nd}", True),
    Case("kmem -p", True),
    Case("kmem -p {test_object} 1000 {beyond_memory} 2000", True),
    Case("kmem -p {panic_stack}", True),
    Case("kmem -g", True),
    Case("kmem -g 10200 3", True),
    Case("kmem -g 80000000", True),
    Case("kmem -h", True),
    Case("kmem -o", True),
    Case("kmem {test_object}", True),
    Case("kmem {test_free_object}", True),
    Case("kmem {test_slab}", True),
    Case("kmem {test_object_phys}", True),
    Case("kmem -P {test_object}", True),
    Case("kmem {panic_task}", True),
    Case("kmem {panic_task_inside}", True),
    Case("kmem {panic_stack}", True),
    Case("kmem {panic_stack_phys}", True),
    Case("kmem {ioremap}", True),
    Case("kmem {linux_banner}", True),
    Case("kmem {schedule_plus_5}", True),
    Case("kmem {module_text}", True),
    Case("kmem {module_text_phys}", True),
    Case("kmem {free_block}", True),
    Case("kmem {free_block_phys_2nd}", True),
    Case("kmem {free_block_page_2nd}", True),
    Case("kmem {beyond_memory}", True),
    Case("kmem {unmapped}", True),
    Case("kmem 1000 2000", True),
    Case("kmem", True),
    Case("kmem jiffies", True),
    Case("kmem -i -s", True),
    Case("kmem -s -S crashsh_test_cache", True),
    Case("kmem -F -f", True),
    Case("kmem -z 1000", True),
    Case("kmem -c", True),
    Case("kmem -r", True),
)


def placeholders(prog) -> dict[str, str]:
    """Addresses for the kmem lines: the test module's slab objects, stacks, free blocks..."""
    from crashsh.kernel import memmap, meminfo, slab

    m = memmap.mem_map(prog)
    w = slab.walker(prog)
    cache = w.find_cache("crashsh_test_cache")
    obj = prog["crashsh_test_objs"][0].value_()
    _, test_slab = w.slab_of_address(obj)
    owner = w.slab_owner(cache, test_slab)
    free_obj = next(a for a, free in w.objects(cache, test_slab, owner.freelist if owner else 0)
                    if free)
    panic = prog.crashed_thread().object
    stack = panic.stack.value_() + 0x100
    ioremap = next(a for a in memmap.vmap_areas(prog)
                   if drgn.Object(prog, "struct vm_struct *", a.vm).flags & VM_IOREMAP)
    module_text = prog.symbol("crashsh_kthread_fn").address
    block = next(page for span in meminfo.zone_spans(prog) if span.free  # a multi-page block
                 for fl in meminfo.free_lists(span.zone) if fl.order >= 2 for page in fl.pages)
    block_phys = m.pfn_of_page(block) << m.pfn_shift
    end_phys = m.node_ranges[-1][2] << m.pfn_shift
    hexes = {
        "test_cache": cache.address,
        "test_object": obj,
        "test_free_object": free_obj,
        "test_slab": test_slab.address,
        "test_object_phys": memmap.kvtop(prog, obj),
        "panic_task_inside": panic.value_() + 0x40,
        "panic_stack": stack,
        "panic_stack_phys": memmap.kvtop(prog, stack),
        "ioremap": ioremap.start + 0x10,
        "linux_banner": prog.symbol("linux_banner").address,
        "module_text": module_text,
        "module_text_phys": memmap.kvtop(prog, module_text),
        "free_block": block,
        "free_block_phys_2nd": block_phys + 0x1010,
        "free_block_page_2nd": block + m.struct_size,
        "beyond_memory": end_phys,
        "unmapped": prog["vmalloc_base"].value_() - (1 << 30),
    }
    return {key: f"{value:x}" for key, value in hexes.items()}
