"""The two state machines: an order's status and each cooperative's fulfilment, with the
log row every move writes. The order follows its fulfilments; its stock goes back when it
ends, and its payment follows (a card is settled after commit, an offline payment is
recomputed from its parts).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from orders import channels, notifications
from orders.exceptions import TransitionError
from orders.models import (
    FULFILMENT_ENDED,
    ORDER_ENDED,
    REASON_ALL_PARTS_REJECTED,
    Fulfilment,
    FulfilmentStatus,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from orders.payments.card_settle import card_after_transition
from orders.payments.offline import order_payment_follow_fulfilments
from orders.stock import stock_return
from orders.totals import order_recompute_totals

ORDER_TRANSITIONS = {
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PLACED, OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    OrderStatus.PLACED: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.READY, OrderStatus.CANCELLED},
    OrderStatus.READY: {OrderStatus.DELIVERED},
    OrderStatus.DELIVERED: {OrderStatus.COMPLETED},
}

FULFILMENT_TRANSITIONS = {
    FulfilmentStatus.PENDING: {
        FulfilmentStatus.CONFIRMED,
        FulfilmentStatus.REJECTED,
        FulfilmentStatus.CANCELLED,
    },
    # CONFIRMED -> REJECTED: a confirmed part whose every line is rejected after all (line_reject).
    FulfilmentStatus.CONFIRMED: {
        FulfilmentStatus.READY,
        FulfilmentStatus.REJECTED,
        FulfilmentStatus.CANCELLED,
    },
    FulfilmentStatus.READY: {FulfilmentStatus.HANDED_OVER},
}
# While its fulfilment is in one of these, a line may still be rejected on its own.
LINE_REJECTABLE = (FulfilmentStatus.PENDING, FulfilmentStatus.CONFIRMED)


def order_transition(*, order: Order, to: str, actor=None, reason: str = "") -> Order:
    """The one way to change an order's status: checks the move, saves, logs.

    Cancelling or expiring returns the stock of every line (once) and cancels the open
    fulfilments. The conditional UPDATE on the old status makes a concurrent second
    move fail instead of applying twice.
    """
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if to not in ORDER_TRANSITIONS.get(current.status, set()):
            raise TransitionError(
                _("An order cannot go from %(from)s to %(to)s.")
                % {"from": OrderStatus(current.status).label, "to": OrderStatus(to).label}
            )
        moved = Order.objects.filter(pk=current.pk, status=current.status).update(status=to)
        if not moved:
            raise TransitionError(_("The order changed meanwhile. Reload the page."))
        OrderEvent.objects.record(
            order_id=current.pk, actor=actor, from_status=current.status, to_status=to, reason=reason
        )
        if to in ORDER_ENDED:
            stock_return(lines=list(current.lines.all()))
            channels.channel_for(current.channel_key).after_end(order=current)
            stopped = []
            for fulfilment in current.fulfilments.exclude(
                status__in=[
                    FulfilmentStatus.REJECTED,
                    FulfilmentStatus.CANCELLED,
                    FulfilmentStatus.HANDED_OVER,
                ]
            ):
                _fulfilment_move(fulfilment, FulfilmentStatus.CANCELLED, actor, reason)
                stopped.append(fulfilment.pk)
            if to == OrderStatus.EXPIRED:
                notifications.order_expired(_as(current, to))
            elif current.status != OrderStatus.AWAITING_PAYMENT:  # cooperatives knew of it
                notifications.order_cancelled(_as(current, to), fulfilment_ids=stopped)
        elif to == OrderStatus.READY:
            notifications.order_ready(_as(current, to))
        elif to == OrderStatus.DELIVERED:
            notifications.order_delivered(_as(current, to))
        if current.payment_method == PaymentMethod.CARD:
            # Capture on delivery, release or refund on cancellation: after commit.
            card_after_transition(order=current, to=to)
        order.status = to
    return order


def _as(order: Order, status: str) -> Order:
    """The order as its messages describe it: after the move (the row was updated in SQL)."""
    moved = Order.objects.select_related("buyer").get(pk=order.pk)
    moved.status = status
    return moved


def _fulfilment_move(fulfilment: Fulfilment, to: str, actor, reason: str) -> OrderEvent:
    if to not in FULFILMENT_TRANSITIONS.get(fulfilment.status, set()):
        raise TransitionError(
            _("This part of the order cannot go from %(from)s to %(to)s.")
            % {"from": FulfilmentStatus(fulfilment.status).label, "to": FulfilmentStatus(to).label}
        )
    moved = Fulfilment.objects.filter(pk=fulfilment.pk, status=fulfilment.status).update(status=to)
    if not moved:
        raise TransitionError(_("The order changed meanwhile. Reload the page."))
    event = OrderEvent.objects.record(
        order_id=fulfilment.order_id,
        fulfilment=fulfilment,
        actor=actor,
        from_status=fulfilment.status,
        to_status=to,
        reason=reason,
    )
    fulfilment.status = to
    return event


def order_check_open_to_cooperatives(order: Order) -> None:
    """A cooperative acts only on a placed order that has not ended: a card order waiting
    for its payment is not an order yet. The caller holds the order's row lock."""
    if order.status in ORDER_ENDED:
        raise TransitionError(_("This order was cancelled."))
    if order.status == OrderStatus.AWAITING_PAYMENT:
        raise TransitionError(
            _("This order is waiting for its card payment. Nothing can change until it is authorised.")
        )


def fulfilment_transition(*, fulfilment: Fulfilment, to: str, actor=None, reason: str = "") -> Fulfilment:
    """The one way to change a fulfilment's status; the order follows its fulfilments.

    A rejection tells the buyer at once: by the order's own notice when the order moved
    with it (confirmed, ready, cancelled), else by the "changed" notice.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=fulfilment.order_id)
        fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
        order_check_open_to_cooperatives(order)
        order_status_before = order.status
        moved = _fulfilment_move(fulfilment, to, actor, reason)
        if to == FulfilmentStatus.REJECTED:
            lines = list(fulfilment.lines.all())
            OrderLine.objects.filter(fulfilment=fulfilment).update(status=LineStatus.REJECTED)
            stock_return(lines=lines)
            order_recompute_totals(order=order)
        elif to == FulfilmentStatus.CONFIRMED:
            fulfilment.lines.filter(status=LineStatus.PENDING).update(status=LineStatus.CONFIRMED)
        _order_follow_fulfilments(order, actor)
        if to in FULFILMENT_ENDED and order.status not in ORDER_ENDED:
            # The parts left may all be paid already: the order's payment follows them.
            order_payment_follow_fulfilments(order=order, actor=actor)
        if to == FulfilmentStatus.REJECTED and order.status == order_status_before:
            notifications.order_changed(
                _as(order, order.status),
                event_id=moved.pk,
                change=_("%(name)s cannot deliver its part.") % {"name": fulfilment.cooperative.name},
            )
    return fulfilment


def _order_follow_fulfilments(order: Order, actor) -> None:
    statuses = set(order.fulfilments.values_list("status", flat=True))
    live = statuses - FULFILMENT_ENDED
    if not live:
        order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, reason=REASON_ALL_PARTS_REJECTED)
        return
    if order.status == OrderStatus.PLACED and FulfilmentStatus.PENDING not in live:
        order_transition(order=order, to=OrderStatus.CONFIRMED, actor=actor)
        notifications.order_confirmed(_as(order, OrderStatus.CONFIRMED))
        order.status = OrderStatus.CONFIRMED
    if order.status == OrderStatus.CONFIRMED and live <= {
        FulfilmentStatus.READY,
        FulfilmentStatus.HANDED_OVER,
    }:
        order_transition(order=order, to=OrderStatus.READY, actor=actor)
        order.status = OrderStatus.READY
    if order.status == OrderStatus.READY and live == {FulfilmentStatus.HANDED_OVER}:
        order_transition(order=order, to=OrderStatus.DELIVERED, actor=actor)
