"""irq: the descriptor listing (all, -u, by index), -a, -b, -s with -c, -d, crash's order of
acting on options (-d, -b and -a act as getopt meets them), and its errors."""

from tests.differential.suite import Case


def placeholders(prog) -> dict[str, str]:
    """crash's IRQ count (nr_irqs) and the last valid index."""
    from crashsh.kernel.irq import irq_count

    count = irq_count(prog)
    return {"nr_irqs": str(count), "last_irq": str(count - 1)}


CASES = (
    Case("irq", True),
    Case("irq -u", True),
    Case("irq -a", True),
    Case("irq -b", True),
    Case("irq -s", True),
    Case("irq -s -c 0", True),
    Case("irq -s -c 1", True),
    Case("irq -s -c 1,0", True),
    Case("irq -s -c all", True),
    Case("irq -s -c a", True),
    Case("irq -c 1 -s", True),
    Case("irq -s -c 0 1", True),
    Case("irq -s -c 3", True),
    Case("irq -s -c 0 -c 1", True),
    Case("irq -d", True),
    Case("irq 0", True),
    Case("irq 1 4", True),
    Case("irq 16", True),
    Case("irq {last_irq}", True),
    Case("irq {nr_irqs}", True),
    Case("irq 1 {nr_irqs} 4", True),
    Case("irq 4294967295", True),
    Case("irq x", True),
    Case("irq 0x10", True),
    Case("irq -1", True),
    Case("irq -c 1", True),
    Case("irq -u 2", True),
    Case("irq -b -u", True),
    Case("irq -a -s", True),
    Case("irq -s -a", True),
    Case("irq 24 -b", True),
    Case("irq -d -b", True),
    Case("irq -u -d", True),
)
