"""After fulfilment the card is charged for what was delivered, never more than authorised;
a cancelled order releases the hold; a lower total after capture is refunded. Unpaid card
orders expire on time even when no webhook comes (`manage.py expire_card_orders`)."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from orders import services, transitions
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderEvent, OrderStatus, PaymentStatus
from orders.payments import card_expiry, card_settle
from tests.helpers import stock
from tests.orders.factories import place_order
from tests.orders.stripe_stub import (
    authorise,
    deliver,
    make_event,
    start_checkout,
    stripe_stub_fixture,  # noqa: F401  (the `stripe_stub` fixture)
)


@pytest.fixture
def authorised_order(client, stripe_stub, household, seller_a, django_capture_on_commit_callbacks):
    """10 kg of cassava (23.450 pesos) by card, authorised by a signed webhook."""
    order = place_order(household, [(seller_a.product, 10)], payment_method="card")
    authorise(client, stripe_stub, order, django_capture_on_commit_callbacks)
    assert (order.status, order.payment_status, order.authorised_cop) == ("placed", "authorised", 23_450)
    return order


def _deliver_everything(order, seller, callbacks, *, delivered: str | None = None):
    fulfilment = Fulfilment.objects.get(order=order, cooperative=seller.cooperative)
    actor = seller.manager
    with callbacks(execute=True):
        transitions.fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.CONFIRMED, actor=actor)
        if delivered is not None:
            services.line_record_delivery(
                line=fulfilment.lines.get(), delivered_quantity=delivered, actor=actor
            )
        transitions.fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.READY, actor=actor)
        transitions.fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.HANDED_OVER, actor=actor)
    order.refresh_from_db()
    return order


def test_delivery_captures_the_lower_final_total(
    stripe_stub, authorised_order, seller_a, django_capture_on_commit_callbacks
):
    order = _deliver_everything(
        authorised_order, seller_a, django_capture_on_commit_callbacks, delivered="8.5"
    )
    assert order.status == OrderStatus.DELIVERED
    assert order.total_cop == 19_933  # 8.5 kg x 2.345, rounded half-up
    (capture,) = stripe_stub.calls("/capture")
    assert capture.path == f"/v1/payment_intents/{order.stripe_payment_intent_id}/capture"
    assert capture.form == {"amount_to_capture": "1993300"}  # pesos x 100
    assert int(capture.form["amount_to_capture"]) <= order.authorised_cop * 100
    assert capture.idempotency_key == f"capture-{order.number}-1993300"
    assert (order.payment_status, order.paid_cop, order.refunded_cop) == (PaymentStatus.PAID, 19_933, 0)
    assert stripe_stub.intents[order.stripe_payment_intent_id]["amount_received"] == 1_993_300

    # Settling again (a retried task, the periodic command) sends nothing new.
    assert card_settle.card_settle(order_id=order.pk) == "nothing to refund"
    call_command("expire_card_orders", stdout=StringIO())
    assert len(stripe_stub.calls("/capture")) == 1


def test_capture_never_exceeds_the_authorisation(
    stripe_stub, authorised_order, seller_a, django_capture_on_commit_callbacks
):
    order = _deliver_everything(
        authorised_order, seller_a, django_capture_on_commit_callbacks, delivered="12"
    )
    assert order.total_cop == 28_140
    (capture,) = stripe_stub.calls("/capture")
    assert capture.form == {"amount_to_capture": "2345000"}
    assert (order.payment_status, order.paid_cop) == (PaymentStatus.PAID, 23_450)
    assert OrderEvent.objects.filter(order=order, reason__contains="4.690").exists(), "the rest is noted"


def test_nothing_delivered_releases_the_hold(
    stripe_stub, authorised_order, seller_a, django_capture_on_commit_callbacks
):
    order = _deliver_everything(authorised_order, seller_a, django_capture_on_commit_callbacks, delivered="0")
    assert order.total_cop == 0
    assert not stripe_stub.calls("/capture")
    (cancel,) = stripe_stub.calls("/cancel")
    assert cancel.idempotency_key == f"cancel-{order.number}"
    assert order.payment_status == PaymentStatus.UNPAID


def test_cancelling_after_authorisation_releases_the_hold(
    stripe_stub, authorised_order, seller_a, household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel_by_buyer(order=authorised_order, buyer=household)
    order = Order.objects.get(pk=authorised_order.pk)
    (cancel,) = stripe_stub.calls("/cancel")
    assert cancel.path == f"/v1/payment_intents/{order.stripe_payment_intent_id}/cancel"
    assert cancel.idempotency_key == f"cancel-{order.number}"
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.UNPAID)
    assert stripe_stub.intents[order.stripe_payment_intent_id]["status"] == "canceled"
    assert stock(seller_a.product) == Decimal("100")


def test_cancelling_while_paying_closes_the_session(
    stripe_stub, household, seller_a, django_capture_on_commit_callbacks
):
    order = place_order(household, [(seller_a.product, 4)], payment_method="card")
    session_id = start_checkout(order)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel_by_buyer(order=order, buyer=household)
    (expire,) = stripe_stub.calls("/expire")
    assert expire.path == f"/v1/checkout/sessions/{session_id}/expire"
    assert expire.idempotency_key == f"expire-{order.number}"
    assert stripe_stub.sessions[session_id]["status"] == "expired"
    assert stock(seller_a.product) == Decimal("100")


def test_a_lower_total_after_capture_is_refunded_once(
    client, stripe_stub, authorised_order, seller_a, django_capture_on_commit_callbacks
):
    order = _deliver_everything(authorised_order, seller_a, django_capture_on_commit_callbacks)
    assert order.paid_cop == 23_450
    # Staff correct the bill afterwards (a returned crate): 3.450 pesos less.
    Order.objects.filter(pk=order.pk).update(subtotal_cop=20_000, total_cop=20_000)
    assert card_settle.card_settle(order_id=order.pk) == "refunded 3450"
    assert card_settle.card_settle(order_id=order.pk) == "nothing to refund"
    (refund,) = stripe_stub.calls("/v1/refunds")
    assert refund.form == {"payment_intent": order.stripe_payment_intent_id, "amount": "345000"}
    assert refund.idempotency_key == f"refund-{order.number}-345000"
    order.refresh_from_db()
    assert (order.payment_status, order.paid_cop, order.refunded_cop) == (PaymentStatus.PAID, 23_450, 3_450)

    # Stripe then reports the refund: already recorded, nothing changes.
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 2_345_000,
        "amount_captured": 2_345_000,
        "amount_refunded": 345_000,
        "refunded": False,
        "currency": "cop",
        "payment_intent": order.stripe_payment_intent_id,
    }
    assert deliver(client, make_event("charge.refunded", charge)).content == b"nothing new"
    # A full refund made in the Stripe Dashboard.
    charge.update(amount_refunded=2_345_000, refunded=True)
    assert deliver(client, make_event("charge.refunded", charge)).status_code == 200
    order.refresh_from_db()
    assert (order.payment_status, order.refunded_cop) == (PaymentStatus.REFUNDED, 23_450)


def test_a_refund_in_another_currency_is_ignored(
    client, stripe_stub, authorised_order, seller_a, django_capture_on_commit_callbacks
):
    order = _deliver_everything(authorised_order, seller_a, django_capture_on_commit_callbacks)
    charge = {
        "object": "charge",
        "amount": 2_345_000,
        "amount_captured": 2_345_000,
        "amount_refunded": 2_345_000,
        "refunded": True,
        "currency": "usd",
        "payment_intent": order.stripe_payment_intent_id,
    }
    assert deliver(client, make_event("charge.refunded", charge)).status_code == 200
    order.refresh_from_db()
    assert (order.payment_status, order.refunded_cop) == (PaymentStatus.PAID, 0)


def test_expire_command_releases_unpaid_card_orders_once(
    stripe_stub, household, seller_a, django_capture_on_commit_callbacks
):
    abandoned = place_order(household, [(seller_a.product, 4)], payment_method="card")  # never opened
    with_session = place_order(household, [(seller_a.product, 6)], payment_method="card")
    session_id = start_checkout(with_session)
    paid_late = place_order(household, [(seller_a.product, 8)], payment_method="card")
    paid_session = start_checkout(paid_late)
    stripe_stub.pay(paid_session)  # the buyer paid; its webhook is lost
    assert stock(seller_a.product) == Decimal("82")

    out = StringIO()
    call_command("expire_card_orders", stdout=out)  # nothing is due yet
    assert "expired 0" in out.getvalue()
    assert not stripe_stub.calls(method="GET")

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("expire_card_orders", stdout=out)
        assert "expired 2, authorised 1" in out.getvalue()
        statuses = dict(Order.objects.values_list("pk", "status"))
        assert statuses == {
            abandoned.pk: OrderStatus.EXPIRED,
            with_session.pk: OrderStatus.EXPIRED,
            paid_late.pk: OrderStatus.PLACED,
        }
        assert stripe_stub.sessions[session_id]["status"] == "expired", "it can no longer be paid"
        assert stock(seller_a.product) == Decimal("92")

        before = list(OrderEvent.objects.values_list("pk", flat=True))
        requests = len(stripe_stub.requests)
        call_command("expire_card_orders", stdout=StringIO())
        assert list(OrderEvent.objects.values_list("pk", flat=True)) == before
        assert len(stripe_stub.requests) == requests
        assert stock(seller_a.product) == Decimal("92")


def test_expire_command_waits_when_stripe_cannot_be_reached(settings, stripe_stub, household, seller_a):
    order = place_order(household, [(seller_a.product, 4)], payment_method="card")
    start_checkout(order)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert card_expiry.card_orders_expire()["skipped"] == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
