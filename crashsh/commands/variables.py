"""crash's internal variables (`set NAME [VALUE]`, `set -v`; tools.c cmd_set and show_options).

crashsh keeps every variable crash lists. radix, scroll, silent and offline act as in crash
(offline: `mach`); hash, refresh, core, redzone, debug and error are kept and shown (crashsh
has no hash queue, task refresh, core dumps, redzone display, debug levels or error file);
the variables tied to gdb's printing or crash's own machinery (print_max, print_array,
null-stop, gdb, scope, unwind, zero_excluded, console, edit) show their value and cannot be
changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from crashsh.conventions.numbers import NumberError, is_number, stol
from crashsh.errors import CommandError

PRINT_MAX = 256  # gdb's print elements, as crash sets it (crashsh's value printer uses it)
FIXED = {"print_max": str(PRINT_MAX), "print_array": "off", "null-stop": "off", "gdb": "off",
         "unwind": "off", "zero_excluded": "off", "edit": "vi"}
TOGGLES = ("hash", "refresh", "core", "redzone")
OUTPUT_MODES = ("plain", "rich", "json", "auto")
ON_OFF = ("on", "off")
# the values Tab offers after each variable's name, and every name `set` takes
VALUE_WORDS = {"radix": ("10", "16"), "scroll": ON_OFF, "silent": ON_OFF,
               "offline": ("show", "hide"), "output": OUTPUT_MODES,
               **dict.fromkeys(TOGGLES, ON_OFF)}
NAMES = ("radix", "hex", "dec", "scroll", "silent", "offline", "output", *TOGGLES, "debug",
         "error", "edit", "namelist", "console", "scope", *FIXED)


@dataclass
class SettingValue:
    """One `set NAME [VALUE]` line, e.g. ``output radix: 16 (hex)``."""

    name: str
    value: str

    def text(self) -> str:
        return f"{self.name}: {self.value}"


@dataclass
class CrashVariables:
    """`set -v`: every variable crash lists, in its order, with crashsh's values."""

    variables: list[tuple[str, str]]


def invalid(words: list[str]) -> CommandError:
    """crash's invalid_set_command: the whole command line, each word and a space."""
    return CommandError("invalid command: " + "".join(f"{w} " for w in ["set", *words]))


def on_off(text: str, words: list[str]) -> bool:
    """on, off, or a number (non-zero is on), as crash reads a toggle."""
    if text in ("on", "off"):
        return text == "on"
    if is_number(text):
        try:
            return stol(text) != 0
        except NumberError as e:
            raise CommandError(str(e)) from None
    raise invalid(words)


def scroll_text(settings) -> str:
    """crash's scroll line: the setting, and the pager (crash has one only for a terminal)."""
    return f"{'on' if settings.scroll else 'off'} ({settings.pager or 'none'})"


def radix_text(radix: int, hex_word: str = "hex") -> str:
    return f"{radix} ({'decimal' if radix == 10 else hex_word})"


def debug_level(text: str, words: list[str]) -> int:
    if text in ("on", "off"):
        return int(text == "on")
    if not is_number(text):
        raise invalid(words)
    try:
        return stol(text)
    except NumberError as e:
        raise CommandError(str(e)) from None


def change(session, words: list[str]) -> SettingValue | None:
    """`set NAME [VALUE]` for a crash variable (or crashsh's `output`)."""
    settings = session.settings
    name, value = words[0], (words[1] if len(words) > 1 else None)
    if name in ("hex", "dec"):
        settings.radix = 16 if name == "hex" else 10
        return SettingValue("output radix", radix_text(settings.radix))
    if name == "radix":
        if value is not None:
            if value == "10" or value.startswith(("dec", "ten")):
                settings.radix = 10
            elif value == "16" or value.startswith(("hex", "six")):
                settings.radix = 16
            else:
                raise invalid(words)
        return SettingValue("output radix", radix_text(settings.radix))
    if name == "scroll":
        if value is not None and settings.pager is not None:
            if value in ("more", "less", "CRASHPAGER"):
                raise CommandError(f"crashsh pages with less only: {value}")
            settings.scroll = on_off(value, words)
        return SettingValue("scroll", scroll_text(settings))
    if name == "silent":
        if value is not None:
            settings.silent = on_off(value, words)
            settings.scroll = settings.scroll and not settings.silent
        return None if settings.silent else SettingValue("silent", "off")
    if name == "offline":
        if value is not None:
            if value not in ("show", "hide"):
                raise invalid(words)
            settings.offline_shown = value == "show"
        return SettingValue("      offline", "show" if settings.offline_shown else "hide")
    if name in TOGGLES:
        if value is not None:
            settings.variables[name] = on_off(value, words)
        state = "on" if settings.variables[name] else "off"
        if name == "core":
            state = "on (drop core" if settings.variables[name] else "off (do NOT drop core"
            return SettingValue("core", f"{state} on error message)")
        return SettingValue(name, state)
    if name == "debug":
        if value is not None:
            settings.variables["debug"] = debug_level(value, words)
        return SettingValue("debug", str(settings.variables["debug"]))
    if name == "error":
        if value is not None:
            settings.variables["error"] = value
        return SettingValue("error", settings.variables["error"])
    if name in ("edit", "vi", "emacs"):
        if value is not None or name != "edit":
            mode = "vi " if name == "emacs" else ""
            raise CommandError(f"cannot change {mode}editing mode during runtime")
        return SettingValue("edit", FIXED["edit"])
    if name == "namelist":
        return SettingValue("namelist", session.vmlinux)
    if name == "console":
        return SettingValue("console", "not set")
    if name == "scope":
        if value is not None:
            raise CommandError("crashsh has no gdb scope to set")
        return SettingValue("scope", "0 (not set)")
    if name in FIXED:
        if value is not None and value != FIXED[name]:
            raise CommandError(f"{name} cannot be changed in crashsh")
        return SettingValue(name, FIXED[name])
    if name == "output":
        return output_mode(settings, value)
    return NotImplemented


def output_mode(settings, value: str | None) -> SettingValue:
    """crashsh's own `set output plain|rich|json|auto`."""
    if value is not None:
        if value not in OUTPUT_MODES:
            raise CommandError(f"invalid output mode: {value} (one of {', '.join(OUTPUT_MODES)})")
        settings.output = value
    return SettingValue("output", settings.output)


def variables(session) -> CrashVariables:
    """show_options(): crash's list, crashsh's values."""
    s = session.settings
    v = s.variables
    return CrashVariables([
        ("scroll", scroll_text(s)),
        ("radix", radix_text(s.radix, "hexadecimal")),
        ("refresh", "on" if v["refresh"] else "off"),
        ("print_max", FIXED["print_max"]),
        ("print_array", FIXED["print_array"]),
        ("console", "(not assigned)"),
        ("debug", str(v["debug"])),
        ("core", "on" if v["core"] else "off"),
        ("hash", "on" if v["hash"] else "off"),
        ("silent", "on" if s.silent else "off"),
        ("edit", FIXED["edit"]),
        ("namelist", session.vmlinux),
        ("dumpfile", session.dumpfile),
        ("unwind", FIXED["unwind"]),
        ("zero_excluded", FIXED["zero_excluded"]),
        ("null-stop", FIXED["null-stop"]),
        ("gdb", FIXED["gdb"]),
        ("scope", "0 (not set)"),
        ("offline", "show" if s.offline_shown else "hide"),
        ("redzone", "on" if v["redzone"] else "off"),
        ("error", v["error"]),
    ])
