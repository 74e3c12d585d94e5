"""Card checkout through Stripe Checkout, with the real `stripe` library and a local stub.

The card option exists only with a secret key; the session asks for a manual capture of
the order total in COP cents (pesos x 100) under a deterministic idempotency key.
"""

import http.client
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from orders.models import Order, OrderStatus, PaymentMethod
from tests.factories import UserFactory, make_product
from tests.orders.factories import fill_cart, place_order
from tests.orders.stripe_stub import (
    deliver,
    make_event,
    stripe_stub_fixture,  # noqa: F401  (the `stripe_stub` fixture)
)

CHECKOUT = {"buyer": "self", "delivery_method": "pickup", "payment_method": "card"}


@pytest.fixture
def buyer_client(client, household):
    client.force_login(household)
    return client


def test_card_option_hidden_without_a_secret_key(settings, buyer_client, household, seller_a):
    settings.STRIPE_SECRET_KEY = ""
    fill_cart(household, [(seller_a.product, 2)])
    response = buyer_client.get(reverse("orders:checkout"))
    assert response.status_code == 200
    values = [value for value, _label in response.context["form"].fields["payment_method"].choices]
    assert PaymentMethod.CARD not in values
    assert 'value="card"' not in response.content.decode()

    response = buyer_client.post(reverse("orders:checkout"), CHECKOUT)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_card_checkout_creates_a_manual_capture_session(stripe_stub, buyer_client, household, seller_a):
    fill_cart(household, [(seller_a.product, 10)])
    response = buyer_client.get(reverse("orders:checkout"))
    assert 'value="card"' in response.content.decode()

    response = buyer_client.post(reverse("orders:checkout"), CHECKOUT)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:pay_card", args=[order.number])
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.total_cop == 23_450
    assert Product.objects.get(pk=seller_a.product.pk).stock == Decimal("90")  # reserved

    page = buyer_client.get(response["Location"])
    assert page.status_code == 200
    assert "23.450" in page.content.decode()
    assert not stripe_stub.requests  # nothing sent to Stripe before the buyer presses Pay

    response = buyer_client.post(reverse("orders:pay_card", args=[order.number]))
    order.refresh_from_db()
    (call,) = stripe_stub.calls("/v1/checkout/sessions")
    assert response.status_code == 303
    assert response["Location"] == stripe_stub.sessions[order.stripe_session_id]["url"]
    assert call.idempotency_key == f"checkout-{order.number}"
    form = call.form
    assert form["line_items[0][price_data][unit_amount]"] == "2345000"  # pesos x 100
    assert form["line_items[0][price_data][currency]"] == "cop"
    assert form["line_items[0][quantity]"] == "1"
    assert form["payment_intent_data[capture_method]"] == "manual"
    assert form["payment_intent_data[metadata][order_number]"] == order.number
    assert form["metadata[order_number]"] == order.number
    assert form["client_reference_id"] == order.number
    assert form["payment_method_types[0]"] == "card"
    assert form["success_url"] == f"http://testserver{reverse('orders:pay_card_return', args=[order.number])}"
    assert form["cancel_url"] == f"http://testserver{reverse('orders:pay_card', args=[order.number])}"
    # Stripe needs 30 minutes at least; the order's window was stretched to match.
    assert int(form["expires_at"]) == int(order.payment_expires_at.timestamp())
    assert order.payment_expires_at >= timezone.now() + timedelta(minutes=30)

    # Pressing Pay again (back button, double click) reopens the same session.
    again = buyer_client.post(reverse("orders:pay_card", args=[order.number]))
    assert again.status_code == 303
    assert again["Location"] == response["Location"]
    assert len(stripe_stub.calls("/v1/checkout/sessions")) == 1


def test_a_retried_session_request_is_the_same_request(stripe_stub, household, seller_a):
    """Two requests for one order send identical parameters under one key: Stripe answers
    both with the same session."""
    from orders.payments import card_checkout

    order = place_order(household, [(seller_a.product, 4)], payment_method="card")
    urls = {
        card_checkout.card_checkout_start(order=order, success_url="http://t/ok/", cancel_url="http://t/no/"),
    }
    Order.objects.filter(pk=order.pk).update(stripe_session_id="")  # as if the first answer was lost
    urls.add(
        card_checkout.card_checkout_start(order=order, success_url="http://t/ok/", cancel_url="http://t/no/")
    )
    calls = stripe_stub.calls("/v1/checkout/sessions")
    assert len(calls) == 2
    assert calls[0].form == calls[1].form
    assert {c.idempotency_key for c in calls} == {f"checkout-{order.number}"}
    assert len(urls) == 1 and len(stripe_stub.sessions) == 1


def test_card_is_refused_above_the_stripe_limit(stripe_stub, buyer_client, household, seller_a):
    big = make_product(seller_a.cooperative, name="Café (bulto)", price_cop=500_000, stock=Decimal("5"))
    fill_cart(household, [(big, 2)])  # 1.000.000 pesos: above COP 999,999.99
    response = buyer_client.post(reverse("orders:checkout"), CHECKOUT)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].non_field_errors())
    assert "999.999" in errors
    assert not Order.objects.exists()
    assert Product.objects.get(pk=big.pk).stock == Decimal("5")
    assert not stripe_stub.requests


def test_pay_page_is_only_for_the_buyer(stripe_stub, client, household, seller_a):
    order = place_order(household, [(seller_a.product, 4)], payment_method="card")
    client.force_login(UserFactory())
    assert client.get(reverse("orders:pay_card", args=[order.number])).status_code == 404
    assert client.post(reverse("orders:pay_card", args=[order.number])).status_code == 404
    assert not stripe_stub.requests


def test_hosted_checkout_page_then_back_to_the_shop(
    stripe_stub, buyer_client, household, seller_a, django_capture_on_commit_callbacks
):
    """The stub's hosted page (used by the browser journey): Pay sends the buyer back to the
    success URL; the order changes only when the signed webhook arrives."""
    order = place_order(household, [(seller_a.product, 4)], payment_method="card")
    url = buyer_client.post(reverse("orders:pay_card", args=[order.number]))["Location"]
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path)
    page = connection.getresponse().read().decode()
    assert order.number in page and "938000 cop" in page
    connection.request("POST", parts.path + "/pay", body=b"")
    response = connection.getresponse()
    response.read()
    connection.close()
    back = reverse("orders:pay_card_return", args=[order.number])
    assert response.status == 303 and response.getheader("Location") == f"http://testserver{back}"

    waiting = buyer_client.get(back)
    assert waiting.context["waiting"] is True
    session = stripe_stub.sessions[Order.objects.get(pk=order.pk).stripe_session_id]
    with django_capture_on_commit_callbacks(execute=True):
        deliver(buyer_client, make_event("checkout.session.completed", session))
    assert buyer_client.get(back).context["waiting"] is False
    assert buyer_client.get(reverse("orders:pay_card", args=[order.number]))["Location"] == reverse(
        "orders:detail", args=[order.number]
    )
