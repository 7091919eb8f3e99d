"""A debugging session: the drgn Program for one dump, its debuginfo, the context task, settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import drgn

from crashsh import dumpfile, splitdump
from crashsh.dumpfacts import facts
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError
from crashsh.timings import Timings

if TYPE_CHECKING:
    from crashsh.toolchain.gdbvalues import ValuePrinter
    from crashsh.toolchain.symtab import CrashSymbolTable

LIVE_CORE = "/proc/kcore"
DISABLE_PLUGINS = "DRGN_DISABLE_PLUGINS"


@dataclass
class Settings:
    """What `set` changes besides the context."""

    radix: int = 10
    scroll: bool = True
    pager: str | None = None  # what scrolls: less when the output is a terminal (as crash)
    output: str = "plain"  # plain | rich | json
    prompt: str = "crash> "
    silent: bool = False  # crash's -s: no banner, no echo of input-file lines
    offline_shown: bool = True  # `set offline show|hide`
    # crash's variables crashsh keeps without acting on them (commands/variables.py)
    variables: dict = field(default_factory=lambda: {
        "hash": True, "refresh": True, "core": False, "redzone": True, "debug": 0,
        "error": "default"})


@dataclass
class DebugInfoSources:
    """Where to look for kernel and module debuginfo (pycrash-style options)."""

    vmlinux: str | None = None
    debug_dirs: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    build_dirs: list[str] = field(default_factory=list)


class Session:
    """Everything a command needs: ``prog``, the files, the context task and the settings."""

    def __init__(self, prog: drgn.Program, vmlinux: str, vmcore: str, kind: FileKind) -> None:
        self.prog = prog
        self.vmlinux = vmlinux  # the file read (a compressed kernel's decompressed copy)
        self.vmlinux_given: str | None = None  # the kernel file as the user named it
        self.vmcore = vmcore  # the file read (a split kdump's joined copy)
        self.split_files: tuple[str, ...] = ()  # a split kdump's parts as the user named them
        self.kind = kind
        self.settings = Settings()
        self.warnings: list[str] = []
        self.debug_dirs: tuple[str, ...] = ()  # module debuginfo directories as the user named them
        self.last_result: object = None
        self.value_history: list[drgn.Object] = []  # gdb's $1, $2, ... (`p`)
        # gdb's last print/FMT letter (a bare `p/` repeats it): crash's start-up already ran
        # gdb's x/i (x86_64_init's search_for_switch_to)
        self.gdb_format = "i"
        self.bug_bytes = 0  # crash's kt->BUG_bytes (`dis -b`): 0 since Linux 2.6.20
        self.timings = Timings()  # --timings: start-up phases and commands, on stderr
        self._context: drgn.Object | None = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, vmcore: str | Sequence[str] | None, sources: DebugInfoSources,
             timings: Timings | None = None) -> "Session":
        """Open *vmcore*, the parts of a split kdump (any order) or the live kernel (None or
        no files), and load debuginfo; raise CrashshError."""
        logging.getLogger("drgn").setLevel(logging.CRITICAL)  # crashsh reports problems itself
        timings = timings or Timings()
        prog = drgn.Program()
        files = [vmcore] if isinstance(vmcore, str) else list(vmcore or ())
        split = _split_files(files)
        if split:
            with timings.phase("join split dump"):
                files = [splitdump.joined(split)]
        with timings.phase("open dump"):
            path, kind = _open_dump(prog, files[0] if files else None)
        session = cls(prog, sources.vmlinux or "", path, kind)
        session.split_files = tuple(split)
        session.timings = timings
        session.warnings = _load_debuginfo(prog, sources, timings)
        session.debug_dirs = (*sources.debug_dirs, *sources.build_dirs)
        session.vmlinux = sources.vmlinux or prog.main_module().debug_file_path or ""
        return session

    def load_tables(self) -> None:
        """Build crash's symbol table and task table now, not on first use (``--timings``
        times them as crash's start-up does)."""
        from crashsh.kernel.tasks import task_contexts

        with self.timings.phase("symbol table"):
            _ = self.symtab.kernel, self.symtab.modules
        with self.timings.phase("task table"):
            task_contexts(self.prog)

    # -- context ---------------------------------------------------------------------------
    @property
    def context(self) -> drgn.Object:
        """The current context task (``struct task_struct *``); starts on the panic task."""
        if self._context is None:
            self._context = self.panic_task
        return self._context

    @context.setter
    def context(self, task: drgn.Object) -> None:
        self._context = task

    @property
    def panic_task(self) -> drgn.Object:
        """The task that crashed, or CPU 0's current task on a live system or a dump without one."""
        return facts(self.prog).panic_task

    @property
    def symtab(self) -> CrashSymbolTable:
        """crash's symbol table (vmlinux .symtab plus modules), built on first use."""
        return facts(self.prog).symtab

    def value_printer(self, radix: int | None = None) -> ValuePrinter:
        """gdb's value printer in *radix* (default: the output radix of `set radix`)."""
        return facts(self.prog).value_printers[radix or self.settings.radix]

    @property
    def dump_files(self) -> tuple[str, ...]:
        """The dump as the user named it: one file, or a split kdump's parts in their order."""
        return self.split_files or (self.vmcore,)

    @property
    def dumpfile(self) -> str:
        """crash's pc->dumpfile: the dump file, or the last part of a split kdump named."""
        return self.dump_files[-1]

    @property
    def is_live(self) -> bool:
        return self.vmcore == LIVE_CORE

    @cached_property
    def page_map(self) -> dumpfile.PageMap:
        """Which page frames the dump file holds (the live kernel: those no read failed)."""
        kind = FileKind.UNKNOWN if self.is_live else self.kind
        return dumpfile.PageMap(self.vmcore, kind, facts(self.prog).page_size)

    @property
    def dump_level(self) -> int:
        """makedumpfile's dump level of a kdump-compressed file; 0 for other dumps."""
        if self.kind is not FileKind.KDUMP:
            return 0
        return dumpfile.read_kdump_header(self.vmcore).dump_level


def _open_dump(prog: drgn.Program, vmcore: str | None) -> tuple[str, FileKind]:
    """Open *vmcore* (None: the running kernel) in *prog*: its path and kind."""
    if vmcore is None:
        try:
            with _without_drgn_commands():
                prog.set_kernel()
        except (OSError, ValueError) as e:
            raise CrashshError(
                f"cannot open the running kernel ({LIVE_CORE}): {reason(e)}") from e
        return LIVE_CORE, FileKind.ELF_CORE
    kind = _check_dump(vmcore)
    try:
        with _without_drgn_commands():
            prog.set_core_dump(vmcore)
    except (OSError, ValueError, drgn.FaultError) as e:
        raise CrashshError(f"{vmcore}: cannot open dump: {reason(e)}") from e
    return vmcore, kind


# drgn's own shell commands come as drgn plugins, which drgn imports when a program first opens
# a dump: that import takes longer than opening the dump, and crashsh does not use them
DRGN_COMMAND_PLUGINS = ("builtin_commands", "crash_commands")


@contextmanager
def _without_drgn_commands() -> Iterator[None]:
    """drgn's plugins other than its commands (DRGN_DISABLE_PLUGINS, for this process's
    first dump only: the environment is restored for commands crashsh runs)."""
    saved = os.environ.get(DISABLE_PLUGINS)
    if saved != "*":
        names = [name for name in (saved or "").split(",") if name]
        os.environ[DISABLE_PLUGINS] = ",".join(dict.fromkeys([*names, *DRGN_COMMAND_PLUGINS]))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(DISABLE_PLUGINS, None)
        else:
            os.environ[DISABLE_PLUGINS] = saved


def _split_files(files: list[str]) -> list[str]:
    """*files* when they are a split kdump's parts (one part alone too), else []. A part cut
    short shows when it is joined, not here: reading its whole page table on every start
    would cost as much as joining it once."""
    if len(files) == 1:
        try:
            if not splitdump.read_part(files[0]):
                return []
        except OSError:
            return []  # _check_dump says what is wrong with the file
    for path in files:
        _dump_kind(path)
    return files


def _check_dump(path: str) -> FileKind:
    """*path*'s kind when it is a whole dump file (one line when it is not)."""
    kind = _dump_kind(path)
    try:
        dumpfile.check_complete(path, kind)
    except ValueError as e:
        raise CrashshError(str(e)) from e
    return kind


def _dump_kind(path: str) -> FileKind:
    """*path*'s kind when it is a dump file crashsh opens (one line when it is not)."""
    if not os.path.exists(path):
        raise CrashshError(f"{path}: No such file or directory")
    kind = dumpfile.identify(path)
    if kind is FileKind.FLATTENED:
        raise CrashshError(
            f"{path}: a makedumpfile flattened dump; convert it first: "
            f"makedumpfile -R {path}.kdump < {path}"
        )
    if not kind.is_dump:
        raise CrashshError(f"{path}: not a vmcore (ELF core or kdump-compressed file)")
    return kind


def _load_debuginfo(prog: drgn.Program, sources: DebugInfoSources,
                    timings: Timings) -> list[str]:
    """Load vmlinux and module debuginfo; return warnings (missing module debuginfo)."""
    options = prog.debug_info_options
    options.directories = (
        *options.directories,
        *(str(Path(root) / "usr/lib/debug") for root in sources.roots),
    )
    options.kernel_directories = (
        *options.kernel_directories,
        *sources.debug_dirs,
        *sources.build_dirs,
        *(str(Path(root) / "usr/lib/debug") for root in sources.roots),
    )
    paths = [sources.vmlinux] if sources.vmlinux else []
    try:
        with timings.phase("vmlinux debuginfo"):
            prog.load_debug_info(paths, main=True)
    except drgn.MissingDebugInfoError as e:
        raise CrashshError(_vmlinux_problem(prog, sources.vmlinux, str(e))) from e
    main = prog.main_module()
    if main.debug_file_path is None:
        raise CrashshError(_vmlinux_problem(prog, sources.vmlinux, "no kernel debuginfo found"))
    if sources.vmlinux and not os.path.samefile(main.debug_file_path, sources.vmlinux):
        # drgn ignored the given file and found the matching one elsewhere: still an error
        raise CrashshError(_vmlinux_problem(prog, sources.vmlinux, "build IDs differ"))
    try:
        with timings.phase("module debuginfo"):
            prog.load_debug_info(default=True)
    except drgn.MissingDebugInfoError:
        pass
    missing = sorted(
        m.name
        for m in prog.modules()
        if isinstance(m, drgn.RelocatableModule) and m.wants_debug_file()
    )
    if missing:
        return [f"WARNING: no debuginfo for {len(missing)} module(s): {', '.join(missing)}"]
    return []


def _vmlinux_problem(prog: drgn.Program, vmlinux: str | None, detail: str) -> str:
    if vmlinux is None:
        return f"cannot find the kernel's debuginfo (vmlinux): {detail}"
    from crashsh.kernel.vmcoreinfo import dump_osrelease, vmlinux_osrelease

    dump_rel, file_rel = dump_osrelease(prog), vmlinux_osrelease(vmlinux)
    if dump_rel and file_rel and dump_rel != file_rel:
        return f"{vmlinux} and the dump do not match: vmlinux is {file_rel}, dump is {dump_rel}"
    return f"{vmlinux} does not match the dump (build IDs differ)"


def reason(e: Exception) -> str:
    """An OSError's strerror ("No such file or directory"), not Python's "[Errno 2] ..."."""
    return e.strerror if isinstance(e, OSError) and e.strerror else str(e)
