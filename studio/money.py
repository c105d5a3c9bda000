"""Money: integer cents inside, dollars as people type and read them.

    parse_dollars("0.50", policy)  -> 50      (refuses "0", "-1", "abc", "0.505", "nan", above the maximum)
    dollars(50)                    -> "$0.50"
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from studio.config import Policy
from studio.errors import StudioError


def check_price_cents(cents, policy: Policy) -> int:
    """A price as integer cents: more than zero and at most the policy's maximum."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise StudioError(f"a price is a whole number of cents, not {cents!r}")
    if cents < 0:
        raise StudioError(f"a price cannot be negative ({dollars(cents)})")
    if cents == 0:
        raise StudioError("a price must be more than zero")
    if cents > policy.max_price_cents:
        raise StudioError(f"a price can be at most {dollars(policy.max_price_cents)} per generation, "
                          f"not {dollars(cents)}")
    return cents


def cents_of(text: str, what: str = "a price") -> int:
    """Dollars as typed ("0.50", "$1", "2.5") to integer cents, unchecked for bounds, or a one-line error."""
    raw = str(text).strip().removeprefix("$").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise StudioError(f"{what} is an amount in dollars such as 0.50, not {str(text)!r}") from None
    if not amount.is_finite():
        raise StudioError(f"{what} is an amount in dollars such as 0.50, not {str(text)!r}")
    if amount != amount.quantize(Decimal("0.01")):
        raise StudioError(f"{what} has at most two decimals (whole cents), not {str(text)!r}")
    return int(amount * 100)


def parse_dollars(text: str, policy: Policy) -> int:
    """A price per generation in dollars as typed to integer cents within the policy's bounds, or a one-line error."""
    return check_price_cents(cents_of(text), policy)


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100}.{abs(cents) % 100:02d}"
