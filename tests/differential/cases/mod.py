"""mod: listing (after crash's mod -S), -t, -s, -d, -D; -S and -s without a directory or
file search crash's places (the distro's trees, then the vmlinux file's directory, where the
fixtures keep their modules)."""

from tests.differential.suite import Case

CASES = (
    Case("mod", True),
    Case("mod -t", True),
    Case("mod -s crashsh_test", True),
    Case("mod -S {moddir}", True),
    Case("mod -d virtio_blk", True),
    Case("mod", True),
    Case("mod -D", True),
    Case("mod -S {moddir}", True),
    Case("mod -r", True),
    Case("mod -g", True),
    Case("mod -o", True),
    Case("mod -R", True),
    Case("mod -S {moddir} -r", True),
    Case("mod -D", True),
    Case("mod -s virtio_blk", True),
    Case("mod -S {moddir}/kernel/drivers/virtio", True),  # crash's line for each other module
    Case("mod -S", True),
    Case("mod -S /nonexistent", True),
    Case("mod -s crashsh_test -g", True),  # state is shared by later lines: leave it loaded
)
