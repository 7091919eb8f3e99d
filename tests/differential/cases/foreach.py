"""foreach task selection (with `set`, whose output is simplest) and sub-commands."""

from tests.differential.suite import Case

CASES = (
    Case("foreach crashsh_sleeper set", True),
    Case("foreach 'crashsh_.*' RU set", True),
    Case("foreach {marker_pid} {panic_task} set", True),
    Case("foreach user IN set", True),
    Case("foreach kernel RU set", True),
    Case("foreach active set", True),
    Case("foreach gleader ST set", True),
    Case("foreach ZO set", True),
    Case("foreach 'kworker' set", True),
    Case("foreach bt", True),
    Case("foreach crashsh_sleeper bt -f", True),
    Case("foreach RU bt -t", True),
    Case("foreach kernel bt -s -x", True),
    Case("foreach 'crashsh' bt -l", True),
    Case("foreach bt -R schedule", True),
    Case("foreach ZO bt -r", True),
    Case("foreach ps", True),
    Case("foreach 1 ps -p", True),
)
