"""kmem's other options: -m (and -p -m), -l/-L, -I, -S=cpus, -i=shared and getopt's readings
of them (-is is -i with the argument "s"; -S takes its CPU list only in the same word).
Addresses come from the kmem and files placeholders."""

from __future__ import annotations

from tests.differential.cases.kmem import COMMITTED
from tests.differential.suite import Case

KINDS = ("compound_order,compound_mapcount,ptl,ptl.rlock.raw_lock.locked,mlock_count,"
         "_mapcount.counter,callback_head,callback_head.func,lru->next,page_type,memcg_data")

CASES = (
    # -m: the header, then a row per struct page (all, or those of the addresses)
    Case("kmem -m flags,lru.next,_refcount,_mapcount,mapping,index,private", True),
    Case("kmem -m lru {test_slab} {test_object} 1000 {beyond_memory} {unmapped} 2000", True),
    Case("kmem -p -m mapping,index,flags,_refcount -P {marker_data_phys}", True),
    Case("kmem -m flags -p {marker_data_phys}", True),
    Case(f"kmem -m {KINDS} {{test_slab}} {{free_block}}", True),  # 6.12: no compound_order
    Case("kmem -m callback_head,_refcount.counter,mapping {free_block}", True),
    # gdb's output radix: integers in hex, except flags (always) and _mapcount (never)
    Case("set radix 16", True),
    Case("kmem -m index,mlock_count,_mapcount.counter,_refcount.counter,page_type,flags "
         "{test_slab} {free_block}", True),
    Case("set radix 10", True),
    Case("kmem -m slab_cache", True),
    Case("kmem -m flags,", True),
    Case("kmem -m flags.", True),
    Case("kmem -m ,", True),
    Case("kmem -m lru.next.next", True),
    Case("kmem -m flags.bits", True),
    Case("kmem -m index+1", True),
    Case("kmem -m", True),
    Case("kmem -m flags -s", True),
    Case("kmem -s -m bogus", True),
    # -l/-L: the 2.4 kernels' LRU lists
    Case("kmem -l a", True),
    Case("kmem -l i", True),
    Case("kmem -L ic", True),
    Case("kmem -L id", True),
    Case("kmem -l x", True),
    Case("kmem -l i -L a", True),
    Case("kmem -l a {test_slab}", True),
    Case("kmem -L i 1000", True),
    Case("kmem -l a -s", True),
    # -I: caches crash shows as [IGNORED]
    Case("kmem -s -I kmalloc-8,crashsh_test_cache", True),
    Case("kmem -S -I kmem_cache", True),
    Case("kmem -s crashsh_test_cache -I crashsh_test_cache", True),
    Case("kmem -S crashsh_test_cache -I kmalloc-8", True),
    Case("kmem -s -I crashsh_test_cache {test_object}", True),
    Case("kmem -S -I crashsh_test_cache {test_slab}", True),
    Case("kmem -s -I crashsh_test_cache {test_cache}", True),
    Case("kmem -s list -I crashsh_test_cache", True),
    Case("kmem -I crashsh_test_cache {test_object}", True),
    Case("kmem -I crashsh_test_cache", True),
    # -S=cpus: those CPUs' slabs (and PER-CPU counts only them)
    Case("kmem -S=0 crashsh_test_cache", True),
    Case("kmem -S=1 crashsh_test_cache", True),
    Case("kmem -S=a crashsh_test_cache", True),
    Case("kmem -S=1- crashsh_test_cache", True),
    Case("kmem -S= crashsh_test_cache", True),
    Case("kmem -S=1,0 -I kmalloc-8 {test_cache}", True),
    Case("kmem -S=0 {test_object}", True),
    Case("kmem -S -S=0 crashsh_test_cache", True),
    Case("kmem -S=0 -s crashsh_test_cache", True),
    Case("kmem -S=5 crashsh_test_cache", True),
    Case("kmem -S=x crashsh_test_cache", True),
    Case("kmem -Sx", True),
    Case("kmem -S=0 -S=1", True),
    Case("kmem -S=0 -S", True),
    Case("kmem -S \\list", True),
    Case("kmem -s \\list", True),
    # -i=shared: SHARED counted over every struct page
    Case("kmem -i=shared", True, {"6.1": COMMITTED, "6.12": COMMITTED}),
    Case("kmem -is", True, {"6.1": COMMITTED, "6.12": COMMITTED}),
    Case("kmem -i=shared -s", True),
    # page cache hash table, root caches: crash's errors with addresses too
    Case("kmem -C 1000", True),
    Case("kmem -r 1000", True),
    Case("kmem -c 1000 2000", True),
)
