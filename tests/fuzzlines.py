"""A seeded generator of malformed crash command lines, for the fuzz test (tests/test_fuzz.py).

Every line starts with a command word (a command, an alias or `help`) followed by a few
tokens drawn from pools of malformed input: bad options, bad and huge numbers, `0x`, unknown
symbols, stray quotes, shell metacharacters, non-ASCII text and empty arguments. The lines are
safe to run: none starts with `!`, none names a shell built-in that runs or rewrites commands
(`shell`, `alias`, `history`, `run_script`), none runs Python (`py`, `drgn`, `extend`), none
quits, a pipe only ever feeds a command that does not exist, and a redirection only ever
writes a relative file (the test runs in a temporary directory). Options whose valid use
walks the whole dump (`kmem -p`, `sym -l`, `foreach bt` ...) are left out so that the test
stays fast; `search` lines look where a user would (see SEARCH_SCOPES), all of memory too.
"""

from __future__ import annotations

import random

# Words that run code or other command lines, or rewrite them: never generated (nor the
# quit words).
UNSAFE_WORDS = frozenset({"py", "drgn", "shell", "alias", "history", "run_script", "extend"})

# Each command's option letters worth combining with bad values: the ones taking a value
# (followed by a malformed token) and cheap flags. Expensive listings are left out.
VALUE_OPTIONS = {
    "bt": "cRIS", "files": "dpR", "mod": "sd", "mount": "n", "ps": "yC", "rd": "oe",
    "set": "c", "sym": "mqQ", "task": "R", "vm": "PRMf", "foreach": "R", "kmem": "ImlL",
    "runq": "c", "timer": "C", "irq": "c", "net": "RNn", "ipcs": "n", "sig": "sR",
    "search": "lsemx",
}
FLAG_OPTIONS = {
    "bt": "apgflsxdtTeor", "eval": "bl", "files": "c", "kmem": "gP", "log": "Ttdmca",
    "mod": "", "mount": "", "ps": "kuGspctlmagrSAH", "rd": "adDsSupxmfNR8", "set": "p",
    "sym": "nps", "task": "xd", "vm": "pmvxd", "whatis": "o", "foreach": "xd",
    "runq": "tTmgd", "timer": "r", "irq": "dbuas", "net": "asSxd", "dev": "dDipV",
    "ipcs": "smMq", "sys": "ti", "mach": "cmxd", "sig": "lg", "help": "nmv",
    "search": "kKVuptTwh",  # not -c: see SEARCH_SCOPES
}
# Tokens that would make a command list everything: `sym ""` and `rd ""` print every symbol
# as a possible alternative (as crash does), megabytes a line.
EXPENSIVE = {"sym": ('""',), "rd": ('""',)}
# Where a `search` line looks, one picked at random per line, about as often as a user types
# it: mostly nowhere in particular (all of memory, crash's default: `search VALUE`), else one
# kind of memory, the task stacks or a range of a realistic size. A search of all memory
# reads every page the dump holds (seconds), and a value the tokens make zero ("0", '""',
# "xX", "(0x+0x)" ...) matches millions of words: `search 0` prints 11 million lines on the
# 6.1 dump and 122 million (2.5 GB) on 6.12, as crash does; `-h 0` four times as many. The
# test reads them as they come; with these shares the seeds' lines run a few such searches.
# String searches (-c) are not made: they print the dump's own text, whose printk formats
# say "Warning:" and "internal error" as Python's messages do.
SEARCH_SCOPES = ["", "", "", "-k", "-u", "-p", "-t", "-T", "-s linux_banner -l 4096",
                 "-s init_task -l 8192", "-p -s 0 -l 0x100000"]
BAD_OPTIONS = ["-", "--", "---", "-Z", "-@", "-9", "-0x", "--bogus", "-é", "-\\", "-'", '-"',
               "-99999999999999999999", "-h", "--help"]
BAD_NUMBERS = ["0x", "0X", "0x0", "x", "xX", "0xg", "0xx1", "-1", "-0x10", "1e5", "1.5", "+5",
               "0b101", "1_000", "00", "0", "0x-1", "~", "~0x", "1k", "0xk", "99999999m",
               "12abc", "abc12", "h", "0h", "1h", "deadbeef", "DE", "\\DE", "\\123"]
HUGE_NUMBERS = ["99999999999999999999999", "18446744073709551616", "18446744073709551615",
                "0xffffffffffffffffffffff", "ffffffffffffffffff", "0x10000000000000000",
                "0xffffffffffffffff", "ffffffffffffffff", "0x7fffffffffffffff",
                "9223372036854775808", "-9223372036854775809"]
EXPRESSIONS = ["(", ")", "()", "(1+)", "(+1)", "(0x+0x)", "(1/0)", "(1%0)", "1/0", "(1<<)",
               "(1<2)", "((1))", "(jiffies+1)", "(no_such_symbol+1)", "(1 + 2", "1+", "+",
               "(0x-0xffffffffffffffffffff)", "(~0x)", "(1#99999999999999)"]
SYMBOLS = ["no_such_symbol", "jiffies+", "init_task.", "init_task->pid", "*init_task", "&",
           "struct", "struct no_such", "union", "enum", "$", "@", "%", "#", "task_struct.",
           "init_task+0x", "jiffies+99999999999999999999", "..", ".", "/", "//", "a,b",
           ",", "[", "]", "[0]", "pid[", "comm.", "-R"]
REAL_VALUES = ["1", "0", "init_task", "jiffies", "linux_banner", "ffffffff81000000",
               "ffff888000000000", "0xffffffffffffffff", "swapper/0", "RU", "IN", "kernel",
               "user", "'init'", "'['", "'(*'", "\\init", "all", "a", "0-1", "1-0", "0,1"]
QUOTES = ['"', "'", '"abc', "'abc", "abc'", "'a'b'", "\\", "\\\\", "'\\'", '""', "''", '"\'"',
          "'\"'", '"a b"', "'a b'"]
METACHARACTERS = [";", "&", "&&", "`", "`x`", "$(x)", "$x", "${x}", "*", "?", "[", "]", "{",
                  "}", "(", ")", "#", "#x", "~", "'#'", '"a;b"']
NON_ASCII = ["é", "日本", "\u00a0", "\u200b", "🙂", "ß", "\x7f", "\x01", "\x1b[31m", "\t",
             "Ω0x1", "0x１", "１２３", "٣"]
EMPTY = ['""', "''", " ", "  "]

POOLS = [BAD_OPTIONS, BAD_NUMBERS, HUGE_NUMBERS, EXPRESSIONS, SYMBOLS, REAL_VALUES, QUOTES,
         METACHARACTERS, NON_ASCII, EMPTY]

NO_SUCH_COMMAND = "crashsh-fuzz-no-such-command"
OUTPUT_FILE = "fuzz.out"


def command_words() -> list[str]:
    """Every command, alias and `help`, without the unsafe words."""
    from crashsh.interpreter import BUILTIN_ALIASES, QUIT_WORDS
    from crashsh.registry import command_names

    words = set(command_names()) | set(BUILTIN_ALIASES) | {"help"}
    return sorted(words - UNSAFE_WORDS - set(QUIT_WORDS))


def fuzz_lines(seed: int, count: int, words: list[str]) -> list[str]:
    """*count* malformed lines over *words*, the same for the same seed."""
    rng = random.Random(seed)
    return [fuzz_line(rng, words[i % len(words)] if i < len(words) else rng.choice(words))
            for i in range(count)]


def fuzz_line(rng: random.Random, word: str) -> str:
    tokens = [word, *rng.choice(SEARCH_SCOPES).split()] if word == "search" else [word]
    for _ in range(rng.randint(1, 4)):
        tokens.append(fuzz_token(rng, word))
    tail = rng.random()
    if tail < 0.03:
        tokens += ["|", NO_SUCH_COMMAND]
    elif tail < 0.05:
        tokens.append("|")
    elif tail < 0.08:
        tokens += [rng.choice([">", ">>"]), OUTPUT_FILE]
    elif tail < 0.09:
        tokens.append(">")
    separator = rng.choice([" ", " ", " ", "  ", "\t"])
    return separator.join(tokens).rstrip("\\")  # no line continuation


def fuzz_token(rng: random.Random, word: str) -> str:
    """One malformed token, not one that makes *word* list everything."""
    while True:
        token = bad_token(rng, word)
        if not token.lstrip().startswith(EXPENSIVE.get(word, ())):
            return token


def bad_token(rng: random.Random, word: str) -> str:
    """A token from a pool, or one of *word*'s options with a bad value."""
    if rng.random() < 0.3 and (word in VALUE_OPTIONS or word in FLAG_OPTIONS):
        values, flags = VALUE_OPTIONS.get(word, ""), FLAG_OPTIONS.get(word, "")
        letters = values + flags
        if letters:
            letter = rng.choice(letters)
            option = f"-{letter}"
            if letter in values:
                value = fuzz_value(rng)
                return f"{option} {value}" if rng.random() < 0.7 else option + value
            return option
    return fuzz_value(rng)


def fuzz_value(rng: random.Random) -> str:
    token = rng.choice(rng.choice(POOLS))
    if rng.random() < 0.1:
        token += rng.choice(rng.choice(POOLS))  # glued: "0x'", "é0x" ...
    return token
