"""kmem: kernel memory (crash's cmd_kmem in memory.c): the options, as crash's getopt loop
reads them, and what each shows (the kmem_* modules compute it)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from crashsh.commands.kmem_free import free_block, free_pages
from crashsh.commands.kmem_pages import flag_bits, page_members, page_table
from crashsh.commands.kmem_search import VmapTable, address_report
from crashsh.commands.kmem_slabs import (
    SORT_KEYS,
    SlabQuery,
    cache_names,
    slab_addresses,
    slab_caches,
)
from crashsh.commands.kmem_usage import (
    HugeStates,
    PerCpuOffsets,
    memory_info,
    memory_layout,
    page_size,
    vm_stats,
    zone_report,
)
from crashsh.conventions.numbers import cpu_list, htol, is_hexadecimal
from crashsh.conventions.usage import usage_block, usage_error
from crashsh.errors import CommandError
from crashsh.kernel import meminfo, memmap, slab
from crashsh.kernel.pagemembers import PageMember
from crashsh.kernel.pagemembers import page_members as collect_members
from crashsh.parsing import CommandParser, Completes, HelpRequested, Ordered, completes
from crashsh.registry import command

EXCLUSIVE = "sSpfFVovCcilLghr"
NO_ADDRESS = "zniFCLVohr"
RIVALS = {"s": "Sr", "S": "sr", "r": "sS", "f": "F", "F": "f", "c": "C", "C": "c", "l": "L",
          "L": "l"}
# -l/-L LIST: the global LRU lists of 2.4 kernels, in the order crash's dump_page_lists()
# looks for them, with its error for a kernel without them
PAGE_LISTS = {
    "a": "active_list does not exist in this kernel",
    "i": "inactive_list does not exist in this kernel",
    "id": "inactive_dirty_list does not exist in this kernel",
    "ic": "inactive_clean_list(s) do not exist in this kernel",
}
SHIFTED_S = "CPU-specific slab data to be displayed must be written as expected only e.g. -S=1,45."


@dataclass
class Separated:
    """Results crash separates with blank lines: one group per address it reported on."""

    groups: list[list[object]]


@dataclass
class KmemOptions:
    """The options as crash's getopt loop in cmd_kmem() leaves them."""

    flags: set[str] = field(default_factory=set)
    shared: bool = False  # -i=shared
    cpus: frozenset[int] | None = None  # -S=cpus
    members: list[PageMember] | None = None  # -m
    ignore: frozenset[str] = frozenset()  # -I
    lists: set[str] = field(default_factory=set)  # -l/-L
    bad: bool = False  # crash's argerrs: a -l/-L list it does not know

    def set(self, letter: str) -> None:
        """A flag; -s/-S/-r, -f/-F, -c/-C and -l/-L cancel each other (the later wins)."""
        self.flags.difference_update(RIVALS.get(letter, ""))
        self.flags.add(letter)

    def on(self, letters: str) -> bool:
        """Whether any of these flags is set."""
        return any(letter in self.flags for letter in letters)


def kmem_options(session, pairs: list[tuple[str, str | None]]) -> KmemOptions:
    """crash's getopt switch, in command-line order (its errors stop it where they occur)."""
    o = KmemOptions()
    for option, value in pairs:
        letter = option[1]
        if letter == "i":
            o.set("i")
            o.shared = o.shared or value == "=shared"
        elif letter == "S":
            if o.cpus is not None:
                raise CommandError("only one -S option allowed")
            if value:
                if value[0] != "=":
                    raise CommandError(SHIFTED_S)
                o.cpus = frozenset(cpu_list(value[1:], len(slab.walker(session.prog).cpus)))
            o.set("S")
        elif letter == "m":
            o.set("p")
            o.members = collect_members(session.prog, value, session.settings.radix)
        elif letter == "I":
            o.ignore = frozenset(value.replace(",", " ").split())
        elif letter in "lL":
            if value in PAGE_LISTS:
                o.lists.add(value)
                o.set(letter)
            else:
                o.bad = True
        else:
            o.set(letter)
    return o


KMEM_HELP = """\
Kernel memory: -i a usage summary (as /proc/meminfo in pages and bytes), -s/-S the slab
caches (with -S each slab and object), -v vmalloc areas, -V vm statistics counters, -n nodes
and memory sections, -z zones, -f/-F free pages by zone and order, -p the page structs, -g
page flags, -h hugetlb pages, -o per-CPU offsets. An address argument is looked up in every
one of those (its page, slab object, vmalloc area, free block).
crashsh adds --sort size|objects|name to order kmem -s.
"""
KMEM_EXAMPLES = """\
  kmem -i          the summary, starting:
                     PAGES        TOTAL      PERCENTAGE
        TOTAL MEM   183550       717 MB         ----
             FREE   161977     632.7 MB   88% of TOTAL MEM
  kmem -s kmalloc-64
    CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME
    ffff8d1bc1042500       64       1614      1728     27     4k  kmalloc-64
  kmem ffff8d1bc11f8000   what this address is: a task_struct slab object
"""


def kmem_parser() -> CommandParser:
    p = CommandParser("kmem", KMEM_HELP, examples=KMEM_EXAMPLES, add_help=False,  # -h is hstates
                      attached="iS")

    def option(letter: str, text: str, **kwargs) -> argparse.Action:
        return p.add_argument(f"-{letter}", dest="options", action=Ordered, help=text, **kwargs)

    flag = lambda letter, text: option(letter, text, nargs=0)
    flag("s", "kmem_cache (slab) usage")
    option("S", "kmem -s plus each CPU's and node's slabs and objects (-S=cpus: those CPUs')",
           nargs="?", metavar="=CPUS")
    flag("r", "root slab caches (memcg kernels)")
    completes(option("I", "slab caches to ignore (-I slab[,slab])", metavar="SLABS"),
              Completes(names=("slab",)))
    option("i", "memory usage summary (-i=shared: with SHARED)", nargs="?", metavar="=shared")
    flag("v", "vmalloc areas")
    flag("V", "vm_stat, vm_node_stat and vm_event_states")
    flag("n", "memory nodes, sections and blocks")
    flag("z", "zone statistics")
    flag("f", "free pages by zone and order")
    flag("F", "kmem -f with each free page")
    flag("p", "the page structs (mem_map)")
    option("m", "struct page members instead of the -p line (-m member[,member])",
           metavar="MEMBERS")
    flag("g", "page flag bits, or the names of the bits in a flags value")
    flag("h", "hugetlb hstates")
    flag("c", "page cache hash table (old kernels)")
    flag("C", "page cache hash table, verbose (old kernels)")
    option("l", "LRU list: a, i, ic or id (2.4 kernels)", metavar="LIST")
    option("L", "kmem -l, verbose (2.4 kernels)", metavar="LIST")
    flag("o", "per-CPU offsets")
    flag("P", "the address is physical")
    p.add_argument("--sort", choices=tuple(SORT_KEYS), help="crashsh: order kmem -s rows")
    slabs = Completes(names=("slab",))
    completes(p.add_argument("args", nargs="*", metavar="address|slab"),
              Completes(names=("symbol",), after={"-s": slabs, "-S": slabs}))
    p.set_defaults(options=[])
    return p


SYNOPSIS = ("[-f|-F|-c|-C|-i[=shared]|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]\n"
            "       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]")


def usage(message: str = "") -> Exception:
    """crash's cmd_usage(), after its reason when there is one (both in the output)."""
    if message:
        return usage_error("kmem", message)
    return HelpRequested(usage_block("kmem"))


def not_supported(letter: str) -> CommandError:
    return CommandError(f"-{letter} option not supported or applicable on this architecture "
                        "or kernel")


@command("kmem", "kernel memory", kmem_parser, synopsis=SYNOPSIS)
def run_kmem(session, args):
    o = kmem_options(session, args.options)
    if o.bad:
        raise usage()
    if len(o.flags & set(EXCLUSIVE)) > 1:
        raise usage("only one flag allowed!")
    addresses: list[int] = []
    name, escaped = None, False
    for text in args.args:
        if is_hexadecimal(text):
            addresses.append(htol(text))
            continue
        if name is not None:
            raise CommandError("only one kmem_cache reference is allowed")
        escaped = text.startswith("\\")
        name = text[1:] if escaped else text
        if not o.on("sSr"):
            raise usage()
    query = SlabQuery(name, o.on("S"), o.ignore, o.cpus, args.sort)
    if addresses:
        return address_outputs(session, o, addresses, query)
    if o.on("S") and name == "list" or o.on("s") and name == "list" and not escaped:
        return cache_names(session)
    return whole_outputs(session, o, query)


def address_outputs(session, o: KmemOptions, addresses: list[int], query: SlabQuery):
    """crash's loop over the address arguments (one flag at most reaches it)."""
    prog = session.prog
    physical = [o.on("P") or not memmap.is_kernel_address(prog, a) for a in addresses]
    if o.on("c"):
        raise not_supported("c")
    if o.on("l"):
        raise CommandError(next(PAGE_LISTS[k] for k in PAGE_LISTS if k in o.lists))
    if o.on(NO_ADDRESS):
        raise usage("no address arguments allowed with this option")
    if o.on("p"):  # one header for all the rows
        if o.members is not None:
            return page_members(session, o.members, addresses, o.on("P"))
        return page_table(session, addresses, o.on("P"))
    if o.on("v"):
        areas = memmap.vmap_areas(prog)
        return VmapTable([a for address in addresses for a in areas if a.start <= address < a.end])
    if o.on("sS"):
        return Separated(slab_addresses(session, addresses, physical, query))
    if o.on("g"):
        return Separated([[flag_bits(session, address)] for address in addresses])
    if o.on("f"):
        return Separated([free_block(session, a, p) for a, p in zip(addresses, physical)])
    return Separated([[address_report(session, a, p)] for a, p in zip(addresses, physical)])


def whole_outputs(session, o: KmemOptions, query: SlabQuery):
    """What each flag shows without an address, in crash's order."""
    if o.on("i"):
        return memory_info(session, o.shared)
    if o.on("p"):
        if o.members is not None:
            return page_members(session, o.members, None, o.on("P"))
        return page_table(session, None, o.on("P"))
    if o.on("fF"):
        return free_pages(session, o.on("F"))
    if o.on("h"):
        return HugeStates(meminfo.huge_states(session.prog), page_size(session))
    if o.on("r"):
        raise not_supported("r")  # no slab_root_caches list since 5.9
    if o.on("sS"):
        return slab_caches(session, query)
    if o.on("v"):
        return VmapTable(memmap.vmap_areas(session.prog))
    if o.on("Cc"):
        raise not_supported(next(f for f in "Cc" if f in o.flags))
    if o.on("n"):
        return memory_layout(session)
    if o.on("z"):
        return zone_report(session)
    if o.on("lL"):
        raise CommandError(next(PAGE_LISTS[k] for k in PAGE_LISTS if k in o.lists))
    if o.on("V"):
        return vm_stats(session)
    if o.on("o"):
        return PerCpuOffsets(slab.walker(session.prog).percpu_offsets)
    if o.on("g"):
        return flag_bits(session, 0)
    raise usage()
