"""Domain errors of ordering. Views turn them into form errors or messages."""

from dataclasses import dataclass
from decimal import Decimal


class OrderError(Exception):
    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class CartError(OrderError):
    """A cart change that breaks a product's rules (minimum, step, availability, stock)."""


@dataclass(frozen=True)
class ShortLine:
    product_id: int
    product_name: str
    requested: Decimal
    available: Decimal


class InsufficientStockError(OrderError):
    """Some lines cannot be reserved. Nothing was reserved; each short line is named.

    A channel that takes its units with one conditional UPDATE, reading nothing first,
    learns only that some row refused; it gives `count_again`, which reads the short lines
    as they are once the transaction that took the others has been rolled back
    (`orders.services.order_place` calls it then).
    """

    def __init__(self, short_lines: list[ShortLine] | None = None, *, count_again=None):
        super().__init__("insufficient stock")
        self.short_lines = short_lines or []
        self.count_again = count_again


class CheckoutError(OrderError):
    """Checkout refused for a reason the buyer can fix (minimum order, credit, method)."""


class AlreadyPlacedError(CheckoutError):
    """This basket or checkout form already became an order: `order` is that order."""

    def __init__(self, order):
        super().__init__("already placed")
        self.order = order


class TransitionError(OrderError):
    """A status move that the state machine does not allow."""


class PaymentError(OrderError):
    """A payment change that is not allowed (wrong method, already paid, cancelled order)."""


class WebhookSignatureError(PaymentError):
    """The webhook is not from Stripe, was changed, or is too old: answer 400."""


class ProofError(OrderError):
    """A proof that cannot be attached to this order (wrong method, paid, cancelled, too many)."""


class SupplyError(OrderError):
    """A record of which families supplied a line that cannot be kept (a producer of another
    cooperative, quantities that do not add up, a line that no longer counts)."""
