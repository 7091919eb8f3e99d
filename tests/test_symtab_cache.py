"""The on-disk cache of crash's vmlinux symbol table gives back exactly what a fresh read does."""

from __future__ import annotations

from crashsh.toolchain import symtab


def test_cached_table_equals_a_fresh_read(crashsh, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    table = crashsh.session.symtab
    vmlinux = crashsh.session.prog.main_module().debug_file_path
    fresh = symtab.read_kernel_table(table.vmlinux, table.kaslr)
    assert symtab.load_cached_table(vmlinux, table.kaslr) is None
    symtab.store_cached_table(vmlinux, table.kaslr, fresh)
    cached = symtab.load_cached_table(vmlinux, table.kaslr)
    assert (cached.values, cached.types, cached.names) == (fresh.values, fresh.types, fresh.names)
    assert (cached.first_ksymbol, cached.percpu) == (fresh.first_ksymbol, fresh.percpu)
    assert symtab.load_cached_table(vmlinux, table.kaslr + 4096) is None  # keyed by KASLR
