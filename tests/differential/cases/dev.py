"""dev: character and block devices, -d/-D disk I/O, -i resources, -p PCI, -V and -v device dumps,
crash's first-option-wins reading and its usage errors."""

from tests.differential.suite import Case

CASES = (
    Case("dev", True),
    Case("dev -d", True),
    Case("dev -D", True),
    Case("dev -i", True),
    Case("dev -p", True),
    Case("dev -V", True),
    Case("dev -p -d", True),
    Case("dev -D -i", True),
    Case("dev -d 1", True),
    Case("dev 1", True),
    Case("dev -x", True),
    Case("dev -v 0", True),
    Case("dev -v x", True),
    Case("dev -v 0 a b", True),
    Case("dev -v -1", True),
    Case("dev -v 1 -d", True),
)
