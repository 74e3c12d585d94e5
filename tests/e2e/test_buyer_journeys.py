"""The buyer's journeys on a 390 px phone: a household finds a product, compares its price per
kilo, orders in a market and cancels with a confirmation; a hotel's buyer checks out with her
organisation, its address and its invoice terms already chosen.

Starting data only is made in Python; everything else goes through links, forms and buttons.
"""

import re
from decimal import Decimal

from playwright.sync_api import expect

from catalog.models import Category
from market.models import DeliveryAddress, Municipality
from orders.models import Order, OrderStatus
from tests.e2e.helpers import fits_the_phone, san_jose_market, sign_in, text
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.orders.factories import make_organization

ORDER_URL = re.compile(r"/pedidos/(?P<number>[^/]+)/$")


def test_household_finds_compares_orders_in_a_market_and_cancels_with_confirmation(phone):
    market, cachama, yuca = san_jose_market()
    arroba = make_product(
        yuca.cooperative,
        name="Yuca por arroba",
        unit="arroba",
        price_cop=20000,
        category=Category.objects.get(slug="yuca"),
        stock=Decimal("20"),
    )
    buyer = UserFactory(first_name="Marleny", email="marleny@example.org")
    sign_in(phone, buyer)

    # Finds it in the catalogue by its category, and compares the arroba with the kilo.
    phone.goto("/catalogo/")
    tabs = phone.locator("main nav.tabs")
    expect(tabs).to_contain_text("Tubérculos y raíces (2)")
    tabs.get_by_role("link", name=re.compile("Tubérculos y raíces")).click()
    phone.wait_for_url(re.compile(r"category=tuberculos-y-raices"))
    card = phone.locator("article.card", has=phone.locator("h3", has_text=arroba.name))
    expect(card.locator(".per-kilo")).to_have_text(re.compile(r"\$\s1\.600/kg"))
    assert fits_the_phone(phone)
    # "My cooperative" is not for her.
    expect(phone.locator('header nav a[href="/espacio/"]')).to_have_count(0)

    # Orders in the market.
    phone.goto(market.url)
    offer = phone.locator("article.card", has=phone.locator("h3", has_text="Yuca fresca"))
    offer.locator('input[name="quantity"]').fill("3")
    with phone.expect_navigation():
        offer.locator('button[type="submit"]').click()
    phone.locator('#cesta a[href$="/pedido/"]').click()
    phone.wait_for_url(re.compile(r"/pedido/$"))
    expect(phone.locator("section.rules")).to_contain_text("Antes de hacer su pedido")
    expect(phone.locator('input[name="purchase_order_number"]')).to_have_count(0)
    phone.locator('input[name="slot"]').first.check()
    with phone.expect_navigation():
        phone.locator('main form.stack button[type="submit"]').click()
    number = ORDER_URL.search(phone.url)["number"]

    # Cancels: the button opens a page that asks; "Yes" cancels.
    phone.locator("main a.button", has_text="Cancelar pedido").click()
    phone.wait_for_url(re.compile(r"/cancelar/$"))
    expect(phone.locator("h1")).to_have_text(f"¿Cancelar el pedido {number}?")
    assert Order.objects.get(number=number).status == OrderStatus.PLACED
    assert fits_the_phone(phone)
    with phone.expect_navigation():
        phone.locator("main button.danger").click()
    expect(phone.locator("ul.messages li.msg-success")).to_contain_text("cancelado")
    expect(phone.locator("p.order-state strong")).to_have_text("Cancelado")
    expect(phone.locator("main")).not_to_contain_text("Recibo")
    assert Order.objects.get(number=number).status == OrderStatus.CANCELLED
    assert fits_the_phone(phone)


def test_hotel_checks_out_with_its_organisation_address_and_terms_chosen(phone):
    cooperative = CooperativeFactory(
        name="Asociación Campesina del Anchicayá",
        offers_delivery=True,
        delivery_area="Cali",
        delivery_fee_cop=8000,
    )
    coffee = make_product(
        cooperative,
        name="Café pergamino seco (arroba)",
        unit="arroba",
        price_cop=240000,
        category=Category.objects.get(slug="cafe"),
        stock=Decimal("30"),
    )
    buyer = UserFactory(first_name="Claudia", email="hotel@minga.co")
    hotel = make_organization(
        member=buyer, legal_name="Hotel Río Cali SAS", credit_days=30, credit_limit_cop=5_000_000
    )
    kitchen = DeliveryAddress.objects.create(
        organization=hotel,
        label="Cocina principal",
        address="Avenida 2N # 10-20",
        municipality=Municipality.objects.get(code="76001"),
    )
    sign_in(phone, buyer)
    phone.goto(f"/catalogo/{cooperative.slug}/{coffee.slug}/")
    expect(phone.locator("p.price .per-kilo")).to_have_text(re.compile(r"\$\s19\.200/kg"))
    phone.locator('form[action="/cesta/agregar/"] input[name="quantity"]').fill("2")
    with phone.expect_navigation():
        phone.locator('form[action="/cesta/agregar/"] button[type="submit"]').click()
    phone.goto("/pedido/")

    expect(phone.locator('select[name="buyer"]')).to_have_value(str(hotel.pk))
    expect(phone.locator(f'input[name="saved_address"][value="{kitchen.pk}"]')).to_be_checked()
    expect(phone.locator('input[name="delivery_method"][value="delivery"]')).to_be_checked()
    expect(phone.locator('input[name="payment_method"][value="invoice"]')).to_be_checked()
    rules = text(phone.locator("section.rules").inner_text())
    assert "lleva a domicilio a Cali por $ 8.000" in rules, rules
    assert "total $ 488.000" in rules, rules
    assert fits_the_phone(phone)
    phone.locator('input[name="purchase_order_number"]').fill("OC-2031")
    with phone.expect_navigation():
        phone.locator('main form.stack button[type="submit"]').click()

    order = Order.objects.get(number=ORDER_URL.search(phone.url)["number"])
    assert (order.organization_id, order.payment_method, order.total_cop) == (hotel.pk, "invoice", 488000)
    assert order.delivery_address.startswith("Cocina principal")
    expect(phone.locator("main")).to_contain_text("Hotel Río Cali SAS")
    assert fits_the_phone(phone)
