"""ipcs: each facility and all three, -M, -n by pid and task, ids and addresses, errors."""

from tests.differential.suite import Case

CASES = (
    Case("ipcs", True),
    Case("ipcs -s", True),
    Case("ipcs -m", True),
    Case("ipcs -q", True),
    Case("ipcs -M", True),
    Case("ipcs -sq", True),
    Case("ipcs -m -M", True),
    Case("ipcs -n {marker_pid}", True),
    Case("ipcs -n {marker_task} -q", True),
    Case("ipcs -n 99999", True),
    Case("ipcs -n", True),
    Case("ipcs 0", True),
    Case("ipcs -m 0 1", True),
    Case("ipcs -M 0", True),
    Case("ipcs -s {marker_task}", True),
    Case("ipcs xyz", True),
    Case("ipcs -x", True),
)
