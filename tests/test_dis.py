"""dis: gdb's AT&T text for known encodings, and dis output checked against drgn."""

from __future__ import annotations

import pytest

from crashsh.toolchain.gdbdis import GdbDisassembler


@pytest.mark.parametrize("code, text", [
    ("0f1f440000", "nopl   0x0(%rax,%rax,1)"),
    ("488b4500", "mov    0x0(%rbp),%rax"),
    ("f348ab", "rep stos %rax,%es:(%rdi)"),
    ("d1e8", "shr    $1,%eax"),
    ("4869c0e8030000", "imul   $0x3e8,%rax,%rax"),
    ("ec", "in     (%dx),%al"),
    ("ff7520", "push   0x20(%rbp)"),
    ("1f" + "90" * 15, "(bad)"),  # invalid in 64-bit mode: gdb skips one byte
    ("66480f6ec0", "movq   %rax,%xmm0"),
    ("662e0f1f840000000000", "cs nopw 0x0(%rax,%rax,1)"),
    ("66662e0f1f840000000000", "data16 cs nopw 0x0(%rax,%rax,1)"),
    ("26d01e", "es rcrb $1,(%rsi)"),
    ("4318850c0c0c0c", "rex.XB sbb %al,0xc0c0c0c(%r13)"),
    ("4e55", "rex.WRX push %rbp"),
    ("4155", "push   %r13"),
    ("67a808", "addr32 test $0x8,%al"),  # an address-size prefix with no memory operand
    ("6766a808", "addr32 data16 test $0x8,%al"),
    ("674889c3", "addr32 mov %rax,%rbx"),
    ("678b03", "mov    (%ebx),%eax"),
    ("6c", "insb   (%dx),%es:(%rdi)"),  # string port I/O: gdb brackets %dx as in/out do
    ("6f", "outsl  %ds:(%rsi),(%dx)"),
    ("67e800000000", "addr32 call 0xffffffff81000006"),
])
def test_gdb_text(code: str, text: str) -> None:
    line = next(GdbDisassembler().lines(bytes.fromhex(code), 0xFFFFFFFF81000000))
    assert line.text == text


def test_two_rex_prefixes() -> None:
    """Only the last REX counts: gdb prints the first one as an instruction of its own."""
    lines = list(GdbDisassembler().lines(bytes.fromhex("474e55"), 0x1000))
    assert [(l.addr, l.text) for l in lines] == [(0x1000, "rex.RXB"),
                                                 (0x1001, "rex.WRX push %rbp")]


def test_rip_relative_target() -> None:
    line = next(GdbDisassembler().lines(bytes.fromhex("488b0510000000"), 0x1000))
    assert line.text == "mov    0x10(%rip),%rax"
    assert line.rip_relative and line.target == 0x1000 + 7 + 0x10


@pytest.mark.vmcore
def test_dis_function_matches_drgn(crashsh) -> None:
    """`dis schedule` starts at drgn's symbol and covers exactly its ELF size."""
    prog = crashsh.session.prog
    sym = prog.symbol("schedule")
    lines = crashsh.run("dis schedule").splitlines()
    addrs = [int(l.split()[0], 16) for l in lines]
    assert addrs[0] == sym.address
    assert addrs[-1] < sym.address + sym.size <= addrs[-1] + 15
    assert lines[0].endswith("[FTRACE NOP]") or "endbr64" in lines[0]  # crash marks only at +0


@pytest.mark.vmcore
def test_dis_source_file(crashsh) -> None:
    text = crashsh.run("dis -s schedule")
    assert text.startswith("FILE: kernel/sched/core.c\nLINE: ")
    assert text.endswith("dis: schedule: source code is not available\n\n")
