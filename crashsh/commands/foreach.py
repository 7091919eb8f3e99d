"""foreach: run bt, ps, set, task, files, vm ... over selected tasks (crash's task.c foreach)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import drgn

from crashsh.conventions.numbers import is_number
from crashsh.conventions.tasks import task_table
from crashsh.errors import CommandError
from crashsh.kernel import tasks
from crashsh.kernel.tasks import TaskContext
from crashsh.parsing import TASKS, CommandParser, Completes, completes
from crashsh.records import LAYOUT, TaskHeader
from crashsh.commands.system import context_info
from crashsh.registry import (TaskRun, command, foreach_handler, get_foreach_check,
                              get_foreach_handler)

KEYWORDS = ("bt", "vm", "task", "set", "files", "net", "vtop", "sig", "ps")
SELECTORS = ("kernel", "user", "gleader", "active")
STATES = ("RU", "IN", "UN", "ST", "TR", "ZO", "DE", "PA", "WA", "ID", "NE", "SW")
FLAGS_WITH_VALUE = "Ry"
FLAGS = "vomlgersStTpukcfFxhdaG"


@dataclass
class ForeachTask:
    """One task's part of foreach output: crash's task line, then each keyword's data."""

    header: TaskHeader | None
    subsequent: bool = field(metadata=LAYOUT)
    outputs: list = field(default_factory=list)


@dataclass
class Selection:
    pids: set[int] = field(default_factory=set)
    addresses: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    patterns: list[re.Pattern] = field(default_factory=list)
    state: str | None = None
    kernel: bool = False
    user: bool = False
    gleader: bool = False
    active: bool = False

    @property
    def specified(self) -> bool:
        return bool(self.pids or self.addresses or self.names or self.patterns)


FOREACH_HELP = """\
Runs commands for many tasks: each chosen task's line, then what each command shows for it.
Tasks are chosen by pid, task address, command name or 'regex', by state (RU, IN, UN, ST,
TR, ZO, DE, PA, WA, ID, NE, SW), or as kernel, user, gleader (thread group leaders) or
active (the CPUs' running tasks); all tasks when none is given. Options follow the command
(foreach bt -f, foreach files -R console, foreach sig -g).
The commands foreach runs: {keywords}.{missing}
"""
FOREACH_EXAMPLES = """\
  foreach bt       every task's backtrace
  foreach UN bt    the backtraces of the tasks in uninterruptible sleep
  foreach 1 2 ps   two tasks' ps lines; `foreach 'kworker.*' task -R flags` members of many
"""


def foreach_parser() -> CommandParser:
    # no option parsing here: foreach's flags mix with its keywords (`foreach 1 ps -p`)
    runs = [k for k in KEYWORDS if get_foreach_handler(k) is not None]
    missing = [k for k in KEYWORDS if k not in runs]
    later = f"\ncrash's foreach also runs {', '.join(missing)}: not in crashsh yet." \
        if missing else ""
    p = CommandParser("foreach", FOREACH_HELP.format(keywords=", ".join(runs), missing=later),
                      examples=FOREACH_EXAMPLES, prefix_chars="\0")
    completes(p.add_argument("words", nargs="+",
                             help="[pid|task|name|'regex'|state|kernel|user|gleader|"
                                  "active ...] command [flag] [argument]"),
              Completes(names=TASKS.names, words=KEYWORDS + SELECTORS + STATES))
    return p


def split_flags(words: list[str]) -> tuple[dict[str, object], list[str]]:
    """crash's getopt over foreach's arguments: flags may come anywhere, as in `foreach bt -f`."""
    flags: dict[str, object] = {}
    rest: list[str] = []
    it = iter(words)
    for word in it:
        if not word.startswith("-") or word == "-" or word[1:].isdigit():
            rest.append(word)
            continue
        letters = word[1:]
        for i, letter in enumerate(letters):
            if letter in FLAGS_WITH_VALUE:
                value = letters[i + 1:] or next(it, None)
                if value is None:
                    raise CommandError(f"option requires an argument -- '{letter}'")
                flags[letter] = value
                break
            if letter not in FLAGS:
                raise CommandError(f"invalid option -- '{letter}'")
            flags[letter] = flags.get(letter, 0) + 1
    return flags, rest


def parse_selection(prog: drgn.Program, words: list[str]) -> tuple[Selection, list[str], list[str]]:
    """Selectors, then keywords, then the keywords' arguments."""
    selection, keywords, arguments = Selection(), [], []
    table = task_table(prog)
    comms = {tc.comm for tc in table.contexts}
    for word in words:
        if keywords:
            (keywords if word in KEYWORDS else arguments).append(word)
        elif word in KEYWORDS:
            keywords.append(word)
        elif is_number(word) and (found := table.find(word)) is not None:
            (selection.pids if found.kind == "pid" else selection.addresses).add(found.value)
        elif word in SELECTORS:
            setattr(selection, word, True)
            if word == "gleader":
                selection.user = True
        elif word.lstrip("\\") in STATES:
            if selection.state:
                raise CommandError("only one task state allowed")
            selection.state = word.lstrip("\\")
        elif len(word) > 1 and word.startswith("'") and word.endswith("'"):
            try:
                selection.patterns.append(re.compile(word[1:-1]))
            except re.error:
                raise CommandError(f"invalid regular expression: {word[1:-1]}") from None
        elif word.lstrip("\\") in comms:
            selection.names.add(word.lstrip("\\"))
        else:
            raise CommandError(f'unknown argument: "{word}"')
    if selection.kernel and selection.user:
        raise CommandError("user and kernel are mutually exclusive!")
    return selection, keywords, arguments


def selected(prog: drgn.Program, selection: Selection) -> Iterator[TaskContext]:
    """The tasks in crash's order (each CPU's idle task, then by pid) that match."""
    active = tasks.active_tasks(prog)
    names = {n[:15] for n in selection.names}
    for tc in tasks.task_contexts(prog):
        if selection.active and tc.address not in active:
            continue
        if selection.user and tc.is_kthread or selection.kernel and not tc.is_kthread:
            continue
        if selection.gleader and tc.pid != tc.tgid:
            continue
        if selection.state and tc.state_code != selection.state:
            continue
        if selection.specified and not (
            tc.pid in selection.pids
            or tc.address in selection.addresses
            or tc.comm[:15] in names
            or any(p.search(tc.comm) for p in selection.patterns)
        ):
            continue
        yield tc


@command("foreach", "display command data for multiple tasks in the system", foreach_parser,
         synopsis="[[pid | taskp | name | state | [kernel | user | gleader]] ...]\n"
                  "          command [flag] [argument]")
def run_foreach(session, args) -> Iterator[object]:
    flags, words = split_flags(args.words)
    selection, keywords, arguments = parse_selection(session.prog, words)
    if not keywords:
        raise CommandError("no command keyword given (bt, ps, set, task, files, vm, ...)")
    handlers = {k: get_foreach_handler(k) for k in keywords}
    missing = [k for k, handler in handlers.items() if handler is None]
    if missing:
        raise CommandError(f"foreach {missing[0]} is not supported yet")
    return foreach_outputs(session, selection, keywords, handlers,
                           {**flags, "arguments": arguments})


def foreach_outputs(session, selection: Selection, keywords: list[str], handlers: dict,
                    flags) -> Iterator[object]:
    """The keywords' checks (their notices, or their failure), then each selected task's
    outputs. At the first task each keyword's handler gets crash's foreach flags, plus
    ``arguments`` (the words after the keywords), and gives the function that makes a task's
    output (which keeps what crash keeps across tasks)."""
    for keyword in keywords:
        if (check := get_foreach_check(keyword)) is not None:
            yield from check(flags)
    header = not any(prints_own_header(k, flags) for k in keywords)
    runs = []
    for count, tc in enumerate(selected(session.prog, selection)):
        if not runs:  # the keywords read the flags once, when there is a task
            runs = [handlers[k](session, flags) for k in keywords]
        outputs = [run(tc.task, count > 0) for run in runs]
        yield ForeachTask(tc.header if header else None, count > 0, outputs)


def prints_own_header(keyword: str, flags) -> bool:
    """Keywords after which crash's foreach prints no task line: ps, sig -g (each thread
    group under its leader's line) and any keyword with -R (e.g. task -R prints its own)."""
    return keyword == "ps" or keyword == "sig" and bool(flags.get("g")) or "R" in flags


@foreach_handler("set")
def foreach_set(session, flags) -> TaskRun:
    """`foreach set`: show_context() of each task, under its task line."""
    return lambda task, subsequent: context_info(session, task)
