"""After fulfilment, a card payment follows the order: capture the final amount, release
the hold, refund what was kept above what is due, or close a session left open (see the
rules in `orders.payments`). Nothing here holds a lock while talking to Stripe.
"""

import logging

import stripe
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from market.money import format_cop
from orders.models import ORDER_ENDED, Order, OrderStatus, PaymentMethod, PaymentStatus
from orders.payments.records import payment_note, payment_record
from orders.payments.stripe_api import cents, idempotent, stripe_client

log = logging.getLogger(__name__)

# The order statuses at which an authorised card is captured.
SETTLE_AT = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def card_after_transition(*, order: Order, to: str) -> None:
    """Called by `order_transition` (inside its transaction) for card orders, with the row
    as it was before the move: schedules `card_settle` after commit when money must move."""
    if order.payment_method != PaymentMethod.CARD:
        return
    held = order.payment_status in (PaymentStatus.AUTHORISED, PaymentStatus.PAID)
    needs_settle = (to == OrderStatus.DELIVERED and order.payment_status == PaymentStatus.AUTHORISED) or (
        to in ORDER_ENDED and held
    )
    # A buyer who cancels while the hosted page is open: close it so it cannot be paid.
    closes_session = (
        to == OrderStatus.CANCELLED
        and order.status == OrderStatus.AWAITING_PAYMENT
        and order.payment_status == PaymentStatus.UNPAID
        and bool(order.stripe_session_id)
    )
    if needs_settle or closes_session:
        order_id = order.pk
        transaction.on_commit(lambda: card_settle_task.enqueue(order_id), robust=True)


@task(backend="jobs")
def card_settle_task(order_id: int) -> str:
    return card_settle(order_id=order_id)


def card_settle(*, order_id: int) -> str:
    """Make the card payment match the order's final state. Safe to run again at any time.

    - AUTHORISED, order DELIVERED/COMPLETED, total > 0: capture min(total, authorised).
    - AUTHORISED, total 0 or order cancelled/expired: cancel the PaymentIntent (release).
    - PAID, kept money above what is due (0 when cancelled): refund the difference.
    - UNPAID, cancelled while its session was open: expire the session.
    """
    order = Order.objects.get(pk=order_id)
    if order.payment_method != PaymentMethod.CARD:
        return "not a card order"
    ended = order.status in ORDER_ENDED
    if order.payment_status == PaymentStatus.AUTHORISED:
        if ended or (order.status in SETTLE_AT and order.total_cop == 0):
            return _card_release(order)
        if order.status in SETTLE_AT:
            return _card_capture(order)
        return "waiting for delivery"
    if order.payment_status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        due = 0 if ended else order.total_cop
        kept = order.paid_cop - order.refunded_cop
        if kept > due:
            return _card_refund(order, kept - due)
        return "nothing to refund"
    if order.payment_status == PaymentStatus.UNPAID and order.status == OrderStatus.CANCELLED:
        return _session_close(order)
    return "nothing to do"


def _card_capture(order: Order) -> str:
    amount = min(order.total_cop, order.authorised_cop)
    stripe_amount = cents(amount)
    try:
        stripe_client().v1.payment_intents.capture(
            order.stripe_payment_intent_id,
            params={"amount_to_capture": stripe_amount},
            options=idempotent(f"capture-{order.number}-{stripe_amount}"),
        )
    except stripe.InvalidRequestError as error:
        # Typically an authorisation older than 7 days: Stripe cancelled it.
        log.error("Capture of %s refused: %s", order.number, error)
        payment_record(
            order_id=order.pk,
            from_status=PaymentStatus.AUTHORISED,
            to_status=PaymentStatus.FAILED,
            reason=_("card capture refused; collect the payment another way"),
        )
        return "capture refused"
    payment_record(
        order_id=order.pk,
        from_status=PaymentStatus.AUTHORISED,
        to_status=PaymentStatus.PAID,
        reason=_("card charged %(amount)s") % {"amount": format_cop(amount)},
        paid_cop=amount,
    )
    if order.total_cop > amount:
        payment_note(
            order_id=order.pk,
            status=PaymentStatus.PAID,
            reason=_("%(amount)s above the card authorisation is due by another method")
            % {"amount": format_cop(order.total_cop - amount)},
        )
    return f"captured {amount}"


def _card_release(order: Order) -> str:
    try:
        stripe_client().v1.payment_intents.cancel(
            order.stripe_payment_intent_id, options=idempotent(f"cancel-{order.number}")
        )
    except stripe.InvalidRequestError as error:
        # Already cancelled (by Stripe after 7 days, or in the Dashboard): nothing is held.
        log.warning("Release of %s: %s", order.number, error)
    payment_record(
        order_id=order.pk,
        from_status=PaymentStatus.AUTHORISED,
        to_status=PaymentStatus.UNPAID,
        reason=_("card authorisation released"),
    )
    return "released"


def _card_refund(order: Order, amount: int) -> str:
    after = order.refunded_cop + amount
    try:
        stripe_client().v1.refunds.create(
            params={"payment_intent": order.stripe_payment_intent_id, "amount": cents(amount)},
            options=idempotent(f"refund-{order.number}-{cents(after)}"),
        )
    except stripe.InvalidRequestError as error:
        log.error("Refund of %s for %s refused: %s", amount, order.number, error)
        payment_note(
            order_id=order.pk,
            status=order.payment_status,
            reason=_("card refund refused; refund it another way"),
        )
        return "refund refused"
    payment_record(
        order_id=order.pk,
        from_status=order.payment_status,
        to_status=PaymentStatus.REFUNDED if after >= order.paid_cop else PaymentStatus.PAID,
        expect={"refunded_cop": order.refunded_cop},
        reason=_("refunded %(amount)s") % {"amount": format_cop(amount)},
        refunded_cop=after,
    )
    return f"refunded {amount}"


def _session_close(order: Order) -> str:
    if not order.stripe_session_id:
        return "no session"
    try:
        stripe_client().v1.checkout.sessions.expire(
            order.stripe_session_id, options=idempotent(f"expire-{order.number}")
        )
    except stripe.InvalidRequestError as error:
        # Not open any more. If it was paid meanwhile, its webhook releases the hold.
        log.info("Session of %s not expired: %s", order.number, error)
        return "session not open"
    return "session closed"
