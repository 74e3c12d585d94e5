"""The one writer of an order's payment status and amounts, and of payment notes."""

from django.db import transaction

from orders.models import Order, OrderEvent


def payment_record(
    *,
    order_id: int,
    from_status: str,
    to_status: str,
    reason: str,
    expect: dict | None = None,
    actor=None,
    **fields,
) -> bool:
    """A conditional UPDATE on the payment status we expect (and `expect`ed fields), plus a
    log row. False when the order had moved meanwhile: then nothing is written."""
    with transaction.atomic():
        moved = Order.objects.filter(pk=order_id, payment_status=from_status, **(expect or {})).update(
            payment_status=to_status, **fields
        )
        if moved:
            OrderEvent.objects.record(
                order_id=order_id, actor=actor, from_status=from_status, to_status=to_status, reason=reason
            )
    return bool(moved)


def payment_note(*, order_id: int, status: str, reason: str) -> None:
    """A log row about the payment that changes no status (a refusal, an amount due)."""
    OrderEvent.objects.record(order_id=order_id, from_status=status, to_status=status, reason=reason)
