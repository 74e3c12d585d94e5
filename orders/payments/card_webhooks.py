"""Stripe's signed webhooks: each event verified, stored once, and turned into the
authorisation, the failure or the expiry of a card order, or a refund (see the rules in
`orders.payments`).
"""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from market.money import format_cop
from orders import channels, notifications
from orders.exceptions import CartError, TransitionError, WebhookSignatureError
from orders.models import (
    REASON_CARD_AUTHORISED,
    REASON_CARD_FAILED,
    REASON_CARD_TIMED_OUT,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)
from orders.payments.card_settle import card_settle_task
from orders.payments.records import payment_record
from orders.payments.stripe_api import CURRENCY, cents, pesos
from orders.transitions import order_transition

log = logging.getLogger(__name__)


def stripe_webhook_handle(*, payload: bytes, signature: str | None) -> str:
    """Verify, deduplicate and apply one webhook. Returns what happened (for the log).

    Raises WebhookSignatureError (-> 400) for a missing secret, a bad signature, a changed
    body, a stale timestamp or a body that is not an event.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not set")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookSignatureError(str(error)) from error
    data = event.to_dict()
    event_id, kind = data.get("id") or "", data.get("type") or ""
    obj = (data.get("data") or {}).get("object") or {}
    if not event_id:
        raise WebhookSignatureError("event without id")

    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event_id, type=kind[:100])
        except IntegrityError:
            return "duplicate"
        handler = _HANDLERS.get(kind)
        outcome = handler(obj) if handler else "ignored type"
    log.info("Stripe event %s (%s): %s", event_id, kind, outcome)
    return outcome


def card_session_order(session: dict) -> tuple[Order | None, str]:
    """The order a Checkout Session pays, after checking order, amount and currency."""
    number = session.get("client_reference_id") or ""
    if not number or (session.get("metadata") or {}).get("order_number") != number:
        return None, "no order reference"
    order = Order.objects.filter(number=number, payment_method=PaymentMethod.CARD).first()
    if order is None:
        return None, f"unknown order {number}"
    if (session.get("currency") or "").lower() != CURRENCY:
        return None, f"{number}: currency {session.get('currency')!r} is not COP"
    if session.get("amount_total") != cents(order.total_cop):
        return None, f"{number}: amount {session.get('amount_total')} is not {cents(order.total_cop)}"
    return order, ""


def refused(problem: str) -> str:
    log.warning("Stripe event ignored: %s", problem)
    return f"ignored: {problem}"


def _on_session_paid(session: dict) -> str:
    """checkout.session.completed / async_payment_succeeded: authorised only when `paid`."""
    order, problem = card_session_order(session)
    if order is None:
        return refused(problem)
    if session.get("payment_status") != "paid":
        return "waiting: payment_status is not paid"
    return card_authorise(order=order, session=session)


def card_authorise(*, order: Order, session: dict) -> str:
    """Record the authorisation once; place the order (stock stays reserved), or, when the
    order ended meanwhile (expired, cancelled), release the hold after commit."""
    current = Order.objects.select_for_update().get(pk=order.pk)
    recorded = payment_record(
        order_id=current.pk,
        from_status=PaymentStatus.UNPAID,
        to_status=PaymentStatus.AUTHORISED,
        reason=_("card authorised"),
        authorised_cop=pesos(session.get("amount_total")),
        stripe_session_id=session.get("id") or current.stripe_session_id,
        stripe_payment_intent_id=session.get("payment_intent") or "",
    )
    if not recorded:
        return "already recorded"
    if current.status == OrderStatus.AWAITING_PAYMENT:
        try:
            channel = channels.channel_for(current.channel_key)
            channel.check_payment_confirmation(order=current, at=timezone.now())
        except CartError as error:
            # Too late for its market: the order expires (stock back) and the hold is released.
            order_transition(order=current, to=OrderStatus.EXPIRED, reason=error.message[:255])
            transaction.on_commit(lambda: card_settle_task.enqueue(current.pk), robust=True)
            return "authorised too late for its market: releasing"
        order_transition(order=current, to=OrderStatus.PLACED, reason=REASON_CARD_AUTHORISED)
        current.status = OrderStatus.PLACED
        notifications.order_placed(current)
        return "placed"
    transaction.on_commit(lambda: card_settle_task.enqueue(current.pk), robust=True)
    return f"authorised after the order was {current.status}: releasing"


def _on_session_failed(session: dict) -> str:
    """async_payment_failed: the payment is FAILED and the unpaid order is cancelled."""
    order, problem = card_session_order(session)
    if order is None:
        return refused(problem)
    if not payment_record(
        order_id=order.pk,
        from_status=PaymentStatus.UNPAID,
        to_status=PaymentStatus.FAILED,
        reason=_("card payment failed"),
    ):
        return "already recorded"
    try:
        order_transition(order=order, to=OrderStatus.CANCELLED, reason=REASON_CARD_FAILED)
    except TransitionError:
        return "failed; order had already moved"
    return "failed: cancelled"


def _on_session_expired(session: dict) -> str:
    """checkout.session.expired: the unpaid order expires and gives its stock back once.
    Only the order's own session counts (a stale one must not expire a paid order)."""
    order, problem = card_session_order(session)
    if order is None:
        return refused(problem)
    if order.stripe_session_id and session.get("id") != order.stripe_session_id:
        return refused(f"{order.number}: session {session.get('id')} is not the order's session")
    return card_order_expire_if_unpaid(order)


def card_order_expire_if_unpaid(order: Order) -> str:
    current = Order.objects.select_for_update().get(pk=order.pk)
    if current.status != OrderStatus.AWAITING_PAYMENT or current.payment_status != PaymentStatus.UNPAID:
        return "already moved"
    order_transition(order=current, to=OrderStatus.EXPIRED, reason=REASON_CARD_TIMED_OUT)
    return "expired"


def _on_charge_refunded(charge: dict) -> str:
    """charge.refunded: record what went back to the buyer (a refund made here or in the
    Stripe Dashboard). `refunded_cop` only grows; REFUNDED when the charge is fully refunded.
    The part of a partial capture that was never taken is not money back."""
    intent = charge.get("payment_intent") or ""
    order = (
        Order.objects.filter(stripe_payment_intent_id=intent, payment_method=PaymentMethod.CARD).first()
        if intent
        else None
    )
    if order is None:
        return refused(f"no order for payment intent {intent!r}")
    if (charge.get("currency") or "").lower() != CURRENCY:
        return refused(f"{order.number}: currency {charge.get('currency')!r} is not COP")
    if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return refused(f"{order.number}: refund before capture ({order.payment_status})")
    amount, captured = int(charge.get("amount") or 0), int(charge.get("amount_captured") or 0)
    released = max(amount - captured, 0)
    refunded = min(pesos(int(charge.get("amount_refunded") or 0) - released), order.paid_cop)
    if charge.get("refunded"):
        refunded = order.paid_cop
    refunded = max(refunded, order.refunded_cop)
    to_status = PaymentStatus.REFUNDED if refunded >= order.paid_cop else PaymentStatus.PAID
    if refunded == order.refunded_cop and to_status == order.payment_status:
        return "nothing new"
    payment_record(
        order_id=order.pk,
        from_status=order.payment_status,
        to_status=to_status,
        expect={"refunded_cop": order.refunded_cop},
        reason=_("refunded %(amount)s") % {"amount": format_cop(refunded - order.refunded_cop)},
        refunded_cop=refunded,
    )
    return f"refunded {refunded}"


_HANDLERS = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_session_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
}
