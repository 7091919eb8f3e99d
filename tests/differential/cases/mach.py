"""mach: the machine's figures and stacks, -m the e820 map, -c each CPU's cpuinfo_x86 (in the
output radix, -x, -d), and crash's usage for -o (in its synopsis, not in its x86_64 getopt).

crash's HZ on 6.12 is its HZ=1000 guess (HZ_BUG); tests/test_mach.py checks crashsh's HZ
against the kernel's config.

crash reads sizeof(struct e820_table) from the e820_table pointer: 64,004 bytes with Debian's
MAX_NUMNODES, while the kernel's copy is kmemdup'd to its entries (a kmalloc-192 object for 8
entries; e820__reallocate_tables). Where that slab object lies within 64 KB of a hole (the
reserved range above RAM), crash's read faults and `mach -m` prints only its seek error (kdump)
or read error (ELF); where one of those 64 KB is a page makedumpfile left out (a free page),
crash prints nothing at all. The build's slab layout decides it. tests/test_mach.py checks
crashsh's e820 RAM ranges against the guest's /proc/iomem."""

from tests.differential.suite import HZ_BUG, Case

HZ_612 = {"6.12": ("                    HZ: ", HZ_BUG)}
E820_OVERREAD = (
    r'mach: (seek error|read error|page excluded): kernel virtual address: [0-9a-f]+  '
    r'type: "e820map"',
    "crash reads the whole struct e820_table past the kernel's shorter kmemdup'd copy",
)

CASES = (
    Case("mach", True, HZ_612),
    Case("mach -x", True, HZ_612),
    Case("mach -m", True, crash_fault=E820_OVERREAD),
    Case("mach -c", True),
    Case("mach -c -x", True),
    Case("mach -c -d", True),
    Case("mach -m -c", True, crash_fault=E820_OVERREAD),
    Case("mach -c -m", True, crash_fault=E820_OVERREAD),
    Case("mach -x -d", True),
    Case("mach -o", True),
    Case("mach extra", True, HZ_612),
)
