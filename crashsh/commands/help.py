"""help: the command list, a page per command, and crashsh's counterparts of crash's dumps of
its own tables (help -n, -m, -v)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

import drgn

from crashsh import __version__, dumpnotes
from crashsh.dumpfile import FileKind
from crashsh.errors import CommandError, UsageError
from crashsh.interpreter import BUILTIN_ALIASES, QUIT_WORDS
from crashsh.parsing import CommandParser, Completes, Ordered, completes
from crashsh.records import Word
from crashsh.registry import command, command_names, get_command

# crash commands that the shell runs itself (crashsh/shell.py), with their pages
BUILTIN_PAGES = {
    "alias": """\
usage: alias [name [command string]]

Without arguments, every alias: crash's built-in ones (dmesg, lsmod, hex, dec, sf, ...),
those of $HOME/.crashshrc and ./.crashshrc, and those made in this session. With a name,
that alias; with a name and a command string, a new alias. An alias is expanded when it is
the first word of a line.

examples:
  alias            the list:
    ORIGIN   ALIAS    COMMAND
    builtin  man      help
    builtin  dmesg    log
  alias kp kmem -p      kp now runs kmem -p
""",
    "exit": """\
usage: exit | q | quit

End the session (crashsh's exit status is 1 when any command failed, else 0).
""",
    "repeat": """\
usage: repeat [-seconds] [-c count] command

Run a command line again and again: every SECONDS seconds (-seconds, at once when not
given), COUNT times with -c (crashsh's addition). At the interactive prompt it goes on until
Ctrl-C, until its output is closed (`repeat -1 ps | head` ends with head) or until the
command fails; elsewhere (crashsh -c, -i FILE, commands on stdin, `< FILE` run from them) it
runs COUNT times, or once without -c, so a script cannot hang (crash's repeat never ends
there). On a dump the data does not change: this is crash's command for live systems.

options:
  -seconds    wait this many seconds between runs (it comes first, as in crash)
  -c count    run the command this many times

examples:
  repeat -5 log | tail -3    the kernel log's last lines every five seconds
  repeat -c 3 p jiffies      jiffies three times (the same value on a dump)
  repeat -1 sys -t           the taint flags each second, until Ctrl-C
""",
    "<": """\
usage: < FILE

Run the command lines of FILE, one after another, as if typed (each echoed after the prompt
unless crashsh was started with -s). Blank lines and #comments are skipped; a file cannot
read another file with <.

examples:
  < /tmp/cmds      runs, say, `sys`, `bt -a` and `log | tail` from /tmp/cmds
""",
}
BUILTIN_PAGES["q"] = BUILTIN_PAGES["exit"]
HELP_COLUMNS = 5
HELP_HELP = """\
Without arguments, the crash commands crashsh has; with command names, their pages (an alias
gives its command's page; `all` every page). The options are crash's dumps of its own data:
-r prints each CPU's registers from the dump file's NT_PRSTATUS notes, as crash does. crash's
other tables do not exist in crashsh, so -n, -m and -v print crashsh's counterparts in the
same spirit (never crash's text): -n the dump file's own header and notes (makedumpfile's
header and sub-header, or the ELF header and PT_LOAD segments; the notes, VMCOREINFO's
lines; for a split kdump, its parts' names, then the file crashsh joined them into); -m the
machine's figures crashsh works with (page size, stack sizes, KASLR offset, address space
bases, exception stacks); -v the kernel's memory layout (nodes, zones, memory model, slab
allocator). -z lists these options. A bad option is reported (on stderr, as getopt does) and,
as in crash, help's own page comes first, then the rest as asked.
"""
HELP_EXAMPLES = """\
examples:
  help             the command list
  help kmem        kmem's page; `help dmesg` gives log's
  help -n          the dump file's header, e.g. for a kdump-compressed file:
           signature: "KDUMP   "
      header_version: 6
          dump_level: 31 (DUMP_EXCLUDE_ZERO|DUMP_EXCLUDE_CACHE|...)
  help -r          each CPU's registers, as crash prints them:
    CPU 0:
        RIP: ffffffff9bc17a0b  RSP: ffffffff9cc03e98  RFLAGS: 00000246
"""


@dataclass
class HelpScreen:
    """`help`: the command names and the versions."""

    names: list[str]
    version: str
    drgn_version: str


@dataclass
class HelpPage:
    name: str
    text: str


@dataclass
class CpuRegisters:
    """help -r: one CPU's registers from its NT_PRSTATUS note; null ``registers`` for an
    offline CPU crash marks [OFFLINE] or a CPU without a note."""

    cpu: int
    registers: dict[str, Word] | None
    offline: bool = False


@dataclass
class InternalTable:
    """help -n, -m, -v: one of crashsh's tables as (label, value) rows."""

    title: str
    rows: list[tuple[str, str]]


HELP_OPTIONS = (("n", "the dump file's header and notes (also -D)"),
                ("D", None),
                ("m", "the machine-specific data crashsh works with"),
                ("r", "each CPU's registers from the dump file's NT_PRSTATUS notes"),
                ("v", "the kernel's memory layout (also -V)"),
                ("V", None),
                ("z", "these options"))


class HelpParser(CommandParser):
    """crash's cmd_help reads on past a bad option: getopt's line for each bad letter before
    the first good option, then (with no good option) help's own page and the rest."""

    def parse_args(self, args=None, namespace=None) -> argparse.Namespace:
        known = {s[1] for a in self._actions for s in a.option_strings}
        words, bad, chosen = [], [], None
        for word in args or []:
            if not word.startswith("-") or len(word) == 1 or word == "--":
                words.append(word)
                continue
            for letter in word[1:]:
                if chosen is None and letter not in known:
                    bad.append(letter)
                elif chosen is None:
                    chosen = f"-{letter}"
        parsed = super().parse_args([*words, *([chosen] if chosen else [])], namespace)
        if not bad:
            return parsed
        parsed.argerrs = chosen is None
        raise UsageError("\n".join(f"invalid option -- '{letter}'" for letter in bad), "",
                         resume=parsed)


def help_parser() -> CommandParser:
    p = HelpParser("help", HELP_HELP, epilog=HELP_EXAMPLES, add_help=False,
                   formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(argerrs=False)
    for letter, what in HELP_OPTIONS:
        p.add_argument(f"-{letter}", dest="tables", action=Ordered, nargs=0, default=[],
                       help=what or argparse.SUPPRESS)
    completes(p.add_argument("names", nargs="*", metavar="command"),
              Completes(words=tuple(help_names())))
    return p


def help_names() -> list[str]:
    """The crash commands crashsh has: the registered ones and the shell's own."""
    return sorted(set(command_names()) | {"alias", "exit", "q", "repeat"})


@command("help", "get help", help_parser, needs_dump=False,
         synopsis="[command | all] [-<option>]")
def run_help(session, args):
    if args.tables:
        option = args.tables[0][0][1]
        if option == "z":
            return InternalTable("help options", [(f"-{letter}", what)
                                                  for letter, what in HELP_OPTIONS if what])
        if session is None:
            raise CommandError("no dump is open")
        return TABLES[option.lower() if option != "D" else "n"](session)
    own = [page("help")] if args.argerrs else []  # crash's cmd_usage(COMPLETE_HELP)
    if not args.names:
        screen = HelpScreen(help_names(), __version__, drgn.__version__)
        return [*own, screen] if own else screen
    names = [n for n in help_names() if n != "q"] if args.names == ["all"] else args.names
    pages = own + [page(name) for name in names]
    return [HelpPage(p.name, p.text + "\n") if isinstance(p, HelpPage) and i < len(pages) - 1
            else p for i, p in enumerate(pages)]


def page(name: str) -> HelpPage | str:
    target = (BUILTIN_ALIASES.get(name, name).split() or [name])[0]
    if target in QUIT_WORDS:
        target = "exit"
    if target in BUILTIN_PAGES:
        return HelpPage(target, BUILTIN_PAGES[target])
    found = get_command(target)
    if found is None:
        return f'No help data for "{name}" is available.\n'
    parser = found.parser()
    if found.synopsis is not None:  # crash's synopsis rather than argparse's
        parser.usage = f"{target} {found.synopsis.strip()}".rstrip()
    return HelpPage(target, without_argparse_help(parser.format_help()))


def without_argparse_help(text: str) -> str:
    """A page without argparse's own -h/--help line (crashsh's pages come from `help`), and
    without an "options:" heading left empty by that."""
    lines = [line for line in text.split("\n") if not line.lstrip().startswith("-h, --help")]
    kept = [line for i, line in enumerate(lines)
            if not (line == "options:" and (i + 1 == len(lines) or not lines[i + 1].strip()))]
    return "\n".join(kept).replace("\n\n\n", "\n\n")


def dumpfile_table(session) -> InternalTable:
    """help -n: the file itself (a split kdump's parts and their joined copy), then its
    header's fields."""
    rows = [("filename", name) for name in session.dump_files]
    if session.split_files:
        rows.append(("joined into", session.vmcore))
    rows.append(("format", session.kind.value))
    if session.is_live:
        return InternalTable("dumpfile", rows)
    return InternalTable("dumpfile", rows + dumpnotes.header_rows(session.vmcore, session.kind))


def machine_table(session) -> InternalTable:
    """help -m: the machine's figures crashsh uses."""
    from crashsh.commands.mach import machine_stats
    from crashsh.dumpfacts import facts
    from crashsh.kernel.vmcoreinfo import vmcoreinfo_entry

    prog = session.prog
    m = machine_stats(session)
    info = facts(prog)
    rows = [("machine", m.machine), ("bits", "64"), ("pagesize", str(m.page_size)),
            ("pageshift", str(info.page_shift)), ("stacksize", str(m.kernel_stack_size)),
            ("irq_stack_size", str(m.irq_stack_size)), ("hz", str(m.hz)),
            ("mhz", str(m.mhz)), ("cpus", str(m.cpus)),
            ("page_offset", f"{info.page_offset:x}"),
            ("vmalloc_start", f"{m.kernel_vmalloc_base:x}"),
            ("vmemmap_vaddr", f"{m.kernel_vmemmap_base:x}"),
            ("modules_vaddr", f"{m.kernel_modules_base:x}"),
            ("start_kernel_map", f"{m.kernel_start_map:x}")]
    for key, label in (("KERNELOFFSET", "kaslr_offset"), ("NUMBER(phys_base)", "phys_base"),
                       ("NUMBER(pgtable_l5_enabled)", "pgtable_l5_enabled"),
                       ("NUMBER(MAX_PHYSMEM_BITS)", "max_physmem_bits"),
                       ("NUMBER(SECTION_SIZE_BITS)", "section_size_bits")):
        value = vmcoreinfo_entry(prog, key)
        if value is not None:
            rows.append((label, value))
    rows.append(("nr_irqs", str(prog["nr_irqs"].value_())))
    rows += [(f"exception_stacks[{i}]", f"{s.name} ({s.size} bytes)")
             for i, s in enumerate(m.exception_stacks)]
    return InternalTable("machdep", rows)


def vm_table(session) -> InternalTable:
    """help -v: the kernel's memory layout."""
    from drgn.helpers.linux.mm import totalram_pages
    from drgn.helpers.linux.mmzone import for_each_online_pgdat

    from crashsh.dumpfacts import facts

    prog = session.prog
    nodes = list(for_each_online_pgdat(prog))
    zone_names = [zone.name.string_().decode() for zone in nodes[0].node_zones] if nodes else []
    rows = [("high_memory", f"{prog['high_memory'].value_():x}"),
            ("vmalloc_start", f"{prog['vmalloc_base'].value_():x}"),
            ("page_offset", f"{facts(prog).page_offset:x}"),
            ("max_pfn", str(prog["max_pfn"].value_())),
            ("totalram_pages", str(totalram_pages(prog))),
            ("memory_model", memory_model(prog)),
            ("slab_allocator", "SLUB" if prog.type("struct kmem_cache").has_member("cpu_slab")
             else "SLAB"),
            ("numnodes", str(len(nodes))), ("nr_zones", str(len(zone_names))),
            ("zones", " ".join(zone_names)),
            ("nr_swapfiles", str(prog["nr_swapfiles"].value_()))]
    for node in nodes:
        nid = node.node_id.value_()
        rows += [(f"node_table[{nid}]", ""), ("pgdat", f"{node.value_():x}"),
                 ("spanned_pages", str(node.node_spanned_pages.value_())),
                 ("present_pages", str(node.node_present_pages.value_())),
                 ("start_pfn", f"{node.node_start_pfn.value_():x}")]
    return InternalTable("vm", rows)


def memory_model(prog: drgn.Program) -> str:
    if "mem_section" not in prog:
        return "FLATMEM"
    return "SPARSEMEM_VMEMMAP" if "vmemmap_base" in prog else "SPARSEMEM"


def registers(session) -> Iterator[object]:
    """help -r: crash's dump_registers(): each of crash's CPUs with the registers of its
    NT_PRSTATUS note. An ELF vmcore has notes for the online CPUs only (an offline CPU is
    [OFFLINE]); a kdump file's notes go to CPUs 0, 1, ... in order, and an offline CPU is
    [OFFLINE] only after `set offline hide`."""
    from crashsh.kernel.meminfo import crash_cpus
    from crashsh.kernel.tasks import online_cpus

    if session.is_live:
        raise CommandError("-r option not supported on a live system")
    found = dumpnotes.prstatus_registers(session.vmcore, session.kind)
    online = set(online_cpus(session.prog))
    elf = session.kind is not FileKind.KDUMP
    skipped = 0
    for cpu in crash_cpus(session.prog):
        if cpu not in online and (elf or not session.settings.offline_shown):
            skipped += 1
            yield CpuRegisters(cpu, None, offline=True)
            continue
        index = cpu - skipped if elf else cpu
        yield CpuRegisters(cpu, found[index] if index < len(found) else None)


TABLES = {"n": dumpfile_table, "m": machine_table, "v": vm_table, "r": registers}
