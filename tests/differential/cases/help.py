"""help: the lines crashsh's help shares with crash's: -r (each CPU's registers from the dump
file's NT_PRSTATUS notes) and the message for a name without a page. The pages and the other
tables are crashsh's own (tests/test_help.py)."""

from tests.differential.suite import Case

CASES = (
    Case("help -r", True),
    Case("help nosuchcommand", True),
)
