"""Unpaid card orders whose payment window passed, when no webhook said so, and card
payments left behind by a failed task (`manage.py expire_card_orders`)."""

import logging

import stripe
from django.db import transaction
from django.utils import timezone

from orders.exceptions import TransitionError
from orders.models import ORDER_ENDED, Order, OrderStatus, PaymentMethod, PaymentStatus
from orders.payments.card_settle import SETTLE_AT, card_settle
from orders.payments.card_webhooks import (
    card_authorise,
    card_order_expire_if_unpaid,
    card_session_order,
    refused,
)
from orders.payments.stripe_api import idempotent, stripe_client

log = logging.getLogger(__name__)


def card_order_expire(*, order: Order) -> str:
    """Expire one unpaid card order whose time ran out, asking Stripe first when it has a
    session: a session paid at the last second is authorised instead, an open one is
    closed so it can no longer be paid. When Stripe cannot be reached the order is left
    for the next run. Safe to repeat and to race with the webhook."""
    if order.stripe_session_id:
        client = stripe_client()
        try:
            session = client.v1.checkout.sessions.retrieve(order.stripe_session_id)
            if session.status == "open":
                session = client.v1.checkout.sessions.expire(
                    order.stripe_session_id, options=idempotent(f"expire-{order.number}")
                )
        except stripe.InvalidRequestError:
            # The session completed between our two calls: read it again next run.
            return "skipped: session changed"
        except stripe.StripeError as error:
            log.warning("Could not check the session of %s: %s", order.number, error)
            return "skipped: Stripe unreachable"
        data = session.to_dict()
        if data.get("status") == "complete" and data.get("payment_status") != "paid":
            return "skipped: payment pending"  # a delayed method; its webhook decides
        if data.get("status") == "complete":
            checked, problem = card_session_order(data)
            if checked is None:
                return refused(problem)
            with transaction.atomic():
                return card_authorise(order=checked, session=data)
    with transaction.atomic():
        try:
            return card_order_expire_if_unpaid(order)
        except TransitionError:
            return "already moved"


def card_orders_expire(*, now=None) -> dict[str, int]:
    """Expire every unpaid card order whose payment window passed, and settle card
    payments left behind (a capture or release whose task failed). Returns counts."""
    now = now or timezone.now()
    counts = {"expired": 0, "authorised": 0, "skipped": 0, "settled": 0}
    overdue = Order.objects.filter(
        payment_method=PaymentMethod.CARD,
        status=OrderStatus.AWAITING_PAYMENT,
        payment_status=PaymentStatus.UNPAID,
        payment_expires_at__lt=now,
    ).order_by("pk")
    for order in overdue:
        outcome = card_order_expire(order=order)
        if outcome == "expired":
            counts["expired"] += 1
        elif outcome == "placed" or outcome.startswith("authorised"):
            counts["authorised"] += 1
        elif outcome.startswith("skipped"):
            counts["skipped"] += 1
    pending = Order.objects.filter(
        payment_method=PaymentMethod.CARD,
        payment_status=PaymentStatus.AUTHORISED,
        status__in=[*SETTLE_AT, *ORDER_ENDED],
    ).values_list("pk", flat=True)
    for order_id in pending:
        try:
            card_settle(order_id=order_id)
        except stripe.StripeError as error:
            log.warning("Settling order %s failed: %s", order_id, error)
            continue
        counts["settled"] += 1
    return counts
