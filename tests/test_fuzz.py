"""Fuzz: malformed command lines on stdin never show Python's errors, never end the shell and
never touch the dump (issue 8). The lines come from tests/fuzzlines.py, seeded per kernel.

crashsh's output is read as it comes, a chunk at a time, and only what the checks need is
kept (counts, the lines with Python's words, the largest outputs, the tail): a whole-kernel
`search 0` prints millions of lines, gigabytes on the 6.12 dump."""

from __future__ import annotations

import hashlib
import heapq
import os
import re
import signal
import subprocess
import sys
import threading
import time
from itertools import chain
from pathlib import Path

from tests.fuzzlines import command_words, fuzz_lines

LINES = 10_000
SEEDS = {"6.1": 61, "6.12": 612}
MARKER = 0x46555A5A00000000  # `ascii MARKER+i` after line i: its output names the line
SENTINEL = ("eval 0xfee1dead", "    decimal: 4276215469  \n")
TIMEOUT = 600  # seconds for one kernel's lines
MAX_MEMORY = 2 << 30  # crashsh's peak resident size: output streams, it is not kept
CHUNK = 1 << 20
# Python's words: texts, and patterns with the texts a line must hold to match them.
RAW_TEXTS = ("Traceback", "invalid literal for int()", "object has no attribute", "'NoneType'",
             "not subscriptable", "unsupported operand", "unexpected keyword argument",
             "index out of range", "object is not iterable", "int too big", "can't convert",
             "[Errno", "internal error")
RAW_PATTERNS = {
    r"\b\w+(Error|Exception|Warning)\b:": ("Error", "Exception", "Warning"),
    r"(takes|missing) \d+ (required )?positional argument": ("positional argument",),
}
RAW_PYTHON = re.compile("|".join([*map(re.escape, RAW_TEXTS), *RAW_PATTERNS]))
NEEDLES = [text.encode() for text in chain(RAW_TEXTS, *RAW_PATTERNS.values())]
# The bytes of a search match line ("ffff888000001000: 0 "): a stretch of output made of them
# alone holds no needle, and a needle's other bytes come in the same order without them.
QUIET = b"0123456789abcdef: \n"
MARKS = re.compile(rb"\n%08x([0-9a-f]{8}): " % (MARKER >> 32))
SHELL_ONLY = re.compile(r"""[|<>"']|^\s*(help|man|\?)\b""")


def fingerprint(path: Path) -> tuple[int, int, str]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def script(lines: list[str]) -> str:
    """The lines the line runner takes first, then those that need the cmd2 shell (so that
    both run a share), each followed by its marker; then the sentinel."""
    ordered = sorted(range(len(lines)), key=lambda i: bool(SHELL_ONLY.search(lines[i])))
    body = [part for i in ordered for part in (lines[i], f"ascii {MARKER + i:x}")]
    return "\n".join([*body, "set output plain", SENTINEL[0]]) + "\n"


class Watch:
    """What the test keeps of an output read a chunk at a time: each line with Python's
    words, named by the fuzz line that printed it (the one whose marker follows); the bytes
    and lines read; the largest outputs of single fuzz lines; the last bytes."""

    KEEP = 40  # offending lines kept (all are counted)

    def __init__(self, lines: list[str], rest: str) -> None:
        self.lines = lines
        self.rest = rest  # what prints the output after the last marker
        self.partial = b""
        self.offenders: list[str] = []
        self.pending: list[str] = []  # offending lines since the last marker
        self.offences = self.size = self.count = self.since = 0
        self.largest: list[tuple[int, str]] = []
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self.partial + chunk
        cut = data.rfind(b"\n") + 1
        self.partial = data[cut:]
        if cut:
            self.read(data[:cut])

    def close(self) -> None:
        if self.partial:
            self.read(self.partial + b"\n")
            self.partial = b""
        self.offenders += [f"{self.rest}: {text}" for text in self.pending]

    def read(self, body: bytes) -> None:
        """Whole lines: the markers in them and the lines that may hold Python's words, in
        their order."""
        events = [(m.start(), int(m.group(1), 16)) for m in MARKS.finditer(b"\n" + body)]
        events += [(start, None) for start in self.suspects(body)]
        for start, index in sorted(events, key=lambda e: (e[0], e[1] is None)):
            if index is None:
                self.check(body[start:body.index(b"\n", start)])
            elif index < len(self.lines):
                self.output_ends(self.size + start, repr(self.lines[index]))
        self.size += len(body)
        self.count += body.count(b"\n")
        self.tail = (self.tail + body[-4096:])[-4096:]

    def suspects(self, body: bytes) -> set[int]:
        """Where the lines holding a needle start (a quick pass over the bytes that are not
        QUIET first: most of a huge output is)."""
        rest = body.translate(None, QUIET)
        starts = set()
        for needle in NEEDLES:
            if needle.translate(None, QUIET) not in rest:
                continue
            at = body.find(needle)
            while at >= 0:
                starts.add(body.rfind(b"\n", 0, at) + 1)
                at = body.find(needle, body.index(b"\n", at))
        return starts

    def check(self, line: bytes) -> None:
        text = line.decode(errors="replace")
        if RAW_PYTHON.search(text):
            self.offences += 1
            if len(self.offenders) + len(self.pending) < self.KEEP:
                self.pending.append(text)

    def output_ends(self, at: int, line: str) -> None:
        """The output of fuzz line *line* (the one before its marker) ends at byte *at*."""
        self.offenders += [f"{line}: {text}" for text in self.pending]
        self.pending = []
        heapq.heappush(self.largest, (at - self.since, line))
        if len(self.largest) > 3:
            heapq.heappop(self.largest)
        self.since = at


def run_script(kernel, dump: Path, text: str, tmp: Path, watch: Watch):
    """Run crashsh in tmp/cwd on *text*, its output into *watch* and its errors into
    tmp/stderr; its exit code and resource usage (its own, from wait4). Killed after
    TIMEOUT seconds."""
    cwd = tmp / "cwd"
    cwd.mkdir()
    (tmp / "script").write_text(text)
    with open(tmp / "script", "rb") as stdin, open(tmp / "stderr", "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crashsh", "-s", "-d", kernel.moddir, kernel.vmlinux, str(dump)],
            stdin=stdin, stdout=subprocess.PIPE, stderr=stderr, cwd=cwd,
            env={**os.environ, "COLUMNS": "80"},
        )
    watchdog = threading.Timer(TIMEOUT, proc.kill)
    watchdog.start()
    with proc.stdout:
        while chunk := proc.stdout.read(CHUNK):
            watch.feed(chunk)
    watch.close()
    _, status, usage = os.wait4(proc.pid, 0)
    watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage


def test_malformed_lines(kernel, tmp_path):
    dump = Path(kernel.dump())
    before = fingerprint(dump)
    lines = fuzz_lines(SEEDS[kernel.series], LINES, command_words())
    assert len(lines) >= 10_000 and not any(line.lstrip().startswith("!") for line in lines)
    start = time.monotonic()
    out = Watch(lines, "after the last line")
    code, usage = run_script(kernel, dump, script(lines), tmp_path, out)
    elapsed = time.monotonic() - start
    err = Watch(lines, "on stderr")
    with open(tmp_path / "stderr", "rb") as f:
        while chunk := f.read(CHUNK):
            err.feed(chunk)
    err.close()
    largest = "; ".join(f"{size / 1e6:.0f} MB of {line}" for size, line in
                        sorted(out.largest, reverse=True))
    print(f"\n{kernel.series}: {len(lines)} lines in {elapsed:.1f}s "
          f"({usage.ru_utime + usage.ru_stime:.1f}s of CPU, {usage.ru_maxrss >> 10} MB at "
          f"most); {out.size / 1e6:.0f} MB of output in {out.count} lines; largest: {largest}")
    assert code != -signal.SIGKILL, f"not done in {TIMEOUT}s"
    problems = out.offenders + err.offenders
    assert not problems, (f"{out.offences + err.offences} lines with Python's text:\n"
                          + "\n".join(problems))
    assert SENTINEL[1] in out.tail[-300:].decode(errors="replace"), \
        "the shell did not survive to the sentinel"
    assert usage.ru_maxrss << 10 < MAX_MEMORY
    assert fingerprint(dump) == before


def test_watch_finds_python_text_anywhere():
    """A line with Python's words is found wherever it is: amid megabytes of search lines,
    split over two chunks, at the very end without a newline; and named by its fuzz line."""
    lines = ["search 0", "eval 1"]
    quiet = b"".join(b"ffff8880%08x: 0 \n" % (8 * i) for i in range(100_000))
    mark = b"%016x: ....ZZUF\n"
    stream = (quiet + b"search: ValueError: bad\n" + quiet
              + b"Traceback (most recent call last):\n" + quiet + mark % MARKER
              + b"eval: internal error\n" + mark % (MARKER + 1) + b"eval: TypeError: x")
    split = stream.index(b"ValueError") + 5
    for size in (CHUNK, 4099, 61):
        watch = Watch(lines, "after the last line")
        for piece in (stream[:split], stream[split:]):
            for at in range(0, len(piece), size):
                watch.feed(piece[at:at + size])
        watch.close()
        assert watch.offenders == [
            "'search 0': search: ValueError: bad",
            "'search 0': Traceback (most recent call last):",
            "'eval 1': eval: internal error",
            "after the last line: eval: TypeError: x",
        ]
        assert watch.count == 300_006 and watch.size == len(stream) + 1
        assert max(watch.largest)[1] == "'search 0'"
