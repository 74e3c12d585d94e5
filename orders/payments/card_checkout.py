"""Opening the Stripe Checkout Session of a card order (see the rules in `orders.payments`)."""

import logging
from datetime import datetime, timedelta

import stripe
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import PaymentError
from orders.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from orders.payments.card_expiry import card_order_expire
from orders.payments.stripe_api import CURRENCY, cents, idempotent, stripe_client

log = logging.getLogger(__name__)

# Stripe accepts a session expiry between 30 minutes and 24 hours after its creation.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
# When the order's window is shorter than that, it is stretched to this much; a second
# request within the two minutes between them sends the very same parameters.
SESSION_EXTENDED_LIFETIME = timedelta(minutes=33)


def card_checkout_start(*, order: Order, success_url: str, cancel_url: str) -> str:
    """Open (or reopen) the Stripe Checkout Session of an unpaid card order; return its URL.

    One session per order: once created, the same one is shown again while it is open.
    The order's payment window is first stretched, if needed, to Stripe's 30-minute minimum
    (in a short transaction of its own); the call to Stripe holds no lock.
    """
    order = _awaiting_card_order(order.pk)
    if order.stripe_session_id:
        return _session_reuse(order)
    expires_at = _payment_window_stretch(order)
    params = _session_params(order, expires_at=expires_at, success_url=success_url, cancel_url=cancel_url)
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=params, options=idempotent(f"checkout-{order.number}")
        )
    except stripe.StripeError as error:
        log.warning("Stripe refused the checkout session of %s: %s", order.number, error)
        raise PaymentError(
            _("We could not open the card payment. Try again in a few minutes, or cancel the order.")
        ) from error
    Order.objects.filter(pk=order.pk, stripe_session_id="").update(stripe_session_id=session.id)
    return session.url


def _payment_window_stretch(order: Order) -> datetime:
    """The order's payment deadline, moved to Stripe's minimum session lifetime if shorter."""
    now = timezone.now()
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        expires_at = locked.payment_expires_at
        if expires_at is None or expires_at < now + SESSION_MIN_LIFETIME:
            expires_at = now + SESSION_EXTENDED_LIFETIME
            Order.objects.filter(pk=order.pk).update(payment_expires_at=expires_at)
    return expires_at


def _session_params(order: Order, *, expires_at: datetime, success_url: str, cancel_url: str) -> dict:
    """One line for the whole order, authorised now and captured after delivery."""
    return {
        "mode": "payment",
        "payment_method_types": ["card"],
        "client_reference_id": order.number,
        "customer_email": order.buyer.email,
        "locale": "es",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": cents(order.total_cop),
                    "product_data": {"name": f"Minga · {order.number}"},
                },
            }
        ],
        "payment_intent_data": {
            "capture_method": "manual",
            "description": f"Minga {order.number}",
            "metadata": {"order_number": order.number},
        },
        "metadata": {"order_number": order.number},
        "expires_at": int(expires_at.timestamp()),
        "success_url": success_url,
        "cancel_url": cancel_url,
    }


def _awaiting_card_order(order_pk: int) -> Order:
    order = Order.objects.select_related("buyer").get(pk=order_pk)
    if order.payment_method != PaymentMethod.CARD:
        raise PaymentError(_("This order is not paid by card."))
    if order.status != OrderStatus.AWAITING_PAYMENT or order.payment_status != PaymentStatus.UNPAID:
        raise PaymentError(_("This order is not waiting for a card payment."))
    overdue = order.payment_expires_at is not None and order.payment_expires_at <= timezone.now()
    if overdue and not order.stripe_session_id:
        card_order_expire(order=order)
        raise PaymentError(_("The time to pay this order ran out; its products were released."))
    return order


def _session_reuse(order: Order) -> str:
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(order.stripe_session_id)
    except stripe.StripeError as error:
        log.warning("Could not read checkout session of %s: %s", order.number, error)
        raise PaymentError(_("We could not reach the card processor. Try again in a few minutes.")) from error
    if session.status == "open":
        return session.url
    if session.status == "complete":
        raise PaymentError(_("We received your card payment and are confirming it."))
    card_order_expire(order=order)
    raise PaymentError(_("The time to pay this order ran out; its products were released."))
