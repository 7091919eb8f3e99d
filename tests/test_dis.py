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
    ("f3c3", "repz ret"),  # f3 is "rep" only on string instructions
    ("66c3", "retw"),
    ("66e80000", "callw  0x4"),  # gdb takes 0x66 as a 16-bit branch, as AMD does
    ("67ff1425e8000000", "call   *0xe8(,%eiz,1)"),  # a SIB byte without base or index
    ("8b0c64", "mov    (%rsp,%riz,2),%ecx"),
    ("4a90", "rex.WX nop"),
    ("9bd93c24", "fstcw  (%rsp)"),  # fwait joins the x87 instruction after it
    ("c57117", "(bad)"),  # VEX.vvvv set where no operand takes it
    ("8c30", "mov    %?,(%rax)"),  # no segment register 6
    ("d5d9af69b9", "imul   -0x47(%r25),%r21"),  # APX REX2
    ("d50598", "{rex2 0x5} cwtl"),
])
def test_gdb_text(code: str, text: str) -> None:
    data = bytes.fromhex(code) + b"\x90" * 15  # gdb reads up to 15 bytes: give them
    line = next(GdbDisassembler().lines(data, 0xFFFFFFFF81000000))
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
