"""Payments: the one place an order's payment status changes.

Offline methods (cash, transfer, invoice) are marked paid by a cooperative manager or
staff; card payments (Stripe) are confirmed by signed webhooks.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from orders.exceptions import OrderError
from orders.models import Order, OrderEvent, OrderStatus, PaymentMethod, PaymentStatus


class PaymentError(OrderError):
    """A payment change that is not allowed (wrong method, already paid, cancelled order)."""


def payment_mark_paid(*, order: Order, actor, reason: str = "") -> Order:
    """Record that an offline payment (cash, transfer, invoice) arrived in full.

    The conditional UPDATE makes a double click or two managers at once record it once.
    """
    if order.payment_method == PaymentMethod.CARD:
        raise PaymentError(_("Card payments are confirmed by the card processor."))
    with transaction.atomic():
        moved = (
            Order.objects.filter(pk=order.pk, payment_status=PaymentStatus.UNPAID)
            .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.EXPIRED])
            .update(payment_status=PaymentStatus.PAID)
        )
        if not moved:
            raise PaymentError(_("This order is already paid or was cancelled."))
        current = Order.objects.get(pk=order.pk)
        Order.objects.filter(pk=order.pk).update(paid_cop=current.total_cop)
        OrderEvent.objects.create(
            order=order,
            actor=actor,
            from_status=PaymentStatus.UNPAID,
            to_status=PaymentStatus.PAID,
            reason=reason or _("payment received"),
        )
    order.payment_status = PaymentStatus.PAID
    order.paid_cop = current.total_cop
    return order
