"""Signal names and a task's signal state, as crash's task.c reads them (signame[],
sigrt_minmax, dump_signal_data)."""

from __future__ import annotations

import drgn
from drgn.helpers.linux.list import list_empty, list_for_each

from crashsh.dumpfacts import MASK64

NSIG = 64
SIGRTMIN = 32
TIF_SIGPENDING = 2
# crash's signame[] (task.c): name and alternative name of signals 1..31
SIGNAMES = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT/SIGIOT", "SIGBUS",
            "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
            "SIGTERM", "SIGSTKFLT", "SIGCHLD/SIGCLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
            "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
            "SIGWINCH", "SIGIO/SIGPOLL", "SIGPWR", "SIGSYS/SIGUNUSED")
# sa_flags bits in the order crash names them
SA_FLAGS = (("SA_NOCLDSTOP", 0x1), ("SA_RESTORER", 0x04000000), ("SA_NOCLDWAIT", 0x2),
            ("SA_SIGINFO", 0x4), ("SA_ONSTACK", 0x08000000), ("SA_RESTART", 0x10000000),
            ("SA_NODEFER", 0x40000000), ("SA_RESETHAND", 0x80000000))


def signal_names() -> list[tuple[int, str]]:
    """Each signal's number and crash's name for it (``sig -l``): the classic names with
    their aliases, then SIGRTMIN, SIGRTMIN+1 .. +16, SIGRTMAX-15 .. -1, SIGRTMAX."""
    names = [(i, name) for i, name in enumerate(SIGNAMES, 1)]
    realtime = NSIG - SIGRTMIN - 1
    below_max = realtime // 2
    above_min = realtime - below_max
    names.append((SIGRTMIN, "SIGRTMIN"))
    names += [(SIGRTMIN + j, f"SIGRTMIN+{j}") for j in range(1, above_min + 1)]
    names += [(NSIG - m, f"SIGRTMAX-{m}") for m in range(below_max, 0, -1)]
    names.append((NSIG, "SIGRTMAX"))
    return names


def set_names(sigset: int) -> list[str]:
    """The names of the signals in *sigset* (an alias is left out, as crash does)."""
    return [name.split("/")[0] for number, name in signal_names() if sigset >> (number - 1) & 1]


def flag_names(flags: int) -> list[str]:
    return [name for name, bit in SA_FLAGS if flags & bit]


def sigset_word(sigset: drgn.Object) -> int:
    """A sigset_t as one 64-bit word (_NSIG_WORDS is 1 on 64-bit)."""
    return sigset.sig[0].value_()


def blocked_word(task: drgn.Object) -> int:
    """crash's task_blocked(): blocked.sig[0] ORed with the next word shifted left 32 (its
    _NSIG_WORDS == 2 reading of a 64-bit kernel; the next word is real_blocked)."""
    address = task.blocked.address_
    prog = task.prog_
    return ((prog.read_u64(address + 8) << 32) | prog.read_u64(address)) & MASK64


def sigpending(task: drgn.Object) -> bool:
    return bool(task.thread_info.flags.value_() & (1 << TIF_SIGPENDING))


def queued(pending: drgn.Object) -> list[tuple[int, int]]:
    """A sigpending's queue: (signal number, address of the entry's siginfo) per sigqueue."""
    head = pending.list.address_of_()
    if list_empty(head):
        return []
    result = []
    for node in list_for_each(head):
        entry = drgn.container_of(node, "struct sigqueue", "list")
        result.append((entry.info.si_signo.value_(), entry.info.address_))
    return result
