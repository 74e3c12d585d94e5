"""Checkout says its rules before she submits, starts an organisation's order with its own
name, address and terms, and asks for a purchase order or an address only when they apply."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from market.models import DeliveryAddress, Municipality
from orders.models import Order
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.orders.factories import fill_cart, make_organization

NBSP = "\N{NO-BREAK SPACE}"


def _rules(html: str) -> str:
    section = html.split('<section class="rules"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"[ \t\n]+", " ", section)  # not str.split(), which also eats the no-break space


def _checked(html: str, name: str) -> list[str]:
    """The chosen value(s) of a radio list or a select."""
    radios = re.findall(rf'name="{name}" value="([^"]*)"[^>]*checked', html)
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    options = re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0)) if select else []
    return radios + options


@pytest.fixture
def delivering(db):
    coop = CooperativeFactory(
        name="Yuqueros",
        offers_delivery=True,
        delivery_area="Cali",
        delivery_fee_cop=5000,
        free_delivery_from_cop=100000,
        min_order_cop=20000,
    )
    return make_product(coop, name="Yuca fresca", price_cop=2500, stock=Decimal("100"))


@pytest.fixture
def pickup_only(db):
    coop = CooperativeFactory(name="Apícola", offers_delivery=False, pickup_address="Vereda El Retiro")
    return make_product(coop, name="Miel", unit="litro", price_cop=30000, stock=Decimal("10"))


def test_the_rules_the_fee_the_receipt_and_the_totals_come_before_the_button(delivering, client):
    buyer = UserFactory()
    fill_cart(buyer, [(delivering, "10")])  # 25.000
    client.force_login(buyer)
    html = client.get(reverse("orders:checkout")).content.decode()
    rules = _rules(html)
    assert html.index('<section class="rules"') < html.index('type="submit">Hacer el pedido')
    assert f"Yuqueros pide un pedido mínimo de ${NBSP}20.000." in rules
    assert f"Yuqueros lleva a domicilio a Cali por ${NBSP}5.000. Gratis desde ${NBSP}100.000." in rules
    assert f"<strong>Recogida</strong>: sin costo adicional, total <strong>${NBSP}25.000</strong>" in rules
    assert f"domicilio de ${NBSP}5.000, total <strong>${NBSP}30.000</strong>" in rules
    assert "recibo" in rules


def test_a_basket_below_the_minimum_says_what_is_missing(delivering, client):
    buyer = UserFactory()
    fill_cart(buyer, [(delivering, "4")])  # 10.000 of 20.000
    client.force_login(buyer)
    rules = _rules(client.get(reverse("orders:checkout")).content.decode())
    assert f"Le faltan ${NBSP}10.000." in rules


def test_a_basket_nobody_delivers_asks_for_no_address(pickup_only, client):
    buyer = UserFactory()
    fill_cart(buyer, [(pickup_only, "1")])
    client.force_login(buyer)
    html = client.get(reverse("orders:checkout")).content.decode()
    assert 'name="delivery_address"' not in html and 'value="delivery"' not in html
    assert "Apícola no lleva a domicilio" in _rules(html)
    assert "Recogida en Apícola: Vereda El Retiro." in _rules(html)
    # A forged delivery post is refused, and nothing is ordered.
    response = client.post(
        reverse("orders:checkout"),
        {
            "buyer": "self",
            "delivery_method": "delivery",
            "delivery_address": "Calle 1",
            "payment_method": "cash",
        },
    )
    assert response.status_code == 400 and not Order.objects.exists()


def test_a_household_has_no_purchase_order_and_her_choice_fits_everyone(delivering, client):
    buyer = UserFactory()
    fill_cart(buyer, [(delivering, "10")])
    client.force_login(buyer)
    html = client.get(reverse("orders:checkout")).content.decode()
    assert 'name="purchase_order_number"' not in html
    assert "A mi nombre" in html and "Yo mismo" not in html
    assert _checked(html, "buyer") == ["self"] and _checked(html, "payment_method") == ["cash"]
    # The address waits behind "Delivery address" until delivery is chosen.
    assert '<details class="delivery-fields">' in html


def test_an_organisation_starts_with_its_name_address_and_invoice_terms(delivering, client):
    buyer = UserFactory()
    hotel = make_organization(
        member=buyer, legal_name="Hotel Ribera", credit_days=30, credit_limit_cop=500000
    )
    kitchen = DeliveryAddress.objects.create(
        organization=hotel,
        label="Cocina",
        address="Avenida 6N # 23-45",
        municipality=Municipality.objects.get(code="76001"),
    )
    fill_cart(buyer, [(delivering, "10")])
    client.force_login(buyer)
    html = client.get(reverse("orders:checkout")).content.decode()
    assert _checked(html, "buyer") == [str(hotel.pk)]
    assert _checked(html, "saved_address") == [str(kitchen.pk)]
    assert _checked(html, "delivery_method") == ["delivery"]
    assert _checked(html, "payment_method") == ["invoice"]
    assert 'name="purchase_order_number"' in html
    assert '<details class="delivery-fields" open>' in html

    response = client.post(
        reverse("orders:checkout"),
        {
            "buyer": str(hotel.pk),
            "delivery_method": "delivery",
            "saved_address": str(kitchen.pk),
            "payment_method": "invoice",
            "purchase_order_number": "OC-77",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert (order.organization, order.payment_method, order.purchase_order_number) == (
        hotel,
        "invoice",
        "OC-77",
    )
    assert order.delivery_address.startswith("Cocina: Avenida 6N # 23-45")
    assert order.delivery_fee_cop == 5000


def test_a_purchase_order_typed_for_a_personal_order_is_dropped(delivering, client):
    buyer = UserFactory()
    make_organization(member=buyer)
    fill_cart(buyer, [(delivering, "10")])
    client.force_login(buyer)
    client.post(
        reverse("orders:checkout"),
        {
            "buyer": "self",
            "delivery_method": "pickup",
            "payment_method": "cash",
            "purchase_order_number": "OC-1",
        },
    )
    assert Order.objects.get().purchase_order_number == ""


def test_a_markets_checkout_says_its_delivery_rules(delivering, client):
    event = make_market(
        offers=[(delivering, 2000, 50)],
        delivery_offered=True,
        delivery_fee_cop=6000,
        delivery_min_order_cop=30000,
    )
    buyer = UserFactory()
    client.force_login(buyer)
    client.post(event.url + "cesta/", {"product": delivering.pk, "quantity": "5", "action": "add"})
    html = client.get(event.url + "pedido/").content.decode()
    rules = _rules(html)
    assert "El mercado lleva a domicilio los productos de todas las cooperativas" in rules
    assert f"El domicilio es para pedidos desde ${NBSP}30.000." in rules
    assert f"Le faltan ${NBSP}20.000." in rules  # 5 kg at 2.000
    assert f"total <strong>${NBSP}10.000</strong>" in rules  # pickup
