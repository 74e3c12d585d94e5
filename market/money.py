"""Money in whole Colombian pesos (integers). One formatter, one rounding rule."""

from decimal import ROUND_HALF_UP, Decimal

# Stripe treats COP as a two-decimal currency: it receives pesos x 100.
STRIPE_COP_FACTOR = 100


def format_cop(pesos: int | Decimal | None) -> str:
    """`12500` -> `"$ 12.500"`: Colombian grouping with dots, no decimals."""
    if pesos is None:
        return ""
    value = int(pesos)
    sign = "-" if value < 0 else ""
    grouped = f"{abs(value):,}".replace(",", ".")
    return f"{sign}$\N{NO-BREAK SPACE}{grouped}"


def line_total_cop(unit_price_cop: int, quantity: Decimal) -> int:
    """Price x quantity, rounded half-up to the peso: the only place a total is rounded."""
    return int((Decimal(unit_price_cop) * Decimal(quantity)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_stripe_amount(pesos: int) -> int:
    return int(pesos) * STRIPE_COP_FACTOR
