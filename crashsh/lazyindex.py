"""Lazy loading: which module of a package registers what, read from the package's sources
without importing them, so that start-up pays only for the modules a session uses."""

from __future__ import annotations

import re
from importlib.resources import files


def scan_package(package: str, pattern: re.Pattern[str]) -> dict[str, list[str]]:
    """{name: [module, ...]} over the package's ``*.py`` files, *name* being the first group
    of *pattern* that matched (modules by file name, in sorted order)."""
    index: dict[str, list[str]] = {}
    sources = sorted((f for f in files(package).iterdir() if f.name.endswith(".py")),
                     key=lambda f: f.name)
    for source in sources:
        module = source.name[:-3]
        for match in pattern.finditer(source.read_text(encoding="utf-8")):
            name = next(group for group in match.groups() if group)
            modules = index.setdefault(name, [])
            if module not in modules:
                modules.append(module)
    return index
