"""Command line: identify the files, open the session, print the banner, run commands."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from contextlib import nullcontext

from crashsh import __version__, compressed, dumpfile, splitdump
from crashsh.dumpfile import FileKind
from crashsh.errors import CrashshError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + 2  # a shell's status for a process that SIGINT ended


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="crashsh",
        description="Linux kernel crash-dump debugger shell with crash's commands and output.",
        epilog="Unlike crash, -c runs a command (crash's -c names a tty device).",
    )
    p.add_argument("files", nargs="*", metavar="vmlinux|vmcore",
                   help="kernel and dump (or a split dump's parts), any order")
    p.add_argument("-d", "--debuginfo-dir", action="append", default=[], metavar="DIR",
                   help="directory searched recursively for module (.ko) debug files")
    p.add_argument("-r", "--root", action="append", default=[], metavar="DIR",
                   help="unpacked distro root holding usr/lib/debug")
    p.add_argument("-b", "--build-dir", action="append", default=[], metavar="DIR",
                   help="kernel build tree")
    p.add_argument("-c", "--command", action="append", default=[], metavar="CMD",
                   help="run CMD and exit (repeatable)")
    p.add_argument("-i", "--input", metavar="FILE", help="run the commands in FILE, then continue")
    p.add_argument("-s", "--silent", action="store_true", help="no startup banner")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="JSON Lines: one document per command (docs/json.md)")
    out.add_argument("--plain", action="store_true", help="crash's plain text even at a terminal")
    p.add_argument("--prompt", default="crash> ", help="the prompt (default: 'crash> ')")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of failures")
    p.add_argument("--timings", action="store_true",
                   help="print the start-up phases and each command's time on stderr")
    p.add_argument("--version", action="version", version=f"crashsh {__version__}")
    return p


def _split_set(paths: list[str]) -> bool:
    """Whether *paths* hold the parts of a split kdump (and maybe a kernel), as crash takes them."""
    try:
        dumps = [p for p in paths if os.path.isfile(p) and dumpfile.identify(p) is FileKind.KDUMP]
        return len(dumps) > 1 and all(splitdump.read_part(p) for p in dumps)
    except (OSError, ValueError):
        return False  # classify() says what is wrong with the file


def classify(paths: list[str]) -> tuple[str | None, list[str]]:
    """Return (vmlinux, dump files) from paths given in any order: one dump file, or the
    parts of a split kdump, which crash opens as one dump; a wrong file or set is one line
    in crash's words (main.c: "too many namelist arguments", ...)."""
    vmlinux = None
    dumps: list[str] = []
    for path in paths:
        kind = identify(path)
        if kind is FileKind.VMLINUX:
            if vmlinux is not None:
                raise CrashshError(f"too many namelist arguments: {vmlinux} and {path} are both "
                                   "kernel images (give one kernel and one dump file)")
            vmlinux = path
        elif kind.is_dump:
            dumps.append(path)
        else:
            raise CrashshError(f"{path}: not a supported file format "
                               "(neither a kernel image nor a dump file)")
    if len(dumps) > 1 and not _split_set(dumps):
        raise CrashshError(f"too many dumpfile arguments: {dumps[0]} and {dumps[1]} are both "
                           "dump files (give one kernel and one dump file)")
    return vmlinux, dumps


def identify(path: str) -> FileKind:
    """What *path* holds (a compressed kernel image is a kernel image); a missing, unreadable
    or directory path is crash's error line."""
    if not os.path.exists(path):
        raise CrashshError(f"{path}: No such file or directory")
    if os.path.isdir(path):
        raise CrashshError(f"{path}: not a supported file format (a directory)")
    try:
        if (open_decompressed := compressed.opener(path)) is None:
            return dumpfile.identify(path)
        with open_decompressed(path, "rb") as f:
            kind = dumpfile.identify_head(f.read(64))
    except (OSError, EOFError, ValueError) as e:
        raise CrashshError(f"{path}: {getattr(e, 'strerror', None) or e}") from None
    if kind is not FileKind.VMLINUX:
        raise CrashshError(f"{path}: a compressed file that is not a kernel image "
                           "(only vmlinux may be compressed; decompress a dump file first)")
    return kind


def kernel_image(path: str) -> str:
    """*path*, or its decompressed copy in crashsh's cache when it is compressed (as crash
    uncompresses a vmlinux.gz, .bz2 or .xz)."""
    if compressed.opener(path) is None:
        return path
    with _progress(f"uncompressing {path}"):
        try:
            return compressed.decompressed(path)
        except OSError as e:
            raise CrashshError(f"{path}: {e.strerror or e}") from None


def open_session(args: argparse.Namespace):
    from crashsh.session import DebugInfoSources, Session
    from crashsh.timings import Timings

    timings = Timings(sys.stderr if args.timings else None)
    with timings.phase("start-up"):
        vmlinux, dumps = classify(args.files)
        sources = DebugInfoSources(vmlinux and kernel_image(vmlinux), args.debuginfo_dir,
                                   args.root, args.build_dir)
        joining = "joining the split dump, " if len(dumps) > 1 else ""
        with _progress(f"{joining}loading debuginfo"):
            session = Session.open(dumps, sources, timings)
        if timings.enabled:
            session.load_tables()
    if vmlinux:
        session.vmlinux, session.vmlinux_given = sources.vmlinux, vmlinux
    for warning in session.warnings:
        print(warning, file=sys.stderr)
    return session


def _progress(message: str):
    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C stops the running command, as in crash, even when the caller started crashsh with
    # SIGINT ignored (a background job of a script, nohup): Python would keep it ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["triage"]:
        from crashsh.triage.cli import main as triage_main

        return triage_main(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_OK
    if len(args.files) > 2 and not _split_set(args.files):
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    try:
        session = open_session(args)
    except CrashshError as e:
        print(f"crashsh: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
    return run(session, args)


def run(session, args: argparse.Namespace) -> int:
    """rc files, the banner, then -c commands, -i FILE and stdin, or the prompt. Plain lines
    run without cmd2; the shell comes in at the first line that needs it, or for the prompt.

    The exit status: 0 after `q` (as crash's cmd_quit) and when the prompt ends; at the end of
    the -c commands or of stdin, 1 when any command failed (crash exits 1 at the end of its
    stdin whatever happened); 130 after Ctrl-C while waiting for stdin's next line."""
    from crashsh.interpreter import rc_files
    from crashsh.registry import load_installed_extensions
    from crashsh.runner import LineRunner

    for problem in load_installed_extensions():
        print(problem, file=sys.stderr)
    session.settings.prompt = args.prompt
    session.settings.silent = args.silent
    session.settings.scroll = not args.silent  # crash's -s turns scrolling off
    if sys.stdout.isatty() and shutil.which("less"):
        session.settings.pager = "/usr/bin/less"
    session.settings.output = "json" if args.json else "plain" if args.plain else "auto"
    runner = LineRunner(session, debug=args.debug)
    done = runner.run_lines(line for path in rc_files() for line in read_lines(path))
    if not done:
        show_banner(session, args, runner.output_mode(), runner.stdout)
        lines = read_lines(args.input) if args.input else []
        quiet = args.silent or runner.output_mode() == "json"  # documents name their lines
        done = runner.run_lines(lines if quiet else echoed(lines, runner.stdout, args.prompt))
    if done:
        return EXIT_OK
    if not args.command and sys.stdin.isatty():
        runner.open_shell().interact()
        return EXIT_OK
    try:
        if runner.run_lines(args.command or sys.stdin):
            return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C while waiting for a script's next line
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_FAILED if runner.total_failures else EXIT_OK


def show_banner(session, args: argparse.Namespace, mode: str, out) -> None:
    """crash's startup banner, unless -s, one-shot -c commands or JSON output."""
    if args.silent or args.command or mode == "json":
        return
    from crashsh.commands.system import banner
    from crashsh.render import render

    render(banner(session), mode, out)


def echoed(lines, out, prompt: str):
    """The lines of an input file, each written after the prompt as it is run (crash's
    exec_input_file without -s; it skips blank lines and comments)."""
    for line in lines:
        if line.strip() and not line.startswith("#"):
            out.write(f"{prompt}{line.rstrip()}\n")
            out.flush()
        yield line


def read_lines(path: str) -> list[str]:
    try:
        with open(os.path.expanduser(path)) as f:
            return f.readlines()
    except OSError as e:
        print(f"crashsh: {path}: {e.strerror}", file=sys.stderr)
        return []
