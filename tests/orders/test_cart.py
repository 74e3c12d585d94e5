"""The cart: every change validated against minimum, step, availability and stock."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import CartLine
from tests.factories import CooperativeFactory, make_product
from tests.helpers import message_texts


@pytest.fixture
def yuca(db):
    return make_product(
        name="Yuca fresca",
        price_cop=2500,
        min_quantity=Decimal("1"),
        quantity_step=Decimal("0.5"),
        stock=Decimal("20"),
    )


def _add(client, product, quantity, url="orders:cart_add", **extra):
    return client.post(reverse(url), {"product": product.pk, "quantity": quantity, **extra}, follow=True)


def test_anonymous_visitor_adds_to_cart_and_sees_total(client, yuca):
    response = _add(client, yuca, "2,5")
    assert response.status_code == 200
    line = CartLine.objects.get()
    assert line.quantity == Decimal("2.5")
    page = client.get(reverse("orders:cart")).content.decode()
    assert "Yuca fresca" in page
    assert "$\xa06.250" in page


@pytest.mark.parametrize(
    "quantity",
    ["0", "-1", "abc", "", "1e9", "99999999", "NaN", "1.25", "0.5", "1.0001"],
)
def test_bad_quantities_are_refused_with_a_message_and_change_nothing(client, yuca, quantity):
    response = _add(client, yuca, quantity)
    assert response.status_code == 200
    assert message_texts(response), "the buyer must be told why"
    assert not CartLine.objects.exists()


def test_more_than_stock_is_refused_with_what_is_left(client, yuca):
    response = _add(client, yuca, "25")
    assert any("20" in m for m in message_texts(response))
    assert not CartLine.objects.exists()


def test_hidden_unavailable_and_unverified_products_cannot_be_added(client, db):
    hidden = make_product(name="Oculto", is_hidden=True)
    unavailable = make_product(name="Agotado", is_available=False)
    pending = make_product(CooperativeFactory(verification_status="pending"), name="Pendiente")
    for product in (hidden, unavailable, pending):
        response = _add(client, product, "1")
        assert message_texts(response)
    assert not CartLine.objects.exists()


def test_unknown_product_id_is_refused(client, db):
    response = client.post(reverse("orders:cart_add"), {"product": "999999", "quantity": "1"}, follow=True)
    assert message_texts(response)
    response = client.post(reverse("orders:cart_add"), {"product": "x; drop", "quantity": "1"}, follow=True)
    assert message_texts(response)
    assert not CartLine.objects.exists()


def test_price_in_the_form_is_ignored(client, yuca):
    _add(client, yuca, "2", price_cop="1")
    page = client.get(reverse("orders:cart")).content.decode()
    assert "$\xa05.000" in page


def test_change_and_remove_lines(client, yuca):
    _add(client, yuca, "2")
    _add(client, yuca, "3", url="orders:cart_update")
    assert CartLine.objects.get().quantity == Decimal("3")
    _add(client, yuca, "1.5")  # add increases
    assert CartLine.objects.get().quantity == Decimal("4.5")
    client.post(reverse("orders:cart_remove"), {"product": yuca.pk})
    assert not CartLine.objects.exists()


def test_cart_follows_the_buyer_when_she_signs_in(client, yuca, buyer):
    _add(client, yuca, "2")
    client.post(reverse("account_login"), {"login": buyer.email, "password": "clave-de-prueba-123"})
    line = CartLine.objects.get()
    assert line.cart.user == buyer
    assert "Yuca fresca" in client.get(reverse("orders:cart")).content.decode()


def test_cart_changes_need_post(client, yuca):
    assert client.get(reverse("orders:cart_add")).status_code == 405
