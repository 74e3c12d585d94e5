"""Offline payments (cash, transfer, invoice): each cooperative's manager records the
payment of her own `Fulfilment`, and the order becomes PAID once every part that still
counts is paid.

Offline payments, the rules this module keeps
---------------------------------------------
* **A cooperative records only its own part**: its total at that moment (lines as
  delivered plus its own delivery fee) goes into `Fulfilment.paid_cop`, with `paid_at`.
  One conditional UPDATE (`... WHERE paid_at IS NULL`) records it once, whatever the
  double clicks or the managers pressing at the same time; the log row names the
  cooperative and is attached to its fulfilment, so no other cooperative sees it.
* **The order follows its parts** (`order_payment_follow_fulfilments`, also called when a
  part is rejected or cancelled): `Order.paid_cop` is what the cooperatives recorded so
  far, and the order moves UNPAID -> PAID, once and logged, when every part that is not
  rejected or cancelled is paid. Until then it stays UNPAID, with `paid_cop` telling how
  much of it arrived: that is what the buyer's outstanding credit and the transfer panel
  read. A market's own delivery fee (charged on the order, to no cooperative) is counted
  as paid with the last part.
* Both run under the order's row lock (`select_for_update`, the lock the fulfilment
  state machine also takes), so two cooperatives recording at the same moment cannot both
  miss that the order is now paid in full.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from market.money import format_cop
from orders import notifications
from orders.exceptions import PaymentError
from orders.models import (
    FULFILMENT_ENDED,
    ORDER_ENDED,
    Fulfilment,
    Order,
    OrderEvent,
    PaymentMethod,
    PaymentStatus,
    event_reason,
)
from orders.payments.records import payment_record


def _order_refusal(order: Order) -> str:
    """Why no part of `order` takes an offline payment, or "" when its parts may."""
    if order.payment_method == PaymentMethod.CARD:
        return _("Card payments are confirmed by the card processor.")
    if order.status in ORDER_ENDED:
        return _("This order was cancelled.")
    return ""


def _part_refusal(fulfilment: Fulfilment) -> str:
    """Why this part takes no offline payment (any more), or "" when it may."""
    if fulfilment.status in FULFILMENT_ENDED:
        return _("Your cooperative no longer has a part in this order.")
    if fulfilment.is_paid:
        return _("The payment of your cooperative's part is already recorded.")
    return ""


def fulfilment_may_mark_paid(fulfilment: Fulfilment) -> bool:
    """What `fulfilment_mark_paid` accepts: an offline payment, this part not paid yet, and
    only while this cooperative still has a part in a live order. Reads `fulfilment.order`."""
    return not (_order_refusal(fulfilment.order) or _part_refusal(fulfilment))


def fulfilment_mark_paid(*, fulfilment: Fulfilment, actor, reason: str = "") -> Fulfilment:
    """Record that the offline payment (cash, transfer, invoice) of one cooperative's part
    arrived: its own total, delivery fee included. The order becomes PAID only when every
    part that still counts is paid (see the rules above).

    Raises PaymentError, with nothing written, for a card order, an ended order or part,
    and a part already recorded (a double click, or two managers at once).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=fulfilment.order_id)
        refusal = _order_refusal(order)
        if refusal:
            raise PaymentError(refusal)
        moved = (
            Fulfilment.objects.filter(pk=fulfilment.pk, order=order, paid_at__isnull=True)
            .exclude(status__in=FULFILMENT_ENDED)
            .update(paid_at=timezone.now(), paid_cop=F("total_cop"))
        )
        current = Fulfilment.objects.select_related("cooperative").get(pk=fulfilment.pk)
        if not moved:
            raise PaymentError(
                _part_refusal(current) or _("The payment of your cooperative's part is already recorded.")
            )
        note = event_reason(
            _("Payment received by %(cooperative)s: %(amount)s")
            % {"cooperative": current.cooperative.name, "amount": format_cop(current.paid_cop)},
            reason,
        )
        OrderEvent.objects.record(
            order_id=order.pk,
            fulfilment=current,
            actor=actor,
            from_status=PaymentStatus.UNPAID,
            to_status=PaymentStatus.PAID,
            reason=note,
        )
        order_payment_follow_fulfilments(order=order, actor=actor)
        notifications.payment_recorded(order, part=f"fulfilment:{current.pk}", amount=current.paid_cop)
    fulfilment.paid_cop, fulfilment.paid_at = current.paid_cop, current.paid_at
    return fulfilment


def order_payment_follow_fulfilments(*, order: Order, actor=None) -> None:
    """Bring an unpaid offline order's payment in step with its parts: `paid_cop` is what
    the cooperatives recorded; PAID (logged once) when every part that still counts is paid.

    The caller holds a transaction and the order's row lock. Card orders are left alone:
    their payment is the card's, for the whole order.
    """
    if order.payment_method == PaymentMethod.CARD:
        return
    current = Order.objects.get(pk=order.pk)
    if current.payment_status != PaymentStatus.UNPAID or current.status in ORDER_ENDED:
        return
    parts = list(
        Fulfilment.objects.filter(order=current).values("status", "paid_at", "paid_cop", "delivery_fee_cop")
    )
    received = sum(part["paid_cop"] for part in parts)
    live = [part for part in parts if part["status"] not in FULFILMENT_ENDED]
    if not live or any(part["paid_at"] is None for part in live):
        if received != current.paid_cop:
            Order.objects.filter(pk=current.pk, payment_status=PaymentStatus.UNPAID).update(paid_cop=received)
        order.paid_cop = received
        return
    # The rest of the order's delivery fees is the market's own, owed to no cooperative.
    order_fee = max(current.delivery_fee_cop - sum(part["delivery_fee_cop"] for part in parts), 0)
    recorded = payment_record(
        order_id=current.pk,
        from_status=PaymentStatus.UNPAID,
        to_status=PaymentStatus.PAID,
        reason=_("every cooperative recorded its payment"),
        actor=actor,
        paid_cop=received + order_fee,
    )
    if recorded:
        order.payment_status, order.paid_cop = PaymentStatus.PAID, received + order_fee
