"""Payments: the one place an order's payment status changes.

Offline methods (cash, transfer, invoice) are recorded part by part: each cooperative's
manager records the payment of her own `Fulfilment` (`fulfilment_mark_paid`), and the
order becomes PAID once every part that still counts is paid. Card payments (Stripe
Checkout) pay the whole order and are confirmed by signed webhooks.

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

Card payments, the rules this module keeps
------------------------------------------
* **Authorise at checkout, capture after fulfilment.** The Checkout Session asks for
  `capture_method=manual`. Stripe Checkout reports `payment_status="paid"` on
  `checkout.session.completed` once the card is authorised (the PaymentIntent waits in
  `requires_capture`); only then do we record the order AUTHORISED (`authorised_cop` = the
  session's `amount_total` / 100) and move it AWAITING_PAYMENT -> PLACED. Any other
  `payment_status` ("unpaid": a delayed method) waits for
  `checkout.session.async_payment_succeeded`. PAID is recorded only by our own capture.
* **Capture the final amount.** When the order reaches DELIVERED, `card_settle` captures
  `min(total_cop, authorised_cop)` (never above what was authorised; Stripe releases the
  rest of the hold). A final total of 0, or an order cancelled/expired after authorisation,
  cancels the PaymentIntent (the hold is released, nothing is collected: UNPAID). If money
  was already captured and the total dropped, the difference is refunded. Over-delivery
  beyond the authorisation is logged on the order: the rest is collected offline.
* **Nothing locks stock, or an order row, while talking to Stripe.** Outgoing calls run
  outside any transaction; their result is then recorded with a conditional UPDATE, so a
  repeated or concurrent settle records it once.
* **Every outgoing POST carries a deterministic idempotency key**, built from the order
  number and the Stripe amount (pesos x 100): `checkout-{number}`,
  `capture-{number}-{amount}`, `refund-{number}-{refunded total after it}`,
  `cancel-{number}`, `expire-{number}`. A retry (double click, worker retry, two app
  servers) is the same request to Stripe and gets the same answer.
* **Webhooks.** The signature is checked with `stripe.Webhook.construct_event` (400 on a
  wrong secret, changed body or a timestamp older than 300 s). Each event id is stored in
  `StripeEvent` in the same transaction as its effect: a replay, even concurrent, hits
  the unique index and changes nothing (200). An event that is signed but does not match
  an order (unknown order, other amount, other currency, another session) is logged and
  acknowledged with 200 without any change: it came from Stripe, so retrying it for days
  cannot make it valid, and the warning in the log is what someone must look at.
* **Expiry.** The session expires at `order.payment_expires_at` (moved to at least 31
  minutes after the session is created: Stripe's minimum is 30). `checkout.session.expired`
  or `manage.py expire_card_orders` (for when no webhook arrives) move the unpaid order to
  EXPIRED, which returns its stock exactly once.
"""

import logging
from datetime import timedelta
from functools import lru_cache

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from market.money import STRIPE_COP_FACTOR, format_cop, to_stripe_amount
from orders import channels, notifications, services
from orders.exceptions import CartError, OrderError, TransitionError
from orders.models import (
    FULFILMENT_ENDED,
    ORDER_ENDED,
    Fulfilment,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)

log = logging.getLogger(__name__)

CURRENCY = "cop"
# Stripe accepts a session expiry between 30 minutes and 24 hours after its creation.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
# When the order's window is shorter than that, it is stretched to this much; a second
# request within the two minutes between them sends the very same parameters.
SESSION_EXTENDED_LIFETIME = timedelta(minutes=33)

_SETTLE_AT = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


class PaymentError(OrderError):
    """A payment change that is not allowed (wrong method, already paid, cancelled order)."""


class WebhookSignatureError(PaymentError):
    """The webhook is not from Stripe, was changed, or is too old: answer 400."""


def fulfilment_mark_paid(*, fulfilment: Fulfilment, actor, reason: str = "") -> Fulfilment:
    """Record that the offline payment (cash, transfer, invoice) of one cooperative's part
    arrived: its own total, delivery fee included. The order becomes PAID only when every
    part that still counts is paid (see the rules above).

    Raises PaymentError, with nothing written, for a card order, an ended order or part,
    and a part already recorded (a double click, or two managers at once).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=fulfilment.order_id)
        if order.payment_method == PaymentMethod.CARD:
            raise PaymentError(_("Card payments are confirmed by the card processor."))
        if order.status in ORDER_ENDED:
            raise PaymentError(_("This order was cancelled."))
        moved = (
            Fulfilment.objects.filter(pk=fulfilment.pk, order=order, paid_at__isnull=True)
            .exclude(status__in=FULFILMENT_ENDED)
            .update(paid_at=timezone.now(), paid_cop=F("total_cop"))
        )
        current = Fulfilment.objects.select_related("cooperative").get(pk=fulfilment.pk)
        if not moved:
            if current.status in FULFILMENT_ENDED:
                raise PaymentError(_("Your cooperative no longer has a part in this order."))
            raise PaymentError(_("The payment of your cooperative's part is already recorded."))
        note = _("Payment received by %(cooperative)s: %(amount)s") % {
            "cooperative": current.cooperative.name,
            "amount": format_cop(current.paid_cop),
        }
        if reason.strip():
            note = f"{note} · {reason.strip()}"
        OrderEvent.objects.record(
            order_id=order.pk,
            fulfilment=current,
            actor=actor,
            from_status=PaymentStatus.UNPAID,
            to_status=PaymentStatus.PAID,
            reason=note,
        )
        order_payment_follow_fulfilments(order=order, actor=actor)
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
    recorded = _payment_record(
        order_id=current.pk,
        from_status=PaymentStatus.UNPAID,
        to_status=PaymentStatus.PAID,
        reason=_("every cooperative recorded its payment"),
        actor=actor,
        paid_cop=received + order_fee,
    )
    if recorded:
        order.payment_status, order.paid_cop = PaymentStatus.PAID, received + order_fee


def _payment_record(
    *,
    order_id: int,
    from_status: str,
    to_status: str,
    reason: str,
    expect: dict | None = None,
    actor=None,
    **fields,
) -> bool:
    """The one writer of an order's payment status and amounts: a conditional UPDATE on
    the status we expect (and `expect`ed fields), plus a log row. False when the order
    had moved meanwhile: then nothing is written."""
    with transaction.atomic():
        moved = Order.objects.filter(pk=order_id, payment_status=from_status, **(expect or {})).update(
            payment_status=to_status, **fields
        )
        if moved:
            OrderEvent.objects.record(
                order_id=order_id, actor=actor, from_status=from_status, to_status=to_status, reason=reason
            )
    return bool(moved)


def _note(order_id: int, status: str, reason: str) -> None:
    OrderEvent.objects.record(order_id=order_id, from_status=status, to_status=status, reason=reason)


# --- The Stripe client ---------------------------------------------------------------------


def stripe_client() -> stripe.StripeClient:
    """The real `stripe` library, configured from settings. `STRIPE_API_BASE` (tests, a
    local stub on plain http) replaces Stripe's API address."""
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    if not api_key:
        raise PaymentError(_("Card payments are not available."))
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,
    )


def _options(key: str) -> dict:
    return {"idempotency_key": key}


def _cents(pesos: int) -> int:
    return to_stripe_amount(pesos)


def _pesos(cents) -> int:
    return int(cents or 0) // STRIPE_COP_FACTOR


# --- Checkout --------------------------------------------------------------------------------


def card_checkout_start(*, order: Order, success_url: str, cancel_url: str) -> str:
    """Open (or reopen) the Stripe Checkout Session of an unpaid card order; return its URL.

    One session per order: once created, the same one is shown again while it is open.
    The order's payment window is first stretched, if needed, to Stripe's 30-minute minimum
    (in a short transaction of its own); the call to Stripe holds no lock.
    """
    order = _awaiting_card_order(order.pk)
    if order.stripe_session_id:
        return _session_reuse(order)

    now = timezone.now()
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        expires_at = locked.payment_expires_at
        if expires_at is None or expires_at < now + SESSION_MIN_LIFETIME:
            expires_at = now + SESSION_EXTENDED_LIFETIME
            Order.objects.filter(pk=order.pk).update(payment_expires_at=expires_at)

    params = {
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
                    "unit_amount": _cents(order.total_cop),
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
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=params, options=_options(f"checkout-{order.number}")
        )
    except stripe.StripeError as error:
        log.warning("Stripe refused the checkout session of %s: %s", order.number, error)
        raise PaymentError(
            _("We could not open the card payment. Try again in a few minutes, or cancel the order.")
        ) from error
    Order.objects.filter(pk=order.pk, stripe_session_id="").update(stripe_session_id=session.id)
    return session.url


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


# --- Webhooks ---------------------------------------------------------------------------------


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


def _order_for_session(session: dict) -> tuple[Order | None, str]:
    """The order a Checkout Session pays, after checking order, amount and currency."""
    number = session.get("client_reference_id") or ""
    if not number or (session.get("metadata") or {}).get("order_number") != number:
        return None, "no order reference"
    order = Order.objects.filter(number=number, payment_method=PaymentMethod.CARD).first()
    if order is None:
        return None, f"unknown order {number}"
    if (session.get("currency") or "").lower() != CURRENCY:
        return None, f"{number}: currency {session.get('currency')!r} is not COP"
    if session.get("amount_total") != _cents(order.total_cop):
        return None, f"{number}: amount {session.get('amount_total')} is not {_cents(order.total_cop)}"
    return order, ""


def _refused(problem: str) -> str:
    log.warning("Stripe event ignored: %s", problem)
    return f"ignored: {problem}"


def _on_session_paid(session: dict) -> str:
    """checkout.session.completed / async_payment_succeeded: authorised only when `paid`."""
    order, problem = _order_for_session(session)
    if order is None:
        return _refused(problem)
    if session.get("payment_status") != "paid":
        return "waiting: payment_status is not paid"
    return _card_authorise(order=order, session=session)


def _card_authorise(*, order: Order, session: dict) -> str:
    """Record the authorisation once; place the order (stock stays reserved), or, when the
    order ended meanwhile (expired, cancelled), release the hold after commit."""
    current = Order.objects.select_for_update().get(pk=order.pk)
    recorded = _payment_record(
        order_id=current.pk,
        from_status=PaymentStatus.UNPAID,
        to_status=PaymentStatus.AUTHORISED,
        reason=_("card authorised"),
        authorised_cop=_pesos(session.get("amount_total")),
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
            services.order_transition(order=current, to=OrderStatus.EXPIRED, reason=error.message[:255])
            transaction.on_commit(lambda: card_settle_task.enqueue(current.pk), robust=True)
            return "authorised too late for its market: releasing"
        services.order_transition(order=current, to=OrderStatus.PLACED, reason="card payment authorised")
        transaction.on_commit(lambda: notifications.order_placed.enqueue(current.pk), robust=True)
        return "placed"
    transaction.on_commit(lambda: card_settle_task.enqueue(current.pk), robust=True)
    return f"authorised after the order was {current.status}: releasing"


def _on_session_failed(session: dict) -> str:
    """async_payment_failed: the payment is FAILED and the unpaid order is cancelled."""
    order, problem = _order_for_session(session)
    if order is None:
        return _refused(problem)
    if not _payment_record(
        order_id=order.pk,
        from_status=PaymentStatus.UNPAID,
        to_status=PaymentStatus.FAILED,
        reason=_("card payment failed"),
    ):
        return "already recorded"
    try:
        services.order_transition(order=order, to=OrderStatus.CANCELLED, reason="card payment failed")
    except TransitionError:
        return "failed; order had already moved"
    return "failed: cancelled"


def _on_session_expired(session: dict) -> str:
    """checkout.session.expired: the unpaid order expires and gives its stock back once.
    Only the order's own session counts (a stale one must not expire a paid order)."""
    order, problem = _order_for_session(session)
    if order is None:
        return _refused(problem)
    if order.stripe_session_id and session.get("id") != order.stripe_session_id:
        return _refused(f"{order.number}: session {session.get('id')} is not the order's session")
    return _expire_if_unpaid(order)


def _expire_if_unpaid(order: Order) -> str:
    current = Order.objects.select_for_update().get(pk=order.pk)
    if current.status != OrderStatus.AWAITING_PAYMENT or current.payment_status != PaymentStatus.UNPAID:
        return "already moved"
    services.order_transition(order=current, to=OrderStatus.EXPIRED, reason="card payment time ran out")
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
        return _refused(f"no order for payment intent {intent!r}")
    if (charge.get("currency") or "").lower() != CURRENCY:
        return _refused(f"{order.number}: currency {charge.get('currency')!r} is not COP")
    if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return _refused(f"{order.number}: refund before capture ({order.payment_status})")
    amount, captured = int(charge.get("amount") or 0), int(charge.get("amount_captured") or 0)
    released = max(amount - captured, 0)
    refunded = min(_pesos(int(charge.get("amount_refunded") or 0) - released), order.paid_cop)
    if charge.get("refunded"):
        refunded = order.paid_cop
    refunded = max(refunded, order.refunded_cop)
    to_status = PaymentStatus.REFUNDED if refunded >= order.paid_cop else PaymentStatus.PAID
    if refunded == order.refunded_cop and to_status == order.payment_status:
        return "nothing new"
    _payment_record(
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


# --- After fulfilment: capture, release, refund ------------------------------------------------


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
        if ended or (order.status in _SETTLE_AT and order.total_cop == 0):
            return _card_release(order)
        if order.status in _SETTLE_AT:
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
    cents = _cents(amount)
    try:
        stripe_client().v1.payment_intents.capture(
            order.stripe_payment_intent_id,
            params={"amount_to_capture": cents},
            options=_options(f"capture-{order.number}-{cents}"),
        )
    except stripe.InvalidRequestError as error:
        # Typically an authorisation older than 7 days: Stripe cancelled it.
        log.error("Capture of %s refused: %s", order.number, error)
        _payment_record(
            order_id=order.pk,
            from_status=PaymentStatus.AUTHORISED,
            to_status=PaymentStatus.FAILED,
            reason=_("card capture refused; collect the payment another way"),
        )
        return "capture refused"
    _payment_record(
        order_id=order.pk,
        from_status=PaymentStatus.AUTHORISED,
        to_status=PaymentStatus.PAID,
        reason=_("card charged %(amount)s") % {"amount": format_cop(amount)},
        paid_cop=amount,
    )
    if order.total_cop > amount:
        _note(
            order.pk,
            PaymentStatus.PAID,
            _("%(amount)s above the card authorisation is due by another method")
            % {"amount": format_cop(order.total_cop - amount)},
        )
    return f"captured {amount}"


def _card_release(order: Order) -> str:
    try:
        stripe_client().v1.payment_intents.cancel(
            order.stripe_payment_intent_id, options=_options(f"cancel-{order.number}")
        )
    except stripe.InvalidRequestError as error:
        # Already cancelled (by Stripe after 7 days, or in the Dashboard): nothing is held.
        log.warning("Release of %s: %s", order.number, error)
    _payment_record(
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
            params={"payment_intent": order.stripe_payment_intent_id, "amount": _cents(amount)},
            options=_options(f"refund-{order.number}-{_cents(after)}"),
        )
    except stripe.InvalidRequestError as error:
        log.error("Refund of %s for %s refused: %s", amount, order.number, error)
        _note(order.pk, order.payment_status, _("card refund refused; refund it another way"))
        return "refund refused"
    _payment_record(
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
            order.stripe_session_id, options=_options(f"expire-{order.number}")
        )
    except stripe.InvalidRequestError as error:
        # Not open any more. If it was paid meanwhile, its webhook releases the hold.
        log.info("Session of %s not expired: %s", order.number, error)
        return "session not open"
    return "session closed"


# --- Expiry without a webhook -------------------------------------------------------------------


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
                    order.stripe_session_id, options=_options(f"expire-{order.number}")
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
            checked, problem = _order_for_session(data)
            if checked is None:
                return _refused(problem)
            with transaction.atomic():
                return _card_authorise(order=checked, session=data)
    with transaction.atomic():
        try:
            return _expire_if_unpaid(order)
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
        status__in=[*_SETTLE_AT, *ORDER_ENDED],
    ).values_list("pk", flat=True)
    for order_id in pending:
        try:
            card_settle(order_id=order_id)
        except stripe.StripeError as error:
            log.warning("Settling order %s failed: %s", order_id, error)
            continue
        counts["settled"] += 1
    return counts
