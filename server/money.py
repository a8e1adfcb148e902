"""The one way Advisor writes an amount of US dollars: a monthly cost, a change of one, a unit price
and a cost per business unit. Every report, finding message, hover and prompt says money through here,
so the same figure reads the same everywhere. Standard library only."""

from __future__ import annotations


def money(x: float | None) -> str:
    """$1,234.50; a negative amount as -$1.00; None (a price nobody knows) as "unknown", never $0."""
    return "unknown" if x is None else (f"-${-x:,.2f}" if x < -0.004 else f"${abs(x):,.2f}")


def signed(x: float | None) -> str:
    """A change of money: +$1.00, -$1.00 or $0.00 (None: "unknown")."""
    if x is None:
        return "unknown"
    if abs(x) < 0.005:
        return "$0.00"
    return f"+${x:,.2f}" if x > 0 else f"-${-x:,.2f}"


def unit_price(x: float) -> str:
    """A price per unit (an hour, a GB-month, a request), with at least two decimals: from a cent up,
    to four decimals (`$0.125`, `$0.08`, `$0.0416`, `$1.00`); below a cent, every digit up to ten
    decimals, since Lambda's GB-seconds and per-request prices are fractions of one
    (`$0.005`, `$0.0000166667`)."""
    text = f"{x:,.4f}".rstrip("0") if abs(x) >= 0.01 else f"{x:.10f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def per_unit(x: float) -> str:
    """A cost per business unit (an order, a user), which is often a fraction of a cent: `$0.003857`."""
    return f"${x:.6f}"
