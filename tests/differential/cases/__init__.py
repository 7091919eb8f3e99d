"""Suite cases per command family: each module defines CASES, a tuple of suite.Case."""
