"""Plain text of mod and mod -t (crash's do_module_cmd)."""

from __future__ import annotations

from collections.abc import Iterator

from crashsh.commands.modules import ModuleListing, ModuleTaints
from crashsh.conventions.notices import Notice
from crashsh.render.common import centered
from crashsh.render.plain import plain


@plain.register
def _(listing: ModuleListing) -> Iterator[str]:
    name_width, size_width = listing.name_width, listing.size_width
    base = "TEXT_BASE" if listing.text_base else "BASE"
    header = (f"{centered('MODULE', 16)}  {'NAME':<{name_width}}  {centered(base, 16)}  "
              f"{'SIZE':>{size_width}}  OBJECT FILE\n")
    for r in listing.rows:
        if isinstance(r, Notice):  # mod -S: a module crash found no object file for
            yield r.text()
            continue
        if header:  # crash's header comes with the first module row
            yield header
            header = ""
        obj = f"{r.object_file} " if r.object_file else "(not loaded)  [CONFIG_KALLSYMS]"
        yield f"{r.module:16x}  {r.name:<{name_width}}  {r.base:16x}  {r.size:>{size_width}}  {obj}\n"


@plain.register
def _(taints: ModuleTaints) -> Iterator[str]:
    width = max((len(r.name) for r in taints.rows), default=4)
    yield f"{'NAME':<{width}}  TAINTS\n"
    for r in taints.rows:
        yield f"{r.name:<{width}}  {r.taints}\n"
