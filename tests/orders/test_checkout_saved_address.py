"""Checkout for an organisation: pick one of its saved delivery addresses instead of typing.

The order keeps a copy of the address text (label, address, municipality, instructions) as
it was when ordered. An address that is not one of the organisation she orders for (another
organisation's, one she is not a member of, one still pending) is refused with a form
error, and then nothing is written and no stock moves.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from catalog.models import Product
from cms.models import MarketStock
from market.models import DeliveryAddress, Municipality, OrganizationStatus
from market.selectors import delivery_address_text
from orders.models import CartLine, Order, OrderEvent
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.orders.factories import fill_cart, make_organization

CALI = "76001"
NOT_YOURS = "That saved address is not one of yours. Choose one from the list or write the address."


def _address(organization, label, address, *, code=CALI, instructions=""):
    return DeliveryAddress.objects.create(
        organization=organization,
        label=label,
        address=address,
        municipality=Municipality.objects.get(code=code),
        instructions=instructions,
    )


@pytest.fixture
def shop(db):
    cooperative = CooperativeFactory(name="Asociación Yuqueros", offers_delivery=True, delivery_fee_cop=5000)
    return make_product(cooperative, name="Yuca fresca", price_cop=2500, stock=Decimal("50"))


@pytest.fixture
def buyer(db):
    return UserFactory(email="compras@hotelribera.co")


@pytest.fixture
def hotel(buyer):
    hotel = make_organization(member=buyer, legal_name="Hotel Ribera del Pance")
    hotel.kitchen = _address(
        hotel,
        "Cocina principal",
        "Avenida 6N # 23-45",
        instructions="Recibo por la calle lateral, 6 a 10 a. m.",
    )
    hotel.bar = _address(hotel, "Bar de la piscina", "Avenida 6N # 23-45, piso 5")
    return hotel


@pytest.fixture
def others(buyer):
    """Addresses she must never use: another organisation's (she is not a member), one of
    her own organisation still pending approval, and one of her second approved organisation."""
    stranger_org = make_organization(member=UserFactory(), legal_name="Restaurante Ajeno")
    pending = make_organization(
        member=buyer, legal_name="Cafetería Pendiente", status=OrganizationStatus.PENDING
    )
    second = make_organization(member=buyer, legal_name="Club Campestre")
    return {
        "stranger": _address(stranger_org, "Cocina ajena", "Calle 1 # 1-1", instructions="SECRETO-AJENO"),
        "pending": _address(pending, "Cocina pendiente", "Calle 2 # 2-2"),
        "second": _address(second, "Cocina del club", "Vía Jamundí km 5"),
    }


def _checkout(client, **data):
    payload = {"buyer": "self", "delivery_method": "delivery", "payment_method": "cash"}
    payload.update(data)
    return client.post(reverse("orders:checkout"), payload)


def _nothing_written(product, stock=Decimal("50")):
    product.refresh_from_db()
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()
    assert product.stock == stock
    assert CartLine.objects.filter(product=product).exists()  # the cart is still there


def test_the_checkout_offers_the_organisations_saved_addresses(client, buyer, hotel, others, shop):
    fill_cart(buyer, [(shop, 2)])
    client.force_login(buyer)
    html = client.get(reverse("orders:checkout")).content.decode()
    assert 'name="saved_address"' in html and 'type="radio"' in html
    assert f'value="{hotel.kitchen.pk}"' in html and "Cocina principal" in html
    assert "Cocina del club" in html  # her other approved organisation, named per organisation
    assert "Hotel Ribera del Pance ·" in html
    assert 'name="delivery_address"' in html  # typing an address is still possible
    assert "Cocina ajena" not in html and "SECRETO-AJENO" not in html
    assert "Cocina pendiente" not in html


def test_a_household_sees_no_saved_address_field(client, shop):
    household = UserFactory()
    fill_cart(household, [(shop, 1)])
    client.force_login(household)
    html = client.get(reverse("orders:checkout")).content.decode()
    assert 'name="saved_address"' not in html


def test_ordering_with_a_saved_address_stores_its_text_at_that_moment(client, buyer, hotel, shop):
    fill_cart(buyer, [(shop, 2)])
    client.force_login(buyer)
    response = _checkout(client, buyer=str(hotel.pk), saved_address=str(hotel.kitchen.pk))
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert order.organization == hotel
    expected = (
        "Cocina principal: Avenida 6N # 23-45, Cali (Valle del Cauca). "
        "Recibo por la calle lateral, 6 a 10 a. m."
    )
    assert order.delivery_address == expected == delivery_address_text(hotel.kitchen)
    shop.refresh_from_db()
    assert shop.stock == Decimal("48")
    # Changing or removing the saved address later leaves the order as it was placed.
    hotel.kitchen.address = "Otra dirección"
    hotel.kitchen.save()
    hotel.kitchen.delete()
    order.refresh_from_db()
    assert order.delivery_address == expected


def test_a_saved_address_wins_over_typed_text_and_another_address_keeps_typing(client, buyer, hotel, shop):
    client.force_login(buyer)
    fill_cart(buyer, [(shop, 1)])
    _checkout(client, buyer=str(hotel.pk), saved_address=str(hotel.bar.pk), delivery_address="Texto escrito")
    fill_cart(buyer, [(shop, 1)])
    _checkout(client, buyer=str(hotel.pk), saved_address="", delivery_address="Carrera 100 # 5-169, Cali")
    first, second = Order.objects.order_by("pk")
    assert first.delivery_address.startswith("Bar de la piscina: Avenida 6N # 23-45, piso 5, Cali")
    assert second.delivery_address == "Carrera 100 # 5-169, Cali"


def test_a_long_saved_address_is_cut_to_what_the_order_holds(client, buyer, hotel, shop):
    """Label (80) + address (255) + place + instructions (255) can pass the order's 300
    characters, which PostgreSQL would refuse: the label goes, the instructions are cut."""
    hotel.kitchen.label = "L" * 80
    hotel.kitchen.address = "A" * 255
    hotel.kitchen.instructions = "I" * 255
    hotel.kitchen.save()
    fill_cart(buyer, [(shop, 1)])
    client.force_login(buyer)
    response = _checkout(client, buyer=str(hotel.pk), saved_address=str(hotel.kitchen.pk))
    assert response.status_code == 302
    text = Order.objects.get().delivery_address
    assert len(text) == 300 and text.endswith("I…")
    assert text.startswith("A" * 255 + ", Cali (Valle del Cauca). III")


def test_a_pickup_ignores_a_saved_address(client, buyer, hotel, shop):
    fill_cart(buyer, [(shop, 1)])
    client.force_login(buyer)
    response = _checkout(
        client, buyer=str(hotel.pk), delivery_method="pickup", saved_address=str(hotel.kitchen.pk)
    )
    assert response.status_code == 302
    assert Order.objects.get().delivery_address == ""


@pytest.mark.parametrize("which", ["stranger", "pending"])
def test_a_forged_address_id_is_refused_and_nothing_is_written(client, buyer, hotel, others, shop, which):
    fill_cart(buyer, [(shop, 2)])
    client.force_login(buyer)
    response = _checkout(client, buyer=str(hotel.pk), saved_address=str(others[which].pk))
    assert response.status_code == 400
    assert response.context["form"].errors["saved_address"] == [gettext(NOT_YOURS)]
    html = response.content.decode()
    assert "SECRETO-AJENO" not in html and "Cocina ajena" not in html
    _nothing_written(shop)


def test_an_id_that_exists_nowhere_is_refused(client, buyer, hotel, shop):
    fill_cart(buyer, [(shop, 2)])
    client.force_login(buyer)
    response = _checkout(client, buyer=str(hotel.pk), saved_address="999999")
    assert response.status_code == 400
    assert "saved_address" in response.context["form"].errors
    _nothing_written(shop)


def test_the_address_of_her_other_organisation_is_refused_with_its_name(client, buyer, hotel, others, shop):
    fill_cart(buyer, [(shop, 2)])
    client.force_login(buyer)
    response = _checkout(client, buyer=str(hotel.pk), saved_address=str(others["second"].pk))
    assert response.status_code == 400
    [error] = response.context["form"].errors["saved_address"]
    assert "Club Campestre" in error
    _nothing_written(shop)


def test_an_organisation_address_is_refused_when_she_orders_for_herself(client, buyer, hotel, shop):
    fill_cart(buyer, [(shop, 2)])
    client.force_login(buyer)
    response = _checkout(client, buyer="self", saved_address=str(hotel.kitchen.pk))
    assert response.status_code == 400
    [error] = response.context["form"].errors["saved_address"]
    assert "Hotel Ribera del Pance" in error
    _nothing_written(shop)


def test_a_household_posting_an_address_id_is_refused(client, hotel, shop):
    """No list is shown to her, but a posted id is still refused, not silently ignored."""
    household = UserFactory()
    fill_cart(household, [(shop, 2)])
    client.force_login(household)
    response = _checkout(client, saved_address=str(hotel.kitchen.pk), delivery_address="Calle 5")
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [gettext(NOT_YOURS)]
    assert "Cocina principal" not in response.content.decode()
    _nothing_written(shop)


def test_the_checkout_page_reads_every_saved_address_in_one_query(client, buyer, hotel, shop):
    """The addresses of all her organisations come in one query, whatever their number."""
    fill_cart(buyer, [(shop, 1)])
    client.force_login(buyer)
    url = reverse("orders:checkout")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        _address(hotel, f"Bodega {n}", f"Calle {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    assert sum("market_deliveryaddress" in q["sql"] for q in many.captured_queries) == 1


# --- The market checkout (cms.markets.checkout_form.MarketCheckoutForm subclasses CheckoutForm) ---


@pytest.fixture
def market(shop):
    return make_market(offers=[(shop, 3000, 20)], delivery_offered=True, delivery_fee_cop=4000)


def _market_basket(client, market, product, quantity="2"):
    client.post(market.url + "cesta/", {"product": product.pk, "quantity": quantity, "action": "add"})


def test_a_market_order_can_use_a_saved_address(client, buyer, hotel, shop, market):
    client.force_login(buyer)
    _market_basket(client, market, shop)
    html = client.get(market.url + "pedido/").content.decode()
    assert html.index('name="saved_address"') < html.index('name="delivery_address"')
    assert html.index('name="saved_address"') < html.index('name="payment_method"')
    response = client.post(
        market.url + "pedido/",
        {
            "buyer": str(hotel.pk),
            "delivery_method": "delivery",
            "saved_address": str(hotel.kitchen.pk),
            "payment_method": "cash",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert order.delivery_address == delivery_address_text(hotel.kitchen)
    assert order.organization == hotel


def test_a_market_order_with_a_forged_address_is_refused(client, buyer, hotel, others, shop, market):
    client.force_login(buyer)
    _market_basket(client, market, shop)
    response = client.post(
        market.url + "pedido/",
        {
            "buyer": str(hotel.pk),
            "delivery_method": "delivery",
            "saved_address": str(others["stranger"].pk),
            "payment_method": "cash",
        },
    )
    assert response.status_code == 400
    assert "SECRETO-AJENO" not in response.content.decode()
    assert not Order.objects.exists()
    assert MarketStock.objects.get(event=market, product=shop).sold == 0
    assert Product.objects.get(pk=shop.pk).stock == Decimal("50")
