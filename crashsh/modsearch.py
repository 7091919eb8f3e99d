"""crash's search for a module's object file (kernel.c find_module_objfile and
module_objfile_search): directory trees read as `find DIR -name FILE` reads them, the first
match winning."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

WITH_DEBUG = (".o", ".ko", ".ko.debug")
WITHOUT_DEBUG = (".o", ".ko")


@dataclass
class Tree:
    """One directory tree: its files' paths in find's order, walked on first need."""

    top: str
    suffixes: tuple[str, ...]
    follow: bool = False  # find -L (crash follows links only below a directory given to it)
    _paths: list[str] | None = field(default=None, repr=False)

    def paths(self) -> list[str]:
        if self._paths is None:
            self._paths = list(find_order(self.top, self.follow, set()))
        return self._paths

    def first(self, pattern: str) -> str | None:
        """The first path whose name matches *pattern* (find's -name: a glob)."""
        glob = "[" in pattern
        for path in self.paths():
            name = os.path.basename(path)
            if fnmatch.fnmatchcase(name, pattern) if glob else name == pattern:
                return path
        return None


def find_order(top: str, follow: bool, seen: set[tuple[int, int]]) -> Iterator[str]:
    """The paths below *top* depth first, each directory's entries in readdir's order (as
    find prints them); with *follow*, symbolic links are followed, each directory once."""
    try:
        entries = list(os.scandir(top))
    except OSError:
        return
    for entry in entries:
        yield entry.path
        try:
            if not entry.is_dir(follow_symlinks=follow):
                continue
            st = entry.stat(follow_symlinks=follow)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            yield from find_order(entry.path, follow, seen)


def search_trees(release: str, vmlinux: str, tree: str | None) -> list[Tree]:
    """crash's places, in its order: a directory given to `mod -S`, or else the distro's
    debuginfo tree, $CRASH_MODULE_PATH, /lib/modules/RELEASE (updates first) and the
    directory of the vmlinux file."""
    if tree:
        return [Tree(tree, WITH_DEBUG, follow=True)]
    trees = [Tree(f"/usr/lib/debug/lib/modules/{release}", WITH_DEBUG)]
    if os.environ.get("CRASH_MODULE_PATH"):
        trees.append(Tree(os.environ["CRASH_MODULE_PATH"], WITH_DEBUG))
    trees += [Tree(f"/lib/modules/{release}/updates", WITHOUT_DEBUG),
              Tree(f"/lib/modules/{release}", WITHOUT_DEBUG),
              Tree(os.path.dirname(os.path.realpath(vmlinux)), WITH_DEBUG)]
    return [t for t in trees if os.path.isdir(t.top)]


def find_module_file(trees: list[Tree], name: str) -> str | None:
    """crash's find_module_objfile(): NAME, then with dashes for underscores, then (more
    than one underscore) with either at each; in each tree NAME.o, NAME.ko, NAME.ko.debug."""
    refs = [name, name.replace("_", "-")]
    if name.count("_") > 1:
        refs.append(name.replace("_", "[_-]"))
    for ref in refs:
        for tree in trees:
            for suffix in tree.suffixes:
                found = tree.first(ref + suffix)
                if found is not None:
                    return found
    return None
