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
    Case("log -R", True),
    Case("log -R -m -c", True),
    Case("log -tR", True),
    Case("log -dR", True),
    Case("log -TR", True, {"6.12": ("[", HZ_BUG)}),
    Case("log -s", True),
    Case("log -s -m", True),
    Case("log -as", True),
    Case("log -aT", True),  # -a alone decides: the audit queues (empty on the fixtures)
    Case("log -ma", True),
)
