from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from cms.models import MarketStock, SlotUsage
from orders import services
from orders.models import CartLine, Order
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product


@pytest.fixture
def products(db):
    a = CooperativeFactory(name="Frutos del Guaviare")
    b = CooperativeFactory(name="Piscícola La Macarena")
    return (
        make_product(a, name="Arazá", price_cop=6000, stock=None),
        make_product(b, name="Cachama", price_cop=14000, stock=None, quantity_step=Decimal("0.5")),
    )


def test_publishing_creates_live_counters(products):
    araza, cachama = products
    event = make_market(offers=[(araza, 5000, 20), (cachama, 12000, 30)])
    stock = {s.product_id: s for s in MarketStock.objects.filter(event=event)}
    assert stock[araza.pk].planned == 20 and stock[cachama.pk].planned == 30
    assert SlotUsage.objects.filter(slot__page=event).count() == 1


def test_open_market_shows_offers_at_market_price_and_a_basket(client, products):
    araza, _cachama = products
    event = make_market(offers=[(araza, 5000, 20)])
    html = client.get(event.url).content.decode()
    assert "Arazá" in html and "$\xa05.000" in html
    assert 'id="cesta"' in html


def test_buyer_orders_in_market_with_slot_at_offer_price(client, products):
    araza, cachama = products
    event = make_market(offers=[(araza, 5000, 20), (cachama, 12000, 30)])
    buyer = UserFactory()
    client.force_login(buyer)
    client.post(event.url + "cesta/", {"product": araza.pk, "quantity": "2", "action": "add"})
    client.post(event.url + "cesta/", {"product": cachama.pk, "quantity": "1.5", "action": "add"})
    slot = event.slots.get()
    response = client.post(
        event.url + "pedido/",
        {"buyer": "self", "delivery_method": "pickup", "slot": slot.pk, "payment_method": "cash"},
    )
    order = Order.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert order.channel == "market" and order.channel_key == f"market:{event.pk}"
    assert order.total_cop == 2 * 5000 + 18000
    assert order.market_link.slot == slot
    assert SlotUsage.objects.get(slot=slot).taken == 1
    assert MarketStock.objects.get(event=event, product=araza).sold == 2
    # The catalogue stock is not touched by a market order.
    araza.refresh_from_db()
    assert araza.stock is None


def test_order_one_second_before_close_is_accepted_and_one_after_refused(products):
    araza, _ = products
    closes = timezone.now() + timedelta(hours=2)
    event = make_market(offers=[(araza, 5000, 20)], closes_at=closes)
    buyer = UserFactory()
    cart = services.cart_get(user=buyer, create=True, channel_key=f"market:{event.pk}")
    choice = services.CheckoutChoice(
        delivery_method="pickup", payment_method="cash", slot_id=event.slots.get().pk
    )
    with time_machine.travel(closes - timedelta(seconds=1), tick=False):
        services.cart_set_quantity(cart=cart, product_id=araza.pk, raw_quantity="1")
        services.order_place(buyer=buyer, cart=cart, choice=choice)
    with time_machine.travel(closes + timedelta(seconds=1), tick=False):
        from orders.exceptions import CartError

        with pytest.raises(CartError, match="closed|cerró"):
            services.cart_set_quantity(cart=cart, product_id=araza.pk, raw_quantity="1")
    assert Order.objects.count() == 1


def test_a_phone_shows_one_category_at_a_time_without_javascript(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Category

    fish, fruit = Category.objects.get(slug="pescado"), Category.objects.exclude(slug="pescado").first()
    coop = CooperativeFactory(name="Frutos del Guaviare")
    cachama = make_product(coop, name="Cachama", category=fish, stock=None)
    bocachico = make_product(coop, name="Bocachico", category=fish, stock=None)
    araza = make_product(coop, name="Arazá", category=fruit, stock=None)
    event = make_market(offers=[(cachama, 12000, 10), (bocachico, 11000, 10), (araza, 5000, 10)])

    everything = client.get(event.url).content.decode()
    assert everything.count('class="card"') == 3
    assert f'href="?categoria={fish.slug}#ofertas">{fish.name} (2)</a>' in everything
    client.get(event.url + f"?categoria={fish.slug}")
    with CaptureQueriesContext(connection) as filtered_queries:
        only_fish = client.get(event.url + f"?categoria={fish.slug}").content.decode()
    with CaptureQueriesContext(connection) as all_queries:
        client.get(event.url)
    assert len(filtered_queries) == len(all_queries)
    assert only_fish.count('class="card"') == 2 and "Arazá" not in only_fish
    assert f'name="categoria" value="{fish.slug}"' in only_fish
    assert client.get(event.url + "?categoria=no-existe").content.decode().count('class="card"') == 3

    buyer = UserFactory()
    client.force_login(buyer)
    response = client.post(
        event.url + "cesta/",
        {"product": cachama.pk, "quantity": "1", "action": "add", "categoria": fish.slug},
    )
    # Back at the product she added, in the category she was looking at.
    assert response["Location"] == event.url + f"?categoria={fish.slug}#oferta-{cachama.pk}"
    forged = client.post(
        event.url + "cesta/",
        {"product": cachama.pk, "quantity": "1", "action": "add", "categoria": "x\r\nSet-Cookie: a=b"},
    )
    assert forged["Location"] == event.url + f"#oferta-{cachama.pk}"


@pytest.mark.parametrize("restricted", ["market", "index"])
def test_a_private_market_asks_its_password_before_any_basket_or_checkout(client, products, restricted):
    """The storefront's forms post to plain URLs (`cms:market_cart`, `cms:market_checkout`),
    and the page's own routes still answer: both keep the page's view restrictions, set on
    it or on a page above it."""
    araza, _cachama = products
    event = make_market(offers=[(araza, 5000, 20)])
    page = event if restricted == "market" else event.get_parent()
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.PASSWORD, password="x")
    client.force_login(UserFactory())
    for url in (reverse("cms:market_cart", args=[event.pk]), event.url + "cesta/"):
        response = client.post(url, {"product": araza.pk, "quantity": "1", "action": "add"})
        assert response.status_code == 200 and 'name="password"' in response.content.decode()
    assert not CartLine.objects.exists()
    for url in (reverse("cms:market_checkout", args=[event.pk]), event.url + "pedido/"):
        response = client.get(url)
        assert response.status_code == 200 and 'name="password"' in response.content.decode()


def test_the_plain_urls_of_a_market_not_live_are_not_found(client, products):
    araza, _cachama = products
    event = make_market(offers=[(araza, 5000, 20)])
    event.unpublish()
    client.force_login(UserFactory())
    post = {"product": araza.pk, "quantity": "1", "action": "add"}
    assert client.post(reverse("cms:market_cart", args=[event.pk]), post).status_code == 404
    assert client.get(reverse("cms:market_checkout", args=[event.pk])).status_code == 404
    assert client.get(reverse("cms:market_checkout", args=[event.pk + 1000])).status_code == 404


def test_a_market_that_only_delivers_takes_orders_at_its_plain_checkout_url(client, products):
    """No pickup slot to read the market with: its page is read on its own."""
    araza, _cachama = products
    event = make_market(offers=[(araza, 5000, 20)], slots=[], delivery_offered=True, delivery_fee_cop=3000)
    client.force_login(UserFactory())
    client.post(
        reverse("cms:market_cart", args=[event.pk]), {"product": araza.pk, "quantity": "2", "action": "add"}
    )
    response = client.post(
        reverse("cms:market_checkout", args=[event.pk]),
        {
            "buyer": "self",
            "delivery_method": "delivery",
            "delivery_address": "Calle 5 # 3-20, San José del Guaviare",
            "payment_method": "cash",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.total_cop == 2 * 5000 + 3000 and order.market_link.slot is None
