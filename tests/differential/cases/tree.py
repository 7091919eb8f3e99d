"""tree: rbtrees (top-down, -l, -p, -N), XArrays (-p, one entry and several levels), maple
trees (a VMA tree with internal nodes, -p -x -v), -s/-S members, and crash's errors.
Placeholders come from tests/differential/cases/list.py.

`-t radix` on these kernels is crash's "radix trees do not exist" error: radix_tree_root is
an XArray since 4.20 and crash looks for the old struct.
"""

from tests.differential.suite import Case

CASES = (
    Case("tree -t rbtree -o vmap_area.rb_node free_vmap_area_root", True),
    Case("tree -t rbtree -o vmap_area.rb_node free_vmap_area_root -p -s vmap_area.va_start", True),
    Case("tree -o vmap_area.rb_node free_vmap_area_root -l -S vmap_area.va_start,va_end", True),
    Case("tree -o vmap_area.rb_node free_vmap_area_root -l -p -x -s vmap_area", True),
    Case("tree -t rbtree {cpu0_timeline} -o sched_entity.run_node -p", True),
    Case("tree -t rbtree -N 0", True),
    Case("tree -t rbtree -N {free_vmap_rb_node} -o vmap_area.rb_node -p", True),
    Case("tree -t maple -N {threads_mt_root} -p -x", True),
    Case("tree -t xarray -N {init_exe_xa_node} -p", True),
    Case("tree -t maple -r mm_struct.mm_mt {marker_mm}", True),
    Case("tree -t maple -r mm_struct.mm_mt {marker_mm} -p -S vm_area_struct.vm_start", True),
    Case("tree -t maple -r mm_struct.mm_mt {marker_mm} -x -p", True),
    Case("tree -t maple -r mm_struct.mm_mt {marker_mm} -v", True),
    Case("tree -t maple -r mm_struct.mm_mt {marker_mm} -v -x -p", True),
    Case("tree -t maple -r mm_struct.mm_mt {marker_mm} -s vm_area_struct.vm_start,vm_flags", True),
    Case("tree -t maple -r mm_struct.mm_mt {threads_mm} -p", True),
    Case("tree -t maple -r mm_struct.mm_mt {threads_mm} -v", True),
    Case("tree -t maple -r mm_struct.mm_mt {threads_mm} -v -x", True),
    Case("tree -t m -r mm_struct.mm_mt {threads_mm} -S vm_area_struct.vm_start,vm_end -x", True),
    Case("tree -t maple -r mm_struct.mm_mt init_mm -p", True),
    Case("tree -t maple -r mm_struct.mm_mt init_mm -v", True),
    Case("tree -t xarray -r address_space.i_pages {marker_file_mapping} -p", True),
    Case("tree -t x -r address_space.i_pages {marker_file_mapping} -s page.flags", True),
    Case("tree -t xarray -r address_space.i_pages {init_exe_mapping} -p", True),
    Case("tree -t xarray -r address_space.i_pages {init_exe_mapping} -S page.index -d", True),
    Case("tree -t radix -r address_space.i_pages {marker_file_mapping} -p -s page.flags", True),
    # errors
    Case("tree", True),
    Case("tree 1234", True),
    Case("tree init_mm 1", True),
    Case("tree -t foo init_task", True),
    Case("tree -t rb -t rb init_task", True),
    Case("tree -t maple -l init_mm", True),
    Case("tree -t xarray -o 8 init_mm", True),
    Case("tree -t rbtree -v init_mm", True),
    Case("tree -r 8 -N init_mm", True),
    Case("tree -t maple init_mm.mm_mt", True),
    Case("tree -x -d init_mm", True),
    Case("tree -r 8 -r 8 init_mm", True),
    Case("tree -o vmap_area.nosuch free_vmap_area_root", True),
    Case("tree -o vmap_area.rb_node free_vmap_area_root -S vmap_area.nosuch", True),
)
