"""The `py` console: Python on the dump's names, values shown as drgn shows them, Tab
completion of names and attributes, Ctrl-C that stops the running code (not crashsh), and
exit(), quit() or Ctrl-D back to the crash prompt."""

from __future__ import annotations

import builtins
import code
import contextlib
import re
import rlcompleter
import signal
import sys
from collections.abc import Iterator

import drgn

BANNER = ("crashsh Python: prog, task, last and drgn's helpers. "
          "exit(), quit() or Ctrl-D returns to crash.")
INDENT = "    "
# the dotted name before the cursor, as rlcompleter completes it (`task.co`, `prog.ma`)
DOTTED_NAME = re.compile(r"[\w.]*$")
# drgn's REPL shows these with str(): `(char [16])"crashsh-panic"`, not `Object(prog, ...)`
DRGN_VALUES = (drgn.Object, drgn.Type, drgn.StackTrace, drgn.StackFrame, drgn.Symbol)


class ConsoleExit:
    """exit() and quit() in the console: back to crash. Python's own close sys.stdin first,
    which would end crashsh with it."""

    def __repr__(self) -> str:
        return "Use exit() or Ctrl-D to return to crash"

    def __call__(self, code: object = None) -> None:
        raise SystemExit(code)


def value_text(value: object) -> str:
    """A value as the console shows it: drgn's objects as drgn prints them, the rest as
    Python's REPL does."""
    return str(value) if isinstance(value, DRGN_VALUES) else repr(value)


def display(value: object) -> None:
    """sys.displayhook for the console (`_` is the last value, as in Python's REPL)."""
    if value is None:
        return
    builtins._ = None  # type: ignore[attr-defined]
    sys.stdout.write(value_text(value) + "\n")
    builtins._ = value  # type: ignore[attr-defined]


def python_completions(namespace: dict, text: str) -> list[str]:
    """rlcompleter's completions of the dotted name *text* (empty text: none, Tab indents)."""
    if not text:
        return []
    completer = rlcompleter.Completer(namespace)
    found: list[str] = []
    while (match := completer.complete(text, len(found))) is not None:
        found.append(match)
    return list(dict.fromkeys(found))


def console_session(namespace: dict):
    """A prompt_toolkit session (the shell's line editor) completing Python names."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.key_binding import KeyBindings

    class PythonCompleter(Completer):
        def get_completions(self, document, complete_event) -> Iterator[Completion]:
            text = DOTTED_NAME.search(document.text_before_cursor)[0]
            for match in python_completions(namespace, text):
                yield Completion(match, start_position=-len(text))

    keys = KeyBindings()

    @keys.add("tab", filter=_blank_before_cursor())
    def _indent(event) -> None:
        event.current_buffer.insert_text(INDENT)

    return PromptSession(completer=PythonCompleter(), key_bindings=keys,
                         complete_while_typing=False)


def _blank_before_cursor():
    from prompt_toolkit.application import get_app
    from prompt_toolkit.filters import Condition

    return Condition(lambda: not get_app().current_buffer.document
                     .current_line_before_cursor.strip())


class CrashConsole(code.InteractiveConsole):
    """Python's console reading lines with prompt_toolkit."""

    def __init__(self, namespace: dict) -> None:
        super().__init__(namespace)
        self.lines = console_session(namespace)

    def raw_input(self, prompt: str = "") -> str:
        return self.lines.prompt(prompt)


@contextlib.contextmanager
def python_behaviour() -> Iterator[None]:
    """Ctrl-C raises Python's plain KeyboardInterrupt (the shell's handler would end the whole
    `py` command); values print through display()."""
    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_hook = sys.displayhook
    sys.displayhook = display
    try:
        yield
    finally:
        sys.displayhook = previous_hook
        signal.signal(signal.SIGINT, previous_handler)


def interact(namespace: dict) -> None:
    """Run the console until exit(), quit(), sys.exit() or Ctrl-D."""
    namespace = {**namespace, "exit": ConsoleExit(), "quit": ConsoleExit()}
    with python_behaviour(), contextlib.suppress(SystemExit):
        CrashConsole(namespace).interact(banner=BANNER, exitmsg="")
