"""sym and crash's symbol table, on the real fixture dumps (and crash itself where it helps)."""

from __future__ import annotations

import random

import pytest

from crashsh.conventions.numbers import NumberError, htol, is_hexadecimal
from crashsh.toolchain.modsyms import strip_module_symbol_end, strip_symbol_end
from tests.differential.oracle import run_oracle


# -- pure rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, stripped", [
    ("vfs_statfs.part.0.isra.0", "vfs_statfs.part.0"),  # .isra. is looked for first
    ("can_map_frag.part.0", "can_map_frag"),
    ("foo.llvm.123", "foo"),
    ("name_to_dev_t.cold", "name_to_dev_t.cold"),
    ("set_bringup_idt_handler.constprop.0", "set_bringup_idt_handler.constprop.0"),
])
def test_strip_symbol_end(name, stripped):
    assert strip_symbol_end(name) == stripped


def test_strip_module_symbol_end():
    assert strip_module_symbol_end("printk_R1b7d4074") == "printk"
    assert strip_module_symbol_end("foo_Rsmp_1234") == "foo"
    assert strip_module_symbol_end("CRC_Rxyz") == "CRC_Rxyz"


def test_address_syntax():
    assert is_hexadecimal("ffffffff81000000") and is_hexadecimal("0x10") and is_hexadecimal("cafe")
    assert not is_hexadecimal("schedule") and not is_hexadecimal("x")
    assert htol("0xffffffffc0000000") == 0xFFFFFFFFC0000000
    assert htol("1x2") == 0x12 and htol("0x") == 0  # crash's htol() skips x
    with pytest.raises(NumberError, match=r'input string too large: "1{17}" \(17 vs 16\)'):
        htol("1" * 17)
    with pytest.raises(NumberError, match='invalid input: "12g"'):
        htol("0x12g")


# -- the fixture --------------------------------------------------------------------------------
def address_of(crashsh, name: str) -> int:
    return crashsh.session.prog.symbol(name).address


def test_kernel_symbol_has_kaslr_offset_and_source_line(crashsh):
    out = crashsh.run("sym schedule")
    assert out.startswith(f"{address_of(crashsh, 'schedule'):x} (T) schedule ")
    assert out.rstrip().endswith(tuple(f"/kernel/sched/core.c: {n}" for n in range(5000, 8000)))


def test_offset_inside_a_function(crashsh):
    addr = address_of(crashsh, "schedule") + 5
    assert crashsh.run(f"sym {addr:x}").startswith(f"{addr:x} (T) schedule+5 ")


def test_data_symbols_have_no_source_line(crashsh):
    addr = address_of(crashsh, "jiffies_64")
    assert crashsh.run("sym jiffies_64") == f"{addr:x} (D) jiffies_64\n"


def test_exact_address_gives_the_alphabetically_first_alias(crashsh):
    addr = address_of(crashsh, "jiffies_64")
    assert crashsh.run(f"sym {addr:x}").startswith(f"{addr:x} (D) jiffies\n")


def test_per_cpu_symbols_keep_their_offsets(crashsh):
    out = crashsh.run("sym runqueues")
    assert out.endswith(" (D) runqueues\n") and len(out.split()[0]) <= 8
    assert crashsh.run(f"sym {out.split()[0]}") == f"sym: invalid address: {out.split()[0]}\n"


def test_module_symbols(kernel, crashsh):
    prog = crashsh.session.prog
    module = next(m for m in prog.modules() if m.name == "crashsh_test")
    start, end = min(r[0] for r in module.address_ranges), max(r[1] for r in module.address_ranges)
    data = crashsh.run("sym crashsh_test_list")
    assert data.endswith(" (D) crashsh_test_list [crashsh_test]\n")
    assert start <= int(data.split()[0], 16) < end
    text = crashsh.run("sym crashsh_obj_ctor")
    assert " (t) crashsh_obj_ctor [crashsh_test] " in text
    assert "/module/crashsh_test.c: " in text
    listing = crashsh.run("sym -m crashsh_test").splitlines()
    assert listing[0].endswith(": crashsh_test") and listing[-1].endswith(": crashsh_test")
    assert "(B) crashsh_test_cache" in " ".join(listing)


def test_init_symbols_are_gone_and_unknown_names_fail(crashsh):
    expected = "symbol not found: {}\npossible alternatives:\n  (none found)\n"
    assert crashsh.run("sym crashsh_test_init") == expected.format("crashsh_test_init")
    assert crashsh.run("sym nosuch_symbol_xyz") == expected.format("nosuch_symbol_xyz")


def test_bad_addresses(crashsh):
    assert crashsh.run("sym 0") == "sym: invalid address: 0\n"
    assert crashsh.run("sym ffffffffffffffff") == "sym: invalid address: ffffffffffffffff\n"


def test_every_symbol_name_is_found_at_its_value(crashsh):
    symtab = crashsh.session.symtab
    kernel = symtab.kernel
    for i in random.Random(0).sample(range(len(kernel.names)), 200):
        found = symtab.lookup_all(kernel.names[i])
        assert any(s.value == kernel.values[i] for s in found), kernel.names[i]


def test_global_functions_agree_with_drgn(crashsh):
    """drgn's own symbol table (same vmlinux, same KASLR offset) must give the same values."""
    symtab, prog = crashsh.session.symtab, crashsh.session.prog
    kernel = symtab.kernel
    functions = [i for i, t in enumerate(kernel.types) if t == "T"]
    for i in random.Random(1).sample(functions, 200):
        name = kernel.names[i]
        if len(kernel.by_name[name]) == 1 and not name.startswith("__pfx_"):
            assert prog.symbol(name).address == kernel.values[i], name


@pytest.mark.oracle
def test_lines_match_crash(kernel, crashsh, oracle):
    """Text addresses inside functions (gdb's line rules) and module symbols, against crash."""
    kernel_table = crashsh.session.symtab.kernel
    rng = random.Random(2)
    lines = ["sym schedule", "sym -q crashsh_test", "sym -M", "sym __this_module"]
    for i in rng.sample(range(len(kernel_table.values) - 1), 40):
        span = kernel_table.values[i + 1] - kernel_table.values[i]
        if kernel_table.values[i] > 1 << 63 and span:
            lines.append(f"sym {kernel_table.values[i] + rng.randrange(span):x}")
    for line, theirs in zip(lines, run_oracle(kernel, lines)):
        assert crashsh.run(line) == theirs, line
