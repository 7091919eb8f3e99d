"""Loaded modules as crash's `mod` sees them: base, size, object file."""

from __future__ import annotations

from dataclasses import dataclass

import drgn
from drgn.helpers.linux.module import for_each_module

from crashsh.records import Address

MOD_INIT_TEXT = "MOD_INIT_TEXT"


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    address: Address  # struct module
    base: Address  # text base
    size: int  # crash's mod_size: the core (non-init) memory


def module_layout(mod: drgn.Object) -> tuple[int, int]:
    """(text base, core size): mem[] since 6.4, core_layout before."""
    try:
        mem = mod.mem
    except AttributeError:  # before 6.4 (struct module_memory)
        return mod.core_layout.base.value_(), mod.core_layout.size.value_()
    prog = mod.prog_
    init_text = prog[MOD_INIT_TEXT].value_()
    size = sum(mem[t].size.value_() for t in range(init_text))
    return mem[prog["MOD_TEXT"].value_()].base.value_(), size


def has_module_memory(prog: drgn.Program) -> bool:
    """True when struct module has mem[] (6.4+): crash's header then says TEXT_BASE."""
    try:
        prog.type("struct module").member("mem")
    except LookupError:
        return False
    return True


def loaded_modules(prog: drgn.Program) -> list[ModuleInfo]:
    """Every loaded module, sorted by base address as crash lists them."""
    found = []
    for mod in for_each_module(prog):
        base, size = module_layout(mod)
        found.append(ModuleInfo(mod.name.string_().decode(), mod.value_(), base, size))
    return sorted(found, key=lambda m: m.base)


def module_taints(mod: drgn.Object) -> str:
    """The module's taint letters, from taint_flags[] entries that apply to modules."""
    prog = mod.prog_
    taints = mod.taints.value_()
    return "".join(
        chr(flag.c_true.value_())
        for bit, flag in enumerate(prog["taint_flags"])
        if taints & (1 << bit) and flag.module
    )
