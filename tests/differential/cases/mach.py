"""mach: the machine's figures and stacks, -m the e820 map, -c each CPU's cpuinfo_x86 (in the
output radix, -x, -d), and crash's usage for -o (in its synopsis, not in its x86_64 getopt).

crash's HZ on 6.12 is its HZ=1000 guess (HZ_BUG); tests/test_mach.py checks crashsh's HZ
against the kernel's config."""

from tests.differential.suite import HZ_BUG, Case

HZ_612 = {"6.12": ("                    HZ: ", HZ_BUG)}

CASES = (
    Case("mach", True, HZ_612),
    Case("mach -x", True, HZ_612),
    Case("mach -m", True),
    Case("mach -c", True),
    Case("mach -c -x", True),
    Case("mach -c -d", True),
    Case("mach -m -c", True),
    Case("mach -c -m", True),
    Case("mach -x -d", True),
    Case("mach -o", True),
    Case("mach extra", True, HZ_612),
)
