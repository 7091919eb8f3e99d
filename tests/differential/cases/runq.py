"""runq: every option of crash 9.0.2's runq (-t -T -m -g -c and its hidden -d), alone and with
-c, the option precedence (-t, -T, -m, -d, -g), and crash's cpu-list and getopt errors.

The fixtures' queues hold only the running tasks: tests/test_runq.py checks the queue walks
on queues built over the dump's own tasks."""

from tests.differential.suite import Case

CASES = (
    Case("runq", True),
    Case("runq -t", True),
    Case("runq -T", True),
    Case("runq -m", True),
    Case("runq -g", True),
    Case("runq -d", True),
    Case("runq -c 0", True),
    Case("runq -c 1", True),
    Case("runq -c 0,1", True),
    Case("runq -c 0-1", True),
    Case("runq -c a", True),
    Case("runq -c 1 -t", True),
    Case("runq -c 1 -T", True),
    Case("runq -c 1 -m", True),
    Case("runq -c 1 -d", True),
    Case("runq -c 1 -g", True),
    Case("runq -c0 -g", True),
    Case("runq -t -m", True),
    Case("runq -m -d", True),
    Case("runq -g -d", True),
    Case("runq -T -g", True),
    Case("runq extra words", True),
    Case("runq -c -1", True),
    Case("runq -c 1-0", True),
    Case("runq -c 5", True),
    Case("runq -c x", True),
    Case("runq -c 0 -c 1", True),
    Case("runq -c 5 -c 1", True),
    Case("runq -c", True),
    Case("runq -a", True),
)
