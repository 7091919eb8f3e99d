"""gdb-printed values at a terminal: the layout of gdb's pretty print, members' names aligned
in each struct, values coloured by kind (crashsh.toolchain.valuetree gives the tree).

Piped or redirected output never comes here: that is crash's exact text.
"""

from __future__ import annotations

from rich.text import Text

PRINT_MAX = 256  # crash's gdb prints 256 elements of an array
STYLES = {
    "name": "bold",
    "address": "yellow",
    "symbol": "magenta",
    "string": "green",
    "number": "cyan",
    "enum": "bright_blue",
}


def value_text(tree: object, indent: int = 0) -> Text:
    """The value as gdb lays it out, with colours; *tree* is a node (or has ``__json__``)."""
    node = tree.__json__() if hasattr(tree, "__json__") else tree
    out = Text()
    emit(node, indent, out)
    return out


def emit(node: dict, indent: int, out: Text) -> None:
    if "members" in node:
        members = node["members"]
        if not members:
            out.append("{<No data fields>}")
            return
        width = max((len(m["name"]) for m in members if m["name"]), default=0)
        out.append("{")
        for i, member in enumerate(members):
            out.append(",\n" if i else "\n")
            out.append(" " * (indent + 2))
            if member["name"]:
                out.append(member["name"].ljust(width), STYLES["name"])
                out.append(" = ")
            emit(member, indent + 2, out)
        out.append("\n" + " " * indent + "}")
    elif "elements" in node:
        elements = node["elements"]
        out.append("{")
        for i, element in enumerate(elements[:PRINT_MAX]):
            if i:
                out.append(", ")
            emit(element, indent, out)
        out.append("...}" if len(elements) > PRINT_MAX else "}")
    else:
        leaf(node, out)


def leaf(node: dict, out: Text) -> None:
    """A scalar, pointer, function or string: gdb's text, its parts in their colours."""
    text = node.get("text", "")
    address = node.get("address") or node.get("value") if "symbol" in node else None
    at = text.find(address) if isinstance(address, str) else -1
    if at >= 0:  # [{type}] 0xADDRESS[ <symbol>][ "string"]
        out.append(text[:at])
        out.append(address, STYLES["address"])
        rest = text[at + len(address):]
        symbol = f" <{node['symbol']}>" if node["symbol"] else ""
        if symbol and rest.startswith(symbol):
            out.append(symbol, STYLES["symbol"])
            rest = rest[len(symbol):]
        out.append(rest, STYLES["string"])
    elif text.startswith('"'):
        out.append(text, STYLES["string"])
    elif node.get("enumerator") or isinstance(node.get("value"), bool):
        out.append(text, STYLES["enum"])
    elif "value" in node:
        out.append(text, STYLES["number"])
    else:
        out.append(text)
