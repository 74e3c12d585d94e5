"""A checkout costs the same queries whatever the number of lines (issue 13).

Placing an order locks and reads the basket (its lines, the cart and the products, with
what the channel sells them by: a market's offers), checks and prices every line, takes
the stock, writes the order, a fulfilment per cooperative and their lines, and writes the
messages to the buyer and to each cooperative's managers in the outbox. Each of those
steps is one query for all the lines and all the cooperatives: a 1-line basket from one
cooperative and a 10-line basket from three cost exactly the same.

Counted as the bench counts (every statement, sessions included), with the one-time key
the checkout forms carry. Here the checkout's transaction runs inside the test's, so it
costs a SAVEPOINT and its RELEASE that are one BEGIN on SQLite and nothing counted on
PostgreSQL in production.

The catalogue's checkout (`MAX_QUERIES`): the session and the user; the basket and whether
it has lines, and her organisations (for the form); then the order's transaction: its
lines locked with the cart and the products, the stock taken, the order, its fulfilments,
their lines and its log row, the basket emptied and marked, the managers told, the
opt-outs, the messages.

A market's checkout (`MARKET_MAX_QUERIES`) posts to the plain URL its form posts to
(`cms:market_checkout`), which reads the market page with its pickup slots in one query,
where Wagtail's routing took seven (the page's own pedido/ route, kept for forms already
in buyers' hands, still reads the site, its locale and three pages). It reads the basket
only in the order's transaction, and adds to the catalogue's: the market's counters taken
(one conditional update), the pickup slot's counter and the order's link to the market.
Paid by transfer, the same (its reference is written with the order). An order of
products with a limit per buyer reads her earlier orders of them: one query more.

A basket change in a market (`MARKET_CART_MAX_QUERIES`) reads the market page, the basket,
the product with its offer and counter, the basket's line for it, and writes the line and
the basket's time: the same whatever is in the basket and however many offers the market
has.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.models import MarketStock, SlotUsage
from cooperatives.models import MembershipRole
from market.forms import new_one_time_key
from market.models import Message
from orders import services
from orders.models import Order, OrderLine
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product

MAX_QUERIES = 18
MARKET_MAX_QUERIES = 20
MARKET_CART_MAX_QUERIES = 10


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
        {
            "buyer": "self",
            "delivery_method": "pickup",
            "payment_method": "cash",
            "checkout_key": new_one_time_key(),
        },
    )
    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302 and response.url == reverse("orders:detail", args=[order.number])
    assert OrderLine.objects.filter(order=order).count() == len(products)
    assert all(before[p.pk] - 2 == type(p).objects.get(pk=p.pk).stock for p in products)
    assert Message.objects.filter(event=f"order_placed:{order.pk}").exists()
    return count


def _market_checkout(event, products, payment_method="cash") -> int:
    from django.test import Client

    buyer = UserFactory()
    client = Client()
    client.force_login(buyer)
    for product in products:
        client.post(
            reverse("cms:market_cart", args=[event.pk]),
            {"product": product.pk, "quantity": "2", "action": "add"},
        )
    slot = event.slots.get()
    count, response = _queries(
        client,
        reverse("cms:market_checkout", args=[event.pk]),
        {
            "buyer": "self",
            "delivery_method": "pickup",
            "payment_method": payment_method,
            "slot": slot.pk,
            "checkout_key": new_one_time_key(),
        },
    )
    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302, response.content.decode()[:500]
    assert response.url == reverse("orders:detail", args=[order.number])
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
    by_transfer = make_market(title="Mercado por transferencia", offers=[(shelves[0], 900, 20)])
    assert _market_checkout(by_transfer, shelves[:1], payment_method="transfer") == one


def test_a_market_basket_change_costs_the_same_whatever_the_basket_and_the_market(shelves):
    """The first product creates her basket; every other costs the same, in a market of
    one offer or of ten, with one line in the basket or nine."""
    from django.test import Client

    small = make_market(title="Mercado de uno", offers=[(shelves[0], 900, 20)])
    big = make_market(title="Mercado de diez", offers=[(p, 900 + n, 20) for n, p in enumerate(shelves)])
    client = Client()
    client.force_login(UserFactory())
    counts = []
    for event, products in ((small, shelves[:1] * 3), (big, shelves)):
        url = reverse("cms:market_cart", args=[event.pk])
        for product in products:
            count, response = _queries(client, url, {"product": product.pk, "quantity": "2", "action": "add"})
            assert response.status_code == 302
            counts.append(count)
    later = counts[1:3] + counts[4:]
    assert max(later) <= MARKET_CART_MAX_QUERIES and len(set(later)) == 1, counts
    assert MarketStock.objects.filter(sold__gt=0).count() == 0  # a basket takes nothing
