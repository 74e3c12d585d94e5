"""With JavaScript switched off in the browser, on a phone, a visitor still browses, searches,
fills a cart, signs in and orders: in the catalogue and in an open market (issue 5: "no
JavaScript needed to browse, add to the cart and check out").

Every step goes through links and plain HTML forms, pressed as a visitor would; the visitor
starts anonymous and signs in on the real login page when checkout asks for it. The last
page of each journey is saved as a screenshot in `test-artifacts/e2e/` (`_page` in the
conftest does it).
"""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Category
from market.models import Municipality
from orders.models import Order
from tests.cms.factories import make_market, pickup_point
from tests.e2e.conftest import PHONE_OPTIONS, _page
from tests.factories import DEMO_PASSWORD, CooperativeFactory, UserFactory, make_product

ORDER_URL = re.compile(r"/pedidos/(?P<number>[^/]+)/$")
LOGIN_URL = re.compile(r"/cuenta/login/\?next=")


@pytest.fixture
def phone(request, browser, e2e_server):
    """A phone with JavaScript switched off (shadows the conftest's `phone`)."""
    yield from _page(request, browser, e2e_server, "phone", java_script_enabled=False, **PHONE_OPTIONS)


def _no_script_ran(page) -> None:
    """The page carries no script, and the browser would not have run one anyway."""
    expect(page.locator("script")).to_have_count(0)
    expect(page.locator("noscript")).to_have_count(0)


def _sign_in_when_asked(page, user) -> None:
    """Checkout sent the visitor to the login page: sign in there and come back."""
    page.wait_for_url(LOGIN_URL)
    _no_script_ran(page)
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(r"/pedido/$"))


def _place_order(page) -> str:
    """Cash, then Place order; the order's number from the confirmation's URL."""
    _no_script_ran(page)
    page.locator('input[name="payment_method"][value="cash"]').check()
    with page.expect_navigation():
        page.locator('main form.stack button[type="submit"]').click()
    match = ORDER_URL.search(page.url)
    assert match, page.url
    number = match["number"]
    expect(page.locator("ul.messages li.msg-success")).to_contain_text(number)
    expect(page.locator("h1")).to_contain_text(number)
    return number


def test_catalogue_search_cart_login_and_cash_order_without_javascript(phone):
    coffee_growers = CooperativeFactory(
        name="Cafeteros de la Sierra", slug="cafeteros", pickup_address="Trilladora, vereda Alto Bonito"
    )
    make_product(
        coffee_growers,
        name="Café pergamino",
        category=Category.objects.get(slug="cafe"),
        price_cop=12500,
        stock=Decimal("50"),
    )
    make_product(coffee_growers, name="Yuca fresca", price_cop=1800, stock=Decimal("200"))
    buyer = UserFactory(first_name="Rosa", last_name="Pérez", email="rosa@example.org")

    # Home, then the catalogue through the header's link.
    phone.goto("/")
    _no_script_ran(phone)
    phone.locator('header nav a[href="/catalogo/"]').click()
    phone.wait_for_url(re.compile(r"/catalogo/$"))
    expect(phone.locator("article.card")).to_have_count(2)

    # A search, sent by the browser's own form submission (Enter in the search box).
    with phone.expect_navigation():
        phone.locator('main input[name="q"]').first.fill("pergamino")
        phone.locator('main input[name="q"]').first.press("Enter")
    assert "q=pergamino" in phone.url
    cards = phone.locator("article.card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Café pergamino")

    # The product's page, and Add to cart with 2 kg.
    cards.get_by_role("link").first.click()
    phone.wait_for_url(re.compile(r"/catalogo/[\w-]+/[\w-]+/$"))
    expect(phone.locator("h1")).to_have_text("Café pergamino")
    _no_script_ran(phone)
    form = phone.locator('form[action="/cesta/agregar/"]')
    form.locator('input[name="quantity"]').fill("2")
    with phone.expect_navigation():
        form.locator('button[type="submit"]').click()
    expect(phone.locator("ul.messages")).to_contain_text("Café pergamino")

    # The cart, then checkout: the login page first, then back to checkout.
    phone.locator('header nav a[href="/cesta/"]').click()
    phone.wait_for_url(re.compile(r"/cesta/$"))
    _no_script_ran(phone)
    phone.locator('main a[href="/pedido/"]').click()
    _sign_in_when_asked(phone, buyer)
    expect(phone.locator("main p.total strong")).to_have_text(re.compile(r"\$\s25\.000"))
    phone.locator('input[name="delivery_method"][value="pickup"]').check()
    number = _place_order(phone)
    expect(phone.locator("main p.total strong")).to_have_text(re.compile(r"\$\s25\.000"))

    order = Order.objects.get(number=number)
    assert (order.buyer, order.payment_method, order.total_cop) == (buyer, "cash", 25_000)
    assert [(line.product.name, line.quantity) for line in order.lines.all()] == [("Café pergamino", 2)]


def test_open_market_offer_login_and_pickup_slot_without_javascript(phone):
    guaviare = Municipality.objects.get(code="95001")
    fish = CooperativeFactory(name="Frutos del Guaviare", slug="frutos-del-guaviare", municipality=guaviare)
    cachama = make_product(
        fish,
        name="Cachama fresca",
        category=Category.objects.get(slug="pescado"),
        price_cop=14000,
        stock=Decimal("50"),
    )
    yuca = make_product(fish, name="Yuca fresca", price_cop=1800, stock=Decimal("200"))
    point = pickup_point("Parque Principal de San José del Guaviare")
    day = timezone.localdate() + timedelta(days=4)
    starts = [timezone.make_aware(datetime.combine(day, time(hour))) for hour in (8, 9)]
    market = make_market(
        title="Mercado campesino de San José",
        offers=[(cachama, 12500, 40), (yuca, 1600, 150)],
        slots=[(point, starts[0], 10), (point, starts[1], 15)],
    )
    _early, late = market.slots.order_by("starts_at")
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")

    # From the list of markets to the open one.
    phone.goto("/mercados/")
    _no_script_ran(phone)
    phone.locator(f'main a[href="{market.url}"]').first.click()
    phone.wait_for_url(re.compile(rf"{re.escape(market.url)}$"))
    expect(phone.locator("h1")).to_have_text(market.title)
    _no_script_ran(phone)

    # 2 kg of cachama, with the offer's own form.
    card = phone.locator("article.card", has=phone.locator("h3", has_text="Cachama fresca"))
    card.locator('input[name="quantity"]').fill("2")
    with phone.expect_navigation():
        card.locator('button[type="submit"]').click()
    expect(card.locator("p.note")).to_contain_text("Cachama fresca")
    basket = phone.locator("#cesta")
    expect(basket.locator("p.total strong")).to_have_text(re.compile(r"\$\s25\.000"))

    # Checkout: the login page first, then the market's checkout with its pickup slots.
    basket.locator('a[href$="/pedido/"]').click()
    _sign_in_when_asked(phone, buyer)
    phone.locator(f'input[name="slot"][value="{late.pk}"]').check()
    number = _place_order(phone)
    expect(phone.locator("main p.total strong")).to_have_text(re.compile(r"\$\s25\.000"))

    order = Order.objects.get(number=number)
    assert (order.buyer, order.payment_method) == (buyer, "cash")
    assert order.market_link.event_id == market.pk and order.market_link.slot_id == late.pk
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [(cachama.pk, 2)]
