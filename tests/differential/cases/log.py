"""log and its options."""

from tests.differential.suite import HZ_BUG, Case

CASES = (
    Case("log", True),
    Case("log -t", True),
    Case("log -m", True),
    Case("log -c", True),
    Case("log -d", True),
    Case("log -t -m -c", True),
    Case("log -T", True, {"6.12": ("[", HZ_BUG)}),
    Case("log -a", True),
)
