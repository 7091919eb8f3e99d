"""tree: red-black trees, XArrays (and radix trees) and maple trees (crash's cmd_tree,
tools.c rbtree_iteration and do_xarray_traverse, maple_tree.c do_maple_tree_traverse).

Nodes are visited in crash's order: an rbtree top-down (node, left, right) or, with -l, in
order; an XArray and a maple tree slot by slot. A node met twice ends the walk with crash's
"duplicate tree entry/node" error.
"""

from __future__ import annotations

import argparse

from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.commands.lists import hexadecimal_only, offset_option, pointer_reader
from crashsh.conventions.expressions import can_eval, evaluate
from crashsh.conventions.numbers import htol, is_number
from crashsh.conventions.usage import usage_error
from crashsh.dumpfacts import MASK64, facts
from crashsh.errors import CommandError
from crashsh.kernel import structview
from crashsh.kernel.structview import StructNotice
from crashsh.parsing import CommandParser
from crashsh.records import LAYOUT, Address, Word
from crashsh.registry import command

SYNOPSIS = ("[-t [radix|xarray|rbtree|maple]] [-r offset] [-[s|S] struct[.member[,member]]]\n"
            "       -[x|d] [-o offset] [-l] [-p] [-v] [-N] start")
TYPE_NAMES = {"radix": "radix trees", "xarray": "Xarrays", "rbtree": "rbtrees",
              "maple": "maple trees"}
XA_TAG_MASK, XA_TAG_INTERNAL = 3, 2
# maple_tree.h
MAPLE_NODE_MASK, MAPLE_NODE_TYPE_SHIFT, MAPLE_NODE_TYPE_MASK = 255, 3, 15
MAPLE_DENSE, MAPLE_LEAF_64, MAPLE_RANGE_64, MAPLE_ARANGE_64 = range(4)
MAPLE_RESERVED_RANGE = 4096


@dataclass
class TreeEntry:
    """One entry: its address (the containing structure's, for an rbtree), its position
    with -p (``index`` for XArrays and maple trees) and the -s/-S lines."""

    address: Address
    position: str | None = None
    index: Word | None = None
    lines: list[str | StructNotice] = field(default_factory=list)
    # a maple tree prints the address and the index in the output radix (else None: the
    # address in hex, the index in decimal); `tree -v` prints the range line instead
    radix: int | None = field(default=None, metadata=LAYOUT)
    listed: bool = field(default=True, metadata=LAYOUT)


@dataclass
class TreeText:
    """Lines `tree -t maple -v` prints about nodes and ranges."""

    text: str


TREE_HELP = """\
Walks a tree from its root and prints each entry's address, optionally with its structure
(-s struct[.member,...], -S without gdb's formatting): -t radix, xarray, rbtree (the default)
or maple. -r gives the root's offset in a containing structure (or struct.member), -o the
node's offset in the entry; -p shows each entry's position, -l an rbtree in order without
recursion, -N takes START as a node, -v the maple tree's nodes, -x/-d the radix.
"""
TREE_EXAMPLES = """\
  tree -t xarray -r address_space.i_pages ffff8d1bc24f2f18    an inode's page cache pages
  tree -t rbtree -o vmap_area.rb_node vmap_area_root   the vmalloc areas
  tree -t maple -r mm_struct.mm_mt ffff8d1bc259ed00    a process's VMAs (6.1+)
"""


def tree_parser() -> CommandParser:
    p = CommandParser("tree", TREE_HELP, examples=TREE_EXAMPLES,
                         add_help=False)
    p.add_argument("-t", dest="types", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-r", dest="root_offsets", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-o", dest="node_offsets", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-s", dest="parse", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-S", dest="read", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("-x", dest="hex", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-d", dest="decimal", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-p", dest="position", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-l", dest="linear", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-N", dest="node", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-v", dest="verbose", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("args", nargs="*")
    return p


@dataclass
class TreeOptions:
    kind: str  # "" for the default (an rbtree)
    start: Address
    node_offset: int
    structs: list[str]
    fast: bool
    radix: int | None  # -x/-d, else None
    args: object


def tree_kind(prog: drgn.Program, words: list[str]) -> str:
    """-t: crash compares only the first letters ("ra", "rb", "x", "m")."""
    if len(words) > 1:
        raise usage_error("tree", "multiple tree types may not be entered")
    if not words:
        return ""
    word = words[0]
    if word.startswith("ra"):
        try:
            radix_root = prog.type("struct radix_tree_root")
        except LookupError:
            return "radix"
        return "xarray" if structview.member_layout(radix_root, "xa_head")[0] is not None \
            else "radix"
    for prefix, kind in (("rb", "rbtree"), ("x", "xarray"), ("m", "maple")):
        if word.startswith(prefix):
            return kind
    raise usage_error("tree", f"invalid tree type: {word}")


def read_options(session, args) -> TreeOptions:
    prog = session.prog
    kind = tree_kind(prog, args.types)
    if args.hex and args.decimal:
        raise CommandError("-d and -x are mutually exclusive")
    if args.parse and args.read:
        raise CommandError("-S and -s options are mutually exclusive")
    root_offset = once(prog, args.root_offsets, "-r argument", "root")
    node_offset = once(prog, args.node_offsets, "-o argument", "node")
    name = TYPE_NAMES.get(kind)
    if kind in ("xarray", "radix", "maple") and args.linear:
        raise CommandError(f"-l option is not applicable to {name}")
    if kind in ("xarray", "radix", "maple") and args.node_offsets:
        raise CommandError(f"-o option is not applicable to {name}")
    if kind in ("xarray", "radix", "rbtree") and args.verbose:
        raise CommandError(f"-v option is not applicable to {name}")
    if args.root_offsets and args.node:
        raise CommandError("-r and -N options are mutually exclusive")
    if not args.args:
        raise usage_error("tree", "a starting address is required")
    start = start_argument(session, args.args[0])
    if len(args.args) > 1:
        raise usage_error("tree", "too many arguments entered")
    if not args.node:
        start = (start + root_offset) & MASK64
    radix = 16 if args.hex else 10 if args.decimal else None
    return TreeOptions(kind, start, node_offset, args.parse or args.read, bool(args.read),
                       radix, args)


def once(prog: drgn.Program, words: list[str], option: str, what: str) -> int:
    """-r/-o: one offset; a second one is crash's "already entered" error."""
    if not words:
        return 0
    value = offset_option(prog, words[0], option)
    if len(words) > 1:
        raise CommandError(f"{what} offset value {value} (0x{value:x}) already entered")
    return value


def start_argument(session, word: str) -> int:
    """A symbol, an expression or a hexadecimal kernel address."""
    symbol = session.symtab.lookup_name(word)
    if symbol is not None:
        return symbol.value
    page_offset = facts(session.prog).page_offset
    if not is_number(word):
        if can_eval(word):
            value = evaluate(session.prog, word)
            if value >= page_offset:
                return value
    elif hexadecimal_only(word):
        value = htol(word)
        if value >= page_offset:
            return value
    raise CommandError(f"invalid start argument: {word}")


@command("tree", "display radix tree, XArray, red-black tree or maple tree", tree_parser,
         synopsis=SYNOPSIS)
def run_tree(session, args) -> Iterator[object]:
    opts = read_options(session, args)
    if opts.kind == "radix":
        raise CommandError("radix trees do not exist or have changed their format")
    fast = {spec: structview.fast_members(session.prog, spec)
            for spec in opts.structs if opts.fast and "." in spec}
    walk = {"xarray": xarray_entries, "maple": maple_entries}.get(opts.kind, rbtree_entries)
    return with_structs(session, opts, fast, walk(session, opts))


def with_structs(session, opts: TreeOptions, fast: dict, entries: Iterator) -> Iterator[object]:
    """Each entry with what -s/-S print for it (crash checks -S members at the first one)."""
    radix = opts.radix or session.settings.radix
    for entry in entries:
        if not isinstance(entry, TreeEntry):
            yield entry
            continue
        if opts.kind == "maple":
            entry.radix = radix
        try:
            for spec in opts.structs:
                entry.lines += structview.spec_lines(session, spec, fast.get(spec),
                                                     entry.address, radix)
        except CommandError:
            yield entry
            raise
        yield entry


# -- red-black trees --------------------------------------------------------------------------
def rbtree_entries(session, opts: TreeOptions) -> Iterator[TreeEntry | StructNotice]:
    """do_rbtree()/rbtree_iteration(): node, left subtree, right subtree (-l: in order)."""
    prog = session.prog
    node_type = prog.type("struct rb_node")
    left = drgn.offsetof(node_type, "rb_left")
    right = drgn.offsetof(node_type, "rb_right")
    read = pointer_reader(prog)
    root = opts.start if opts.args.node else read(
        opts.start + drgn.offsetof(prog.type("struct rb_root"), "rb_node"), "rb_root rb_node")
    seen: set[int] = set()
    linear, show = opts.args.linear, opts.args.position

    def child(node: int, offset: int, side: str) -> int | StructNotice:
        try:
            found = prog.read_word((node + offset) & MASK64)
        except drgn.FaultError:
            return StructNotice(f'invalid kernel virtual address: {(node + offset) & MASK64:x}  '
                                f'type: "rb_node rb_{side}"')
        if found:
            try:
                prog.read_word((found + left) & MASK64)
            except drgn.FaultError:
                return StructNotice(f"rb_node: {node:x}: corrupted rb_{side} pointer: {found:x}")
        return found

    def visit(node: int, path: str) -> Iterator[TreeEntry | StructNotice]:
        if not node:
            return
        if node in seen:
            raise CommandError(f"\nduplicate tree entry: {node:x}")
        seen.add(node)
        lower = child(node, left, "left")
        if linear:
            yield from descend(lower, path + "/l")
        yield TreeEntry((node - opts.node_offset) & MASK64, path if show else None)
        if not linear:
            yield from descend(lower, path + "/l")
        yield from descend(child(node, right, "right"), path + "/r")

    def descend(found: int | StructNotice, path: str) -> Iterator[TreeEntry | StructNotice]:
        if isinstance(found, StructNotice):
            yield found
        else:
            yield from visit(found, path)

    yield from visit(root, "root")


# -- XArrays ----------------------------------------------------------------------------------
def xarray_entries(session, opts: TreeOptions) -> Iterator[TreeEntry]:
    """do_xarray_traverse()/do_xarray_iter(): every non-NULL slot, depth first."""
    prog = session.prog
    node_type = prog.type("struct xa_node")
    slots = drgn.offsetof(node_type, "slots")
    shift_at = drgn.offsetof(node_type, "shift")
    chunk_shift = (node_type.member("slots").type.length or 1).bit_length() - 1
    mask = (1 << chunk_shift) - 1
    read = pointer_reader(prog)
    show = opts.args.position

    def height_of(node: int) -> int:
        address = (node + shift_at) & MASK64
        try:
            return prog.read_u8(address) // chunk_shift + 1
        except drgn.FaultError:
            raise CommandError(
                f'invalid kernel virtual address: {address:x}  type: "xa_node shift"') from None

    if opts.args.node:
        root = opts.start
        if root & XA_TAG_MASK == XA_TAG_INTERNAL:
            root &= ~XA_TAG_MASK
        height = height_of(root)
    else:
        root = read(opts.start + drgn.offsetof(prog.type("struct xarray"), "xa_head"),
                    "xarray xa_head")
        internal = root & XA_TAG_MASK == XA_TAG_INTERNAL
        root &= ~XA_TAG_MASK
        height = height_of(root) if internal else 0
    if height == 0:
        yield TreeEntry(root, "direct/0" if show else None, 0 if show else None)
        return
    seen: set[int] = set()

    def visit(node: int, height: int, path: str, index: int) -> Iterator[TreeEntry]:
        if node in seen:
            raise CommandError(f"\nduplicate tree node: {node:x}")
        seen.add(node)
        shift = (height - 1) * chunk_shift
        for off in range(mask + 1):
            slot = read(node + slots + 8 * off, "xa_node.slots[off]")
            if not slot:
                continue
            if slot & XA_TAG_MASK == XA_TAG_INTERNAL:
                slot &= ~XA_TAG_INTERNAL
            if height == 1:
                at = index | off
                yield TreeEntry(slot, f"{path}/{at & mask}" if show else None,
                                at if show else None)
            else:
                yield from visit(slot, height - 1, f"{path}/{off}", index | (off << shift))

    yield from visit(root, height, "root", 0)


# -- maple trees --------------------------------------------------------------------------------
@dataclass
class MapleLayout:
    """Offsets and sizes of the maple tree types (crash's maple_init)."""

    node_size: int
    parent: int
    slot: int  # maple_node.slot (dense)
    range_slot: int
    range_pivot: int
    arange_slot: int
    arange_pivot: int
    slots: dict[int, int]


def maple_layout(prog: drgn.Program) -> MapleLayout:
    node = prog.type("struct maple_node")
    r64 = prog.type("struct maple_range_64")
    a64 = prog.type("struct maple_arange_64")
    mr64, ma64 = drgn.offsetof(node, "mr64"), drgn.offsetof(node, "ma64")
    return MapleLayout(
        node.size, drgn.offsetof(node, "parent"), drgn.offsetof(node, "slot"),
        mr64 + drgn.offsetof(r64, "slot"), mr64 + drgn.offsetof(r64, "pivot"),
        ma64 + drgn.offsetof(a64, "slot"), ma64 + drgn.offsetof(a64, "pivot"),
        {MAPLE_DENSE: node.member("slot").type.length,
         MAPLE_LEAF_64: r64.member("slot").type.length,
         MAPLE_RANGE_64: r64.member("slot").type.length,
         MAPLE_ARANGE_64: a64.member("slot").type.length})


def maple_entries(session, opts: TreeOptions) -> Iterator[TreeEntry | TreeText]:
    """do_maple_tree_traverse(): the entries of the leaves, left to right (-v: every node's
    range and contents as crash dumps them)."""
    prog = session.prog
    layout = maple_layout(prog)
    radix = opts.radix or session.settings.radix
    verbose, show = opts.args.verbose, opts.args.position
    number = (lambda v: f"{v:x}") if radix == 16 else str
    mt_max = {MAPLE_DENSE: layout.slots[MAPLE_DENSE], MAPLE_LEAF_64: (1 << 64) - 1,
              MAPLE_RANGE_64: (1 << 64) - 1, MAPLE_ARANGE_64: (1 << 64) - 1}
    counter = [0]
    path = ["direct" if opts.args.node else ""]

    def read_node(address: int, what: str) -> bytes:
        try:
            return prog.read(address, layout.node_size)
        except drgn.FaultError:
            raise CommandError(
                f'invalid kernel virtual address: {address:x}  type: "{what}"') from None

    def word(buf: bytes, offset: int) -> int:
        return int.from_bytes(buf[offset:offset + 8], "little")

    def span(low: int, high: int, depth: int) -> str:
        text = number(low) if low == high else f"{number(low)}-{number(high)}"
        return " " * min(depth * 2, 32) + text + ": "

    def entry(value: int, low: int, high: int, depth: int, slot: int) -> Iterator[object]:
        if verbose:
            yield TreeText(span(low, high, depth) + entry_text(value, radix) + "\n")
        if value:
            counter[0] += 1
            yield TreeEntry(value, f"{path[0]}/{slot}" if show else None,
                            counter[0] if show else None, listed=not verbose)

    def node(enode: int, low: int, high: int, depth: int) -> Iterator[object]:
        address = enode & ~MAPLE_NODE_MASK
        kind = (enode >> MAPLE_NODE_TYPE_SHIFT) & MAPLE_NODE_TYPE_MASK
        buf = read_node(address, "mt_dump_node read maple_node")
        if verbose:
            parent = word(buf, layout.parent) if address else 0
            yield TreeText(span(low, high, depth) + f"node 0x{address:x} depth {depth} "
                           f"type {kind} parent {c_pointer(parent)}")
        if kind == MAPLE_DENSE:
            for i in range(layout.slots[MAPLE_DENSE]):
                yield from entry(word(buf, layout.slot + 8 * i), low + i, low + i, depth, i)
        elif kind in (MAPLE_LEAF_64, MAPLE_RANGE_64, MAPLE_ARANGE_64):
            yield from ranges(enode, kind, buf, low, high, depth)
        else:
            yield TreeText(" UNKNOWN TYPE\n")

    def ranges(enode: int, kind: int, buf: bytes, low: int, high: int,
               depth: int) -> Iterator[object]:
        arange = kind == MAPLE_ARANGE_64
        slot_at = layout.arange_slot if arange else layout.range_slot
        pivot_at = layout.arange_pivot if arange else layout.range_pivot
        count = layout.slots[kind]
        if verbose:
            gaps = arange_gaps(prog, buf, count, radix) if arange else ""
            yield TreeText(" contents: " + gaps
                           + contents_text(buf, slot_at, pivot_at, count, radix))
        leaf = kind < MAPLE_RANGE_64
        prefix = len(path[0])
        first = low
        for i in range(count):
            last = high
            slot = word(buf, slot_at + 8 * i)
            if i < count - 1:
                last = word(buf, pivot_at + 8 * i)
            elif not slot and (arange or high != mt_max[kind]):
                break
            if last == 0 and i > 0:
                break
            if leaf:
                yield from entry(slot, first, last, depth + 1, i)
            elif slot:
                path[0] = path[0][:prefix] + f"/{i}"
                yield from node(slot, first, last, depth + 1)
            if last >= high:
                if last > high:
                    yield TreeText(f"node {c_pointer(enode)} last ({last}) > max ({high}) "
                                   f"at pivot {i}!\n")
                break
            first = last + 1

    if opts.args.node:
        yield from node(opts.start, 0, mt_max.get((opts.start >> MAPLE_NODE_TYPE_SHIFT)
                                                   & MAPLE_NODE_TYPE_MASK, 0), 0)
        return
    tree_type = prog.type("struct maple_tree")
    try:
        buf = prog.read(opts.start, tree_type.size)
    except drgn.FaultError:
        raise CommandError(f'invalid kernel virtual address: {opts.start:x}  '
                           f'type: "mt_dump read maple_tree"') from None
    root = word(buf, drgn.offsetof(tree_type, "ma_root"))
    flags = int.from_bytes(buf[drgn.offsetof(tree_type, "ma_flags"):][:4], "little")
    if verbose:
        yield TreeText(f"maple_tree({opts.start:x}) flags {flags:X}, height "
                       f"{(flags & 0x7C) >> 2} root 0x{root:x}\n\n")
    if not (root & XA_TAG_MASK == XA_TAG_INTERNAL and root > MAPLE_RESERVED_RANGE):
        yield from entry(root, 0, 0, 0, 0)  # not a node (xa_is_node)
    else:
        path[0] = "root"
        yield from node(root, 0, mt_max.get((root >> MAPLE_NODE_TYPE_SHIFT)
                                            & MAPLE_NODE_TYPE_MASK, 0), 0)


def c_pointer(value: int) -> str:
    """printf's %p: ``(nil)`` or ``0x...``."""
    return f"0x{value:x}" if value else "(nil)"


def entry_text(value: int, radix: int) -> str:
    """dump_mt_entry(): a value entry, a zero entry, a reserved one, or the pointer."""
    signed = value - (1 << 64) if value >> 63 else value
    if value & 1:
        shifted = signed >> 1
        return (f"value 0x{(value >> 1):x}" if radix == 16 else f"value {shifted}") \
            + f" [0x{value:x}]"
    if value & XA_TAG_MASK == XA_TAG_INTERNAL and value == 0x102:  # xa_is_zero
        return f"zero (0x{value >> 2:x})" if radix == 16 else f"zero ({value >> 2})"
    if value < MAPLE_RESERVED_RANGE and value & XA_TAG_MASK == XA_TAG_INTERNAL:
        return f"UNKNOWN ENTRY (0x{value:x})"
    return f"0x{value:x}" if radix == 16 else str(value)


def arange_gaps(prog: drgn.Program, buf: bytes, count: int, radix: int) -> str:
    """dump_mt_arange64()'s gaps and metadata, before its slots and pivots."""
    node = prog.type("struct maple_node")
    a64 = prog.type("struct maple_arange_64")
    base = drgn.offsetof(node, "ma64")
    gap = base + drgn.offsetof(a64, "gap")
    meta = base + drgn.offsetof(a64, "meta")
    meta_type = prog.type("struct maple_metadata")
    end = buf[meta + drgn.offsetof(meta_type, "end")]
    largest = buf[meta + drgn.offsetof(meta_type, "gap")]
    values = [int.from_bytes(buf[gap + 8 * i:gap + 8 * i + 8], "little") for i in range(count)]
    text = "".join((f"{v:x} " if radix == 16 else f"{v} ") for v in values)
    return text + f"| {end:02X} {largest:02X}| "


def contents_text(buf: bytes, slot_at: int, pivot_at: int, count: int, radix: int) -> str:
    """The slots and pivots of dump_mt_range64()/dump_mt_arange64()."""
    def word(offset: int) -> int:
        return int.from_bytes(buf[offset:offset + 8], "little")

    parts = [f"{c_pointer(word(slot_at + 8 * i))} "
             f"{word(pivot_at + 8 * i):x}" if radix == 16 else
             f"{c_pointer(word(slot_at + 8 * i))} {word(pivot_at + 8 * i)}"
             for i in range(count - 1)]
    return "".join(p + " " for p in parts) + f"{c_pointer(word(slot_at + 8 * (count - 1)))}\n"

