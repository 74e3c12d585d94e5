"""A checkout costs the same queries whatever the number of lines (issue 13).

Placing an order locks the basket, checks and prices every line, reserves stock, writes
the order, a fulfilment per cooperative and their lines, and writes the messages to the
buyer and to each cooperative's managers in the outbox. Each of those steps is one query
for all the lines and all the cooperatives: a 1-line basket from one cooperative and a
10-line basket from three cost exactly the same.

Counted as the bench counts (every statement, sessions included). Here the checkout's
transaction runs inside the test's, so it costs a SAVEPOINT and its RELEASE that are one
BEGIN on SQLite and nothing counted on PostgreSQL in production.

A market's checkout costs more (`MARKET_MAX_QUERIES`): Wagtail's routing to the page (site,
locale, three pages, aliases, view restrictions: 7), the market's offers, its counters
and their update, the pickup slot's counter and the link to the market.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.models import MarketStock, SlotUsage
from cooperatives.models import MembershipRole
from market.models import Message
from orders import services
from orders.models import Order, OrderLine
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product

MAX_QUERIES = 20
MARKET_MAX_QUERIES = 35


@pytest.fixture
def shelves(db):
    """Ten products from three verified cooperatives, each with a manager who is told."""
    cooperatives = []
    for n in range(3):
        cooperative = CooperativeFactory(name=f"Cooperativa {n}", offers_delivery=True, delivery_fee_cop=4000)
        MembershipFactory(cooperative=cooperative, role=MembershipRole.MANAGER)
        cooperatives.append(cooperative)
    return [
        make_product(cooperatives[n % 3], name=f"Producto {n}", price_cop=1000 + n, stock=Decimal("50"))
        for n in range(10)
    ]


def _queries(client, url, data) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    return len(queries), response


def _catalogue_checkout(products) -> int:
    from django.test import Client

    before = {p.pk: type(p).objects.get(pk=p.pk).stock for p in products}
    buyer = UserFactory()
    cart = services.cart_get(user=buyer, create=True)
    for product in products:
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity="2")
    client = Client()
    client.force_login(buyer)
    count, response = _queries(
        client,
        reverse("orders:checkout"),
        {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"},
    )
    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302 and response.url == reverse("orders:detail", args=[order.number])
    assert OrderLine.objects.filter(order=order).count() == len(products)
    assert all(before[p.pk] - 2 == type(p).objects.get(pk=p.pk).stock for p in products)
    assert Message.objects.filter(event=f"order_placed:{order.pk}").exists()
    return count


def _market_checkout(event, products) -> int:
    from django.test import Client

    buyer = UserFactory()
    client = Client()
    client.force_login(buyer)
    for product in products:
        client.post(event.url + "cesta/", {"product": product.pk, "quantity": "2", "action": "add"})
    slot = event.slots.get()
    count, response = _queries(
        client,
        event.url + "pedido/",
        {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash", "slot": slot.pk},
    )
    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302, response.content.decode()[:500]
    assert OrderLine.objects.filter(order=order).count() == len(products)
    for product in products:
        assert MarketStock.objects.get(event=event, product=product).sold == Decimal("2")
    assert SlotUsage.objects.get(slot=slot).taken == 1
    assert Message.objects.filter(event=f"order_placed:{order.pk}").exists()
    return count


def test_catalogue_checkout_queries_do_not_grow_with_the_lines(shelves):
    one = _catalogue_checkout(shelves[:1])
    ten = _catalogue_checkout(shelves)
    assert one <= MAX_QUERIES and ten == one, (one, ten)


def test_market_checkout_queries_do_not_grow_with_the_lines(shelves):
    first = make_market(offers=[(p, 900 + n, 20) for n, p in enumerate(shelves[:1])])
    event = make_market(title="Mercado de diez", offers=[(p, 900 + n, 20) for n, p in enumerate(shelves)])
    one = _market_checkout(first, shelves[:1])
    ten = _market_checkout(event, shelves)
    assert one <= MARKET_MAX_QUERIES and ten == one, (one, ten)
