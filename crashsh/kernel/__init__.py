"""Kernel knowledge shared by commands, built on drgn's helpers (per-dump results are kept with
crashsh.dumpfacts.per_dump)."""
