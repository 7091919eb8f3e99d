"""crashsh: the crash utility's commands and output, on drgn."""

__version__ = "0.1.0"
