"""Names of the dump for tab completion: symbols, tasks (pids, addresses, comms), slab caches,
modules and struct members. Each list is read once per dump and kept sorted."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import drgn

from crashsh.dumpfacts import facts, per_dump
from crashsh.kernel.tasks import task_contexts
from crashsh.toolchain.btf import ENUM, ENUM64, STRUCT, UNION

C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# linker-made names that are C identifiers but no one types (resolve_btfids' ids)
MACHINE_PREFIXES = ("__BTF_ID__",)
LIMIT = 2000  # completions offered at most for one prefix
C_KEYWORDS = {STRUCT: "struct ", UNION: "union ", ENUM: "enum "}


def is_typed_name(name: str) -> bool:
    """A symbol a person would type: a C identifier (not `.LC0`, `8250_core.c`,
    `__func__.12`) and not a linker-made id."""
    return bool(C_IDENTIFIER.match(name)) and not name.startswith(MACHINE_PREFIXES)


@per_dump
def symbol_names(prog: drgn.Program) -> list[str]:
    return sorted({s.name for s in prog.symbols() if is_typed_name(s.name)})


@per_dump
def task_pids(prog: drgn.Program) -> list[str]:
    return sorted({str(tc.pid) for tc in task_contexts(prog)})


@per_dump
def task_addresses(prog: drgn.Program) -> list[str]:
    return sorted(f"{tc.address:x}" for tc in task_contexts(prog))


@per_dump
def task_comms(prog: drgn.Program) -> list[str]:
    return sorted({tc.comm for tc in task_contexts(prog) if tc.comm and " " not in tc.comm})


@per_dump
def slab_names(prog: drgn.Program) -> list[str]:
    from crashsh.kernel.slab import walker

    return sorted({cache.name for cache in walker(prog).caches()})


@per_dump
def module_names(prog: drgn.Program) -> list[str]:
    from drgn.helpers.linux.module import for_each_module

    return sorted(m.name.string_().decode(errors="replace") for m in for_each_module(prog))


@per_dump
def btf_type_names(prog: drgn.Program) -> dict[int, list[str]]:
    """BTF kind -> the sorted names of vmlinux's named types of that kind that drgn finds in
    the debuginfo (not types local to a function): drgn's API lists no types, but the
    kernel's .BTF section names every one."""
    btf = facts(prog).vmlinux_btf
    found: dict[int, set[str]] = {}
    for t in btf.named() if btf is not None else ():
        keyword = C_KEYWORDS.get(ENUM if t.kind == ENUM64 else t.kind, "")
        try:
            prog.type(keyword + t.name)
        except (LookupError, SyntaxError):  # a function's own type; "unsigned __int128"
            continue
        found.setdefault(t.kind, set()).add(t.name)
    return {kind: sorted(names) for kind, names in found.items()}


def btf_names(prog: drgn.Program, kinds: tuple[int, ...] | None = None) -> list[str]:
    """The type names of *kinds* (every named type when None)."""
    by_kind = btf_type_names(prog)
    return sorted({name for kind, names in by_kind.items() if kinds is None or kind in kinds
                   for name in names})


@per_dump
def type_names(prog: drgn.Program) -> list[str]:
    return btf_names(prog)


@per_dump
def struct_names(prog: drgn.Program) -> list[str]:
    return btf_names(prog, (STRUCT,))


@per_dump
def union_names(prog: drgn.Program) -> list[str]:
    return btf_names(prog, (UNION,))


@per_dump
def enum_names(prog: drgn.Program) -> list[str]:
    return btf_names(prog, (ENUM, ENUM64))


# what a parser's Completes names (crashsh.parsing.completes) -> the sorted list of the dump
SOURCES = {
    "symbol": symbol_names,
    "pid": task_pids,
    "task": task_addresses,
    "comm": task_comms,
    "slab": slab_names,
    "module": module_names,
    "type": type_names,
    "struct": struct_names,
    "union": union_names,
    "enum": enum_names,
}


def starting_with(names: list[str], prefix: str, limit: int = LIMIT) -> list[str]:
    """The names of a sorted list that start with *prefix* (at most *limit*), by bisection."""
    start = bisect.bisect_left(names, prefix)
    found = []
    for name in names[start:start + limit]:
        if not name.startswith(prefix):
            break
        found.append(name)
    return found


def completions(prog: drgn.Program, prefix: str, kinds: tuple[str, ...] = ("pid", "symbol")
                ) -> list[str]:
    """The names of *kinds* (SOURCES keys, or "task_member": task_struct member paths) that
    start with *prefix*."""
    found: list[str] = []
    for kind in kinds:
        if kind == "task_member":
            found += member_completions(prog, "struct task_struct", prefix)
        else:
            found += starting_with(SOURCES[kind](prog), prefix)
    return found


def member_completions(prog: drgn.Program, type_name: str, prefix: str) -> list[str]:
    """Member paths of *type_name* (``se.avg.util_avg`` style) that start with *prefix*."""
    try:
        type_ = prog.type(type_name)
    except LookupError:
        return []
    *parents, last = prefix.split(",")[-1].split(".")
    for part in parents:
        try:
            type_ = type_.member(part).type
        except LookupError:
            return []
    while type_.kind == drgn.TypeKind.TYPEDEF:
        type_ = type_.type
    if type_.kind not in (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION):
        return []
    head = prefix[: len(prefix) - len(last)]
    return sorted({head + name for name in named_members(type_) if name.startswith(last)})


def named_members(type_: drgn.Type) -> Iterator[str]:
    """Member names, looking through anonymous structs and unions as C does."""
    for member in type_.members:
        if member.name:
            yield member.name
        else:
            inner = member.type
            while inner.kind == drgn.TypeKind.TYPEDEF:
                inner = inner.type
            if inner.kind in (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION):
                yield from named_members(inner)
