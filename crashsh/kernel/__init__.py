"""Kernel knowledge shared by commands, built on drgn's helpers."""
