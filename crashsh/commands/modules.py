"""mod (alias lsmod): list modules and load their debuginfo at run time (crash's kernel.c)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import drgn
from drgn.helpers.linux.module import find_module

from crashsh.conventions.notices import Notice
from crashsh.conventions.usage import usage_error
from crashsh.errors import CommandError
from crashsh.kernel.modules import has_module_memory, loaded_modules, module_taints
from crashsh.modsearch import Tree, find_module_file, search_trees
from crashsh.parsing import CommandParser, Completes, completes
from crashsh.records import LAYOUT, Address
from crashsh.registry import command


@dataclass
class ModuleRow:
    module: Address  # struct module address
    name: str
    base: Address
    size: int
    object_file: str | None  # None: crash's "(not loaded)  [CONFIG_KALLSYMS]"


@dataclass
class ModuleListing:
    text_base: bool  # header says TEXT_BASE (6.4+) rather than BASE
    name_width: int = field(metadata=LAYOUT)  # crash sizes the columns over all modules, even when listing one
    size_width: int = field(metadata=LAYOUT)
    rows: list[ModuleRow | Notice]  # mod -S: crash's line for a module not found


@dataclass
class ModuleTaint:
    name: str
    taints: str


@dataclass
class ModuleTaints:
    rows: list[ModuleTaint]


MOD_HELP = """\
The loaded modules: each module struct's address, name, base, size and the debuginfo file
found for it (or "(not loaded)"). -s MODULE [FILE] and -S [DIR] load modules' debuginfo,
-d/-D show them as not loaded again, -t lists the modules' taints. Without a FILE or DIR the
object files are searched where crash searches them: /usr/lib/debug/lib/modules/RELEASE,
$CRASH_MODULE_PATH, /lib/modules/RELEASE (its updates/ first), then the directory of the
vmlinux file and below; each module's NAME.o, NAME.ko or NAME.ko.debug, also with dashes
for underscores. A module not found gets crash's line instead of its row.
"""
MOD_EXAMPLES = """\
  mod              the modules:
         MODULE       NAME                         BASE         SIZE  OBJECT FILE
    ffffffffc0268040  crashsh_test           ffffffffc0266000  16384  .../extra/crashsh_test.ko
  mod -S /usr/lib/debug/lib/modules/$(uname -r)    load every module's debuginfo from there
  mod -S           the same from crash's places (e.g. beside the vmlinux file)
  mod -t           modules that taint the kernel, with their flags
"""


def mod_parser() -> CommandParser:
    p = CommandParser("mod", MOD_HELP, examples=MOD_EXAMPLES)
    act = p.add_mutually_exclusive_group()
    modules = Completes(names=("module",))
    completes(act.add_argument("-s", dest="load", nargs="+", metavar=("MODULE", "OBJFILE"),
                               help="load the module's debuginfo (from OBJFILE or the search "
                                    "path)"), modules)
    act.add_argument("-S", dest="load_all", nargs="?", const="", metavar="DIR",
                     help="load every module's debuginfo (searching DIR)")
    completes(act.add_argument("-d", dest="drop", metavar="MODULE",
                               help="show MODULE as not loaded"), modules)
    act.add_argument("-D", dest="drop_all", action="store_true", help="show all as not loaded")
    act.add_argument("-t", dest="taints", action="store_true", help="modules' taint flags")
    act.add_argument("-R", dest="reinit", action="store_true",
                     help="reinitialize: show every module as not loaded")
    act.add_argument("-o", dest="old", action="store_true",
                     help="crash's old loading mechanism (nothing to do for drgn)")
    p.add_argument("-r", dest="readnow", action="store_true",
                   help="gdb's -readnow (drgn always indexes everything: no effect)")
    p.add_argument("-g", dest="sections", action="store_true",
                   help="section start/end symbols (not added by crashsh)")
    return p


def module_files(session) -> dict[str, str]:
    """Module name -> the debug file crash would show; kept on the session for -d/-D."""
    if not hasattr(session, "module_files"):
        session.module_files = {
            m.name: as_named(m.debug_file_path, session.debug_dirs)
            for m in session.prog.modules()
            if isinstance(m, drgn.RelocatableModule) and m.debug_file_path
        }
    return session.module_files


def as_named(path: str, directories: tuple[str, ...]) -> str:
    """*path* under the directory it was found in, as the user named it (drgn resolves symbolic
    links; crash joins the directory it was given and what it found there)."""
    for directory in directories:
        real = os.path.realpath(directory)
        if path.startswith(real + os.sep) and real != directory.rstrip(os.sep):
            return os.path.join(directory, path[len(real) + 1:])
    return path


def drgn_module(session, name: str) -> drgn.RelocatableModule:
    for module in session.prog.modules():
        if isinstance(module, drgn.RelocatableModule) and module.name == name:
            return module
    raise CommandError(f"{name}: module not loaded")


def load_file(session, name: str, path: str) -> None:
    if not os.path.isfile(path):
        raise CommandError(f"{path}: No such file or directory")
    module = drgn_module(session, name)
    if name in module_files(session):
        return  # crash keeps the file it loaded ("module symbols are already loaded")
    if module.debug_file_path is None:
        module.try_file(path)
    if module.debug_file_path is None:
        raise CommandError(f"cannot load symbols from: {path}")
    module_files(session)[name] = path


def module_trees(session, tree: str | None) -> list[Tree]:
    from crashsh.kernel.system import uts_field

    return search_trees(uts_field(session.prog, "release"),
                        session.vmlinux_given or session.vmlinux, tree)


def load_found(session, name: str, trees: list[Tree]) -> Notice | None:
    """Find *name*'s object file as crash does and load it; crash's line when that fails
    (None when loaded, or when not found but loaded before)."""
    path = find_module_file(trees, name)
    if path is None:
        if name in module_files(session):
            return None
        return Notice("mod", f"cannot find or load object file for {name} module")
    try:
        load_file(session, name, path)
    except CommandError as e:
        return Notice("mod", str(e))
    return None


def load_all(session, tree: str, modules) -> list[ModuleRow | Notice]:
    """mod -S [DIR]: each module's object file found (below DIR, or in crash's places) and
    loaded; the rows of those loaded, crash's line for the others."""
    if tree and not os.path.isdir(tree):
        raise usage_error("mod", f"{tree} is not a directory")
    trees = module_trees(session, tree or None)
    files = module_files(session)
    rows: list[ModuleRow | Notice] = []
    for m in modules:
        notice = load_found(session, m.name, trees)
        rows.append(notice or ModuleRow(m.address, m.name, m.base, m.size, files.get(m.name)))
    return rows


@command("mod", "module information and loading of symbols", mod_parser,
         synopsis="-s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]")
def run_mod(session, args):
    prog = session.prog
    files = module_files(session)
    if args.taints:
        rows = [ModuleTaint(m.name, module_taints(find_module(prog, m.name)))
                for m in loaded_modules(prog)]
        tainted = [r for r in rows if r.taints]
        if not tainted:
            raise CommandError("no tainted modules")
        return ModuleTaints(tainted)
    only = None
    if args.load:
        name, *objfile = args.load
        if len(objfile) > 1:
            raise CommandError("mod -s takes a module name and at most one object file")
        if objfile:
            load_file(session, name, objfile[0])
        else:
            path = find_module_file(module_trees(session, None), name)
            if path is None:
                raise CommandError(f"cannot find or load object file for {name} module")
            load_file(session, name, path)
        only = name
    elif args.load_all is not None:
        modules = loaded_modules(prog)
        return ModuleListing(has_module_memory(prog), *column_widths(modules),
                             load_all(session, args.load_all, modules))
    elif args.drop:
        drgn_module(session, args.drop)
        files.pop(args.drop, None)
        return None  # crash prints nothing
    elif args.drop_all:
        files.clear()
        return None
    elif args.reinit:
        files.clear()
    elif args.old:
        return None  # crash only sets a flag
    modules = loaded_modules(prog)
    rows = [ModuleRow(m.address, m.name, m.base, m.size, files.get(m.name))
            for m in modules if only is None or m.name == only]
    return ModuleListing(has_module_memory(prog), *column_widths(modules), rows)


def column_widths(modules) -> tuple[int, int]:
    """crash sizes the NAME and SIZE columns over all the modules."""
    return (max((len(m.name) for m in modules), default=0),
            max((len(str(m.size)) for m in modules), default=0))
