"""crashsh at a real terminal for tests: a pty (pexpect) whose output goes through a terminal
emulator (pyte), so a test reads the screen a person would see, not prompt_toolkit's escapes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pyte

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "crash> "
ROWS, COLUMNS = 50, 160


class Terminal:
    """One crashsh process on a pty of ROWS x COLUMNS."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        environment = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1",
                       "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                       **(env or {})}
        environment.pop("NO_COLOR", None)
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-m", "crashsh", *args], env=environment,
                                   dimensions=(ROWS, COLUMNS), echo=False)
        self.transcript = bytearray()

    # -- reading the screen -------------------------------------------------------------------
    def pump(self, wait: float = 0.1) -> None:
        """Feed what the program wrote (within *wait* seconds) to the emulator."""
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            return
        self.transcript += data
        self.stream.feed(data)

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    @property
    def text(self) -> str:
        return "\n".join(self.lines).rstrip()

    @property
    def cursor_line(self) -> str:
        return self.screen.display[self.screen.cursor.y].rstrip()

    def wait_for(self, condition, timeout: float = 120, what: str = "") -> None:
        """Pump until condition(self) holds; fail with the screen after *timeout* seconds."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}:\n{self.text}")
            if not self.child.isalive() and not self.child.closed:
                self.pump(0.1)
                if not condition(self):
                    raise AssertionError(f"crashsh ended waiting for {what}:\n{self.text}")
            self.pump()

    def wait_text(self, text: str, timeout: float = 120) -> None:
        self.wait_for(lambda t: text in t.text, timeout, repr(text))

    def wait_prompt(self, prompt: str = PROMPT, timeout: float = 120, below: int = -1) -> None:
        """Until the cursor sits after *prompt* on an otherwise empty line below row *below*."""
        self.wait_for(lambda t: t.screen.cursor.y > below and t.cursor_line == prompt.rstrip()
                      and t.screen.cursor.x == len(prompt), timeout, f"prompt {prompt!r}")

    # -- typing -------------------------------------------------------------------------------
    def clear(self, prompt: str = PROMPT) -> None:
        """Ctrl-L at *prompt*: the line editor clears the screen and draws the prompt at the
        top, so the next assertions see only what follows."""
        self.child.send("\x0c")
        self.wait_for(lambda t: t.screen.cursor.y == 0 and t.cursor_line == prompt.rstrip()
                      and not any(t.lines[1:]), 30, f"a clear screen at {prompt!r}")

    def type(self, keys: str) -> None:
        self.child.send(keys)

    def line(self, text: str, prompt: str = PROMPT) -> str:
        """Type *text* and Enter at a clear screen; wait for *prompt*; the screen's text."""
        self.clear(self.cursor_line + " " if self.cursor_line.endswith(">") else PROMPT)
        self.child.send(text + "\r")
        self.wait_prompt(prompt, below=0)
        return self.text

    def interrupt(self) -> None:
        self.child.sendintr()

    def wait_exit(self, timeout: float = 60) -> int | None:
        """Until crashsh ends by itself; its exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def close(self) -> int | None:
        """End crashsh (q) and return its exit status (None: it had to be killed)."""
        if self.child.isalive():
            self.child.send("q\r")
            try:
                self.child.expect(pexpect.EOF, timeout=60)
            except pexpect.TIMEOUT:
                self.child.terminate(force=True)
        self.child.close()
        return self.child.exitstatus
