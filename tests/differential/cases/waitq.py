"""waitq: by symbol (a queue with a sleeper, an empty one, a symbol that is no queue, an
unreadable one), by struct.member and address, by address, and crash's messages and usage."""

from tests.differential.suite import Case


def placeholders(prog) -> dict[str, str]:
    from drgn.helpers.linux.mmzone import for_each_online_pgdat

    pgdat = next(iter(for_each_online_pgdat(prog)))
    return {"pgdat": f"{pgdat.value_():x}",
            "kauditd_wait": f"{prog['kauditd_wait'].address_:x}"}


CASES = (
    Case("waitq kauditd_wait", True),
    Case("waitq oom_reaper_wait", True),
    Case("waitq log_wait", True),
    Case("waitq jiffies", True),
    Case("waitq linux_banner", True),
    Case("waitq nosuchsym", True),
    Case("waitq {kauditd_wait}", True),
    Case("waitq 0x{kauditd_wait}", True),
    Case("waitq pglist_data.kswapd_wait {pgdat}", True),
    Case("waitq pglist_data.kswapd_wait", True),
    Case("waitq pglist_data.nosuch {pgdat}", True),
    Case("waitq nostruct.foo {pgdat}", True),
    Case("waitq pglist_data.kswapd_wait zz", True),
    Case("waitq 0", True),
    Case("waitq 1234", True),
    Case("waitq", True),
    Case("waitq a b c", True),
)
