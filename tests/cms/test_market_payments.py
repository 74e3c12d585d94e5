"""A card payment begun before a market closes and finished after it (cms.markets.channel).

The order, its market units and its pickup slot are taken when it is placed, which must
happen before `closes_at`. Its card payment is accepted when Stripe confirms it before
`closes_at + MINGA_CARD_PAYMENT_MINUTES`; later, the order expires, the units and the slot
go back, and the card hold is released (the PaymentIntent is cancelled, never captured).

The real `stripe` library talks to the local stub; webhooks are signed and posted to the
real endpoint. The clock is pinned with `time_machine` (the stub and the signature check
read the same pinned clock).
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from cms.models import MarketOrder, MarketStock, SlotUsage
from orders.models import Order, OrderStatus, PaymentStatus
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.orders.stripe_stub import (
    deliver,
    start_checkout,
    stripe_stub_fixture,  # noqa: F401  (the `stripe_stub` fixture)
)

T0 = datetime(2031, 3, 14, 12, 0, tzinfo=ZoneInfo("America/Bogota"))
CLOSES = T0 + timedelta(hours=6)
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def grace(settings) -> timedelta:
    return timedelta(minutes=settings.MINGA_CARD_PAYMENT_MINUTES)


@pytest.fixture
def event(clock, db):
    araza = make_product(
        CooperativeFactory(name="Frutos del Guaviare"), name="Arazá", price_cop=6000, stock=Decimal("100")
    )
    return make_market(offers=[(araza, 5000, 20)], opens_at=T0 - timedelta(days=1), closes_at=CLOSES)


@pytest.fixture
def card_order(clock, event, stripe_stub):
    """2 kg of arazá (10.000 pesos) by card, placed through the storefront one minute before
    the close; its Checkout Session is open at the stub."""
    clock.move_to(CLOSES - timedelta(minutes=1))
    buyer = UserFactory(email="compradora@example.org")
    client = Client()
    client.force_login(buyer)
    araza = event.offers.get().product
    client.post(event.url + "cesta/", {"product": araza.pk, "quantity": "2", "action": "add"})
    response = client.post(
        event.url + "pedido/",
        {
            "buyer": "self",
            "delivery_method": "pickup",
            "slot": event.slots.get().pk,
            "payment_method": "card",
        },
    )
    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302 and response["Location"] == reverse(
        "orders:pay_card", args=[order.number]
    )
    assert (order.status, order.total_cop) == (OrderStatus.AWAITING_PAYMENT, 10_000)
    start_checkout(order)
    order.refresh_from_db()
    assert _held(event) == (Decimal("2"), 1)
    return order


def _held(event) -> tuple[Decimal, int]:
    """(units of the offer sold, places of the slot taken)."""
    return MarketStock.objects.get(event=event).sold, SlotUsage.objects.get(slot=event.slots.get()).taken


def _pay_at(moment, clock, stripe_stub, order, capture):
    clock.move_to(moment)
    event = stripe_stub.pay(order.stripe_session_id)
    with capture(execute=True):
        response = deliver(Client(), event)
    assert response.status_code == 200, response.content
    return Order.objects.get(pk=order.pk), response.content.decode(), event


def test_a_card_payment_confirmed_after_the_close_but_within_the_window_places_the_order(
    clock, event, card_order, stripe_stub, grace, django_capture_on_commit_callbacks
):
    order, outcome, _paid = _pay_at(
        CLOSES + grace - SECOND, clock, stripe_stub, card_order, django_capture_on_commit_callbacks
    )
    assert outcome == "placed"
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.AUTHORISED)
    assert order.authorised_cop == 10_000
    assert _held(event) == (Decimal("2"), 1), "units and slot stay with the order"
    assert not stripe_stub.calls("/cancel") and not stripe_stub.calls("/capture")
    assert [m.to for m in mail.outbox] == [[order.buyer.email]]
    assert order.number in mail.outbox[0].subject


def test_a_card_payment_confirmed_after_the_window_expires_the_order_and_releases_the_hold(
    clock, event, card_order, stripe_stub, grace, django_capture_on_commit_callbacks
):
    assert card_order.payment_expires_at > CLOSES + grace + SECOND, "the order's own window is still open"
    order, outcome, paid = _pay_at(
        CLOSES + grace + SECOND, clock, stripe_stub, card_order, django_capture_on_commit_callbacks
    )
    assert outcome.startswith("authorised too late")
    assert order.status == OrderStatus.EXPIRED
    assert order.payment_status == PaymentStatus.UNPAID, "the authorisation was released"
    assert _held(event) == (Decimal("0"), 0), "units and slot went back"
    assert MarketOrder.objects.get(order=order).slot_released_at is not None
    (cancel,) = stripe_stub.calls("/cancel")
    assert cancel.path == f"/v1/payment_intents/{order.stripe_payment_intent_id}/cancel"
    assert cancel.idempotency_key == f"cancel-{order.number}"
    assert stripe_stub.intents[order.stripe_payment_intent_id]["status"] == "canceled"
    assert not stripe_stub.calls("/capture")
    # Nothing was placed: no confirmation, only that the order expired.
    assert [m.subject for m in mail.outbox] == [f"[Minga] Su pedido {order.number} venció"]

    # Stripe delivers the same event again: nothing moves twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(Client(), paid).content == b"duplicate"
    assert _held(event) == (Decimal("0"), 0)
    assert len(stripe_stub.calls("/cancel")) == 1
