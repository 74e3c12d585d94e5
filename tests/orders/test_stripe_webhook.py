"""The Stripe webhook: signed with the real library, stored once, checked before acting.

Refused with 400: a wrong secret, a changed body, a stale timestamp, no signature.
Acknowledged with 200 and no change: a replay (even five at once), another amount,
currency or order. `checkout.session.completed` places the order (AUTHORISED) and sends
the placement e-mails once; `checkout.session.expired` gives the stock back once.
"""

import copy
import json
import time
from decimal import Decimal

import pytest
import stripe
from django.core import mail
from django.test import Client

from catalog.models import Product
from orders.models import Order, OrderEvent, OrderStatus, PaymentStatus, StripeEvent
from tests.helpers import race, stock
from tests.orders.factories import place_order
from tests.orders.stripe_stub import (
    WEBHOOK_SECRET,
    deliver,
    make_event,
    start_checkout,
    stripe_stub_fixture,  # noqa: F401  (the `stripe_stub` fixture)
)


def _snapshot(order) -> dict:
    order = Order.objects.get(pk=order.pk)
    return {
        "order": (order.status, order.payment_status, order.authorised_cop, order.paid_cop),
        "events": OrderEvent.objects.filter(order=order).count(),
        "stripe_events": StripeEvent.objects.count(),
        "stock": list(Product.objects.order_by("pk").values_list("stock", flat=True)),
        "mail": len(mail.outbox),
    }


@pytest.fixture
def card_order(stripe_stub, household, seller_a):
    """10 kg of cassava (23.450 pesos) by card, its Checkout Session open at the stub."""
    order = place_order(household, [(seller_a.product, 10)], payment_method="card")
    start_checkout(order)
    order.refresh_from_db()
    return order


def test_completed_session_places_the_order_and_sends_the_emails_once(
    client, stripe_stub, card_order, seller_a, django_capture_on_commit_callbacks
):
    event = stripe_stub.pay(card_order.stripe_session_id)
    assert event["data"]["object"]["payment_status"] == "paid"
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, event)
    assert response.status_code == 200
    order = Order.objects.get(pk=card_order.pk)
    assert order.status == OrderStatus.PLACED
    assert order.payment_status == PaymentStatus.AUTHORISED
    assert order.authorised_cop == 23_450 and order.paid_cop == 0
    assert order.stripe_payment_intent_id == event["data"]["object"]["payment_intent"]
    assert stock(seller_a.product) == Decimal("90"), "the reservation stays"
    assert [m.to for m in mail.outbox] == [[order.buyer.email], [seller_a.manager.email]]
    assert order.number in mail.outbox[0].subject
    assert list(
        OrderEvent.objects.filter(order=order).values_list("from_status", "to_status").order_by("pk")
    ) == [("", "awaiting_payment"), ("unpaid", "authorised"), ("awaiting_payment", "placed")]
    assert not stripe_stub.calls("/v1/payment_intents"), "nothing is captured at checkout"


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "changed body", "stale timestamp", "no signature", "not json"],
)
def test_forged_changed_and_stale_webhooks_are_refused(client, stripe_stub, card_order, forgery):
    event = stripe_stub.pay(card_order.stripe_session_id)
    before = _snapshot(card_order)
    payload = json.dumps(event)
    if forgery == "wrong secret":
        response = deliver(client, event, secret="whsec_someone_else")
    elif forgery == "changed body":
        changed = copy.deepcopy(event)
        changed["data"]["object"]["amount_total"] = 100
        response = deliver(client, payload, body=json.dumps(changed))
    elif forgery == "stale timestamp":
        response = deliver(client, payload, timestamp=int(time.time()) - 600)
    elif forgery == "no signature":
        response = client.post("/pagos/stripe/webhook/", data=payload, content_type="application/json")
    else:
        response = deliver(client, "not json {")
    assert response.status_code == 400
    assert _snapshot(card_order) == before


def test_webhook_accepts_only_post(db, client, stripe_stub):
    assert client.get("/pagos/stripe/webhook/").status_code == 405


def test_a_replayed_event_changes_the_order_once(
    client, stripe_stub, card_order, django_capture_on_commit_callbacks
):
    event = stripe_stub.pay(card_order.stripe_session_id)
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, event).status_code == 200
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert OrderEvent.objects.filter(order=card_order, to_status=OrderStatus.PLACED).count() == 1
    assert len([m for m in mail.outbox if m.to == [card_order.buyer.email]]) == 1
    # The same session reported again under another event id changes nothing either.
    again = make_event("checkout.session.completed", event["data"]["object"])
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, again).status_code == 200
    assert OrderEvent.objects.filter(order=card_order, to_status=PaymentStatus.AUTHORISED).count() == 1
    assert len([m for m in mail.outbox if m.to == [card_order.buyer.email]]) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount_total", 2_345_000 - 100),  # one peso less
        ("amount_total", 23_450),  # pesos instead of pesos x 100
        ("currency", "usd"),
        ("client_reference_id", "MG-NOTHERE"),
        ("metadata", {"order_number": "MG-OTHER"}),
    ],
)
def test_an_event_that_does_not_match_the_order_changes_nothing(
    client, stripe_stub, card_order, field, value, django_capture_on_commit_callbacks
):
    """Signed, so it is acknowledged (200) and stored; logged, and nothing changes."""
    event = stripe_stub.pay(card_order.stripe_session_id)
    event["data"]["object"][field] = value
    before = _snapshot(card_order)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, event)
    assert response.status_code == 200
    assert response.content.decode().startswith("ignored")
    after = _snapshot(card_order)
    assert after.pop("stripe_events") == before.pop("stripe_events") + 1
    assert after == before


def test_a_session_completed_but_unpaid_waits(client, stripe_stub, card_order):
    event = stripe_stub.pay(card_order.stripe_session_id)
    event["data"]["object"]["payment_status"] = "unpaid"
    before = _snapshot(card_order)
    assert deliver(client, event).status_code == 200
    after = _snapshot(card_order)
    after.pop("stripe_events"), before.pop("stripe_events")
    assert after == before


def test_expired_session_expires_the_order_and_returns_stock_once(
    client, stripe_stub, card_order, seller_a, django_capture_on_commit_callbacks
):
    assert stock(seller_a.product) == Decimal("90")
    event = stripe_stub.expire(card_order.stripe_session_id)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, event).status_code == 200
    again = make_event("checkout.session.expired", event["data"]["object"])
    assert deliver(client, again).status_code == 200
    order = Order.objects.get(pk=card_order.pk)
    assert order.status == OrderStatus.EXPIRED
    assert order.payment_status == PaymentStatus.UNPAID
    assert stock(seller_a.product) == Decimal("100")
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.EXPIRED).count() == 1
    # Nothing was ever placed: no "we received your order", only that it expired, once.
    assert [m.subject for m in mail.outbox] == [f"[Minga] Su pedido {order.number} venció"]


def test_an_old_session_expiring_does_not_touch_the_order(client, stripe_stub, card_order, seller_a):
    event = stripe_stub.expire(card_order.stripe_session_id)
    event["data"]["object"]["id"] = "cs_test_someother"
    assert deliver(client, event).status_code == 200
    assert Order.objects.get(pk=card_order.pk).status == OrderStatus.AWAITING_PAYMENT
    assert stock(seller_a.product) == Decimal("90")


def test_a_payment_completed_after_expiry_is_released(
    client, stripe_stub, card_order, seller_a, django_capture_on_commit_callbacks
):
    """The buyer paid at the last second but the order had already expired (stock back):
    the authorisation is cancelled, never captured, and the order stays expired."""
    from orders.payments import card_expiry

    session_id = card_order.stripe_session_id
    Order.objects.filter(pk=card_order.pk).update(stripe_session_id="")  # as if it never reached us
    with django_capture_on_commit_callbacks(execute=True):
        assert card_expiry.card_order_expire(order=Order.objects.get(pk=card_order.pk)) == "expired"
    assert stock(seller_a.product) == Decimal("100")
    event = stripe_stub.pay(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event).status_code == 200
    order = Order.objects.get(pk=card_order.pk)
    (cancel,) = stripe_stub.calls("/cancel")
    assert cancel.path == f"/v1/payment_intents/{order.stripe_payment_intent_id}/cancel"
    assert cancel.idempotency_key == f"cancel-{order.number}"
    assert order.status == OrderStatus.EXPIRED
    assert order.payment_status == PaymentStatus.UNPAID
    assert stock(seller_a.product) == Decimal("100")
    assert not stripe_stub.calls("/capture")


def test_async_payment_failed_cancels_the_order(
    client, stripe_stub, card_order, seller_a, django_capture_on_commit_callbacks
):
    session = dict(stripe_stub.sessions[card_order.stripe_session_id], status="complete")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            deliver(client, make_event("checkout.session.async_payment_failed", session)).status_code == 200
        )
    order = Order.objects.get(pk=card_order.pk)
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)
    assert stock(seller_a.product) == Decimal("100")


def test_async_payment_succeeded_places_the_order(
    client, stripe_stub, card_order, django_capture_on_commit_callbacks
):
    session = dict(
        stripe_stub.sessions[card_order.stripe_session_id], status="complete", payment_status="paid"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, make_event("checkout.session.async_payment_succeeded", session))
    order = Order.objects.get(pk=card_order.pk)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.AUTHORISED)


def test_unknown_event_types_are_acknowledged(db, client, stripe_stub):
    response = deliver(client, make_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert StripeEvent.objects.filter(type="customer.created").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_five_concurrent_replays_change_the_order_exactly_once(stripe_stub, household, seller_a):
    order = place_order(household, [(seller_a.product, 10)], payment_method="card")
    start_checkout(order)
    order.refresh_from_db()
    event = stripe_stub.pay(order.stripe_session_id)
    payload = json.dumps(event)

    def post():
        header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        return (
            Client()
            .post(
                "/pagos/stripe/webhook/",
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            .status_code
        )

    outcomes, errors = race(post, times=5)
    statuses = [status for _call, status in outcomes]
    assert errors == []
    assert statuses == [200] * 5
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.AUTHORISED)
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.PLACED).count() == 1
    assert OrderEvent.objects.filter(order=order, to_status=PaymentStatus.AUTHORISED).count() == 1
    assert len([m for m in mail.outbox if m.to == [household.email]]) == 1
