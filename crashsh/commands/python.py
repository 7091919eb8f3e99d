"""py (alias drgn): Python with prog, the helpers and the current task; extend: load commands."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from crashsh.errors import CommandError
from crashsh.parsing import CommandParser
from crashsh.registry import COMMANDS, command


def python_namespace(session) -> dict:
    """What `py` sees: prog, session, task (the context), last (the last result), drgn's helpers."""
    import drgn
    import drgn.helpers.common as common
    import drgn.helpers.linux as linux

    namespace: dict = {"drgn": drgn, "prog": session.prog, "session": session,
                       "task": session.context, "last": session.last_result}
    for module in (common, linux):
        namespace.update({name: getattr(module, name) for name in module.__all__})
    namespace.update({"Object": drgn.Object, "cast": drgn.cast, "container_of": drgn.container_of})
    return namespace


PY_HELP = """\
Python on the open dump: `prog` (the drgn Program), `task` (the context task), `last`
(the previous command's data) and drgn's helpers are there. An expression's value is
printed; a statement is run; no argument opens a console. drgn is an alias.
"""
PY_EXAMPLES = """\
  py prog['jiffies']          a drgn Object
  py len(list(for_each_task(prog)))   how many tasks
  py last[0]                  the first record of the previous command
"""


def py_parser() -> CommandParser:
    p = CommandParser("py", PY_HELP, examples=PY_EXAMPLES)
    p.add_argument("code", nargs="*", help="Python code (prog, task, last and drgn helpers are there)")
    return p


@command("py", "Python with prog, helpers and the current task", py_parser)
def run_py(session, args):
    namespace = python_namespace(session)
    source = " ".join(args.code)
    if not source:
        if not sys.stdin.isatty():
            raise CommandError("an interactive console needs a terminal; give the code as arguments")
        from crashsh.pyconsole import interact

        interact(namespace)
        return None
    try:
        return run_source(source, namespace)
    except Exception as e:  # noqa: BLE001 - the user's own code failed: say how, as Python does
        raise CommandError(traceback.format_exception_only(e)[-1].rstrip("\n")) from None


def run_source(source: str, namespace: dict) -> str | None:
    """An expression's value as text (None for None), or a statement run for its effect."""
    try:
        compiled = compile(source, "<py>", "eval")
    except SyntaxError:
        exec(compile(source, "<py>", "exec"), namespace)  # noqa: S102 - the user's own code
        return None
    result = eval(compiled, namespace)  # noqa: S307 - the user's own code
    return None if result is None else f"{result}\n"


EXTEND_HELP = """\
Loads a Python file that registers commands with crashsh's @command decorator (see the
README); its commands are then run like the built-ins. Installed packages with entry points
in group crashsh.commands are loaded at start.
"""
EXTEND_EXAMPLES = """\
  extend ~/crashsh-ext/release.py    adds the file's commands (say, `release`)
"""


def extend_parser() -> CommandParser:
    p = CommandParser("extend", EXTEND_HELP, examples=EXTEND_EXAMPLES)
    p.add_argument("files", nargs="+", metavar="FILE.py")
    return p


@command("extend", "load extension commands from a Python file", extend_parser,
         synopsis="[shared-object ...] | [-u [shared-object ...]] | -s", needs_dump=False)
def run_extend(session, args):
    loaded = []
    for path in map(Path, args.files):
        before = set(COMMANDS)
        load_extension(path)
        added = sorted(set(COMMANDS) - before)
        loaded.append(f"{path}: {', '.join(added) if added else 'no new commands'}\n")
    return loaded


def load_extension(path: Path) -> None:
    """Import a Python file whose @command decorators register new commands."""
    if not path.is_file():
        raise CommandError(f"{path}: No such file or directory")
    spec = importlib.util.spec_from_file_location(f"crashsh_ext_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CommandError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - report the extension's failure as one line
        raise CommandError(f"{path}: {type(e).__name__}: {e}") from None
