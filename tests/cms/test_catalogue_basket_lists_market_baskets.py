"""Outside a market the header's "Canasta" leads to the catalogue's basket. A buyer with a
basket in an open market finds it there, named and linked, instead of an empty page; the
other pages pay nothing for it."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.cms.factories import make_market
from tests.factories import UserFactory, make_product


def _add(client, event, product, quantity="2"):
    client.post(
        reverse("cms:market_cart", args=[event.pk]),
        {"product": product.pk, "quantity": quantity, "action": "add"},
    )


def test_her_open_market_basket_is_listed_with_a_link_on_the_catalogue_basket(client, db):
    yuca = make_product(name="Yuca fresca", stock=None)
    araza = make_product(name="Arazá", stock=None)
    event = make_market(title="Mercado de San José", offers=[(yuca, 2000, 20), (araza, 5000, 20)])
    client.force_login(UserFactory())
    _add(client, event, yuca)
    _add(client, event, araza)

    html = client.get(reverse("orders:cart")).content.decode()
    assert "Sus canastas en los mercados" in html
    assert f'<a href="{event.url}#cesta">Mercado de San José</a>: 2 productos' in html
    assert "Aún no tiene nada del catálogo." in html and "Su canasta está vacía" not in html


def test_an_anonymous_visitor_finds_hers_too_but_not_a_closed_markets(client, db):
    yuca = make_product(name="Yuca fresca", stock=None)
    now = timezone.now()
    open_market = make_market(title="Mercado abierto", offers=[(yuca, 2000, 20)])
    closing = make_market(
        title="Mercado que cierra", offers=[(yuca, 2000, 20)], closes_at=now + timedelta(hours=1)
    )
    _add(client, open_market, yuca)
    _add(client, closing, yuca)
    closing.closes_at = now - timedelta(minutes=1)
    closing.save(update_fields=["closes_at"])

    html = client.get(reverse("orders:cart")).content.decode()
    assert "Mercado abierto</a>: 1 producto" in html
    assert "Mercado que cierra" not in html


def test_without_market_baskets_the_page_reads_as_before_and_other_pages_pay_nothing(client, db):
    client.force_login(UserFactory())
    html = client.get(reverse("orders:cart")).content.decode()
    assert "Su canasta está vacía." in html and "Sus canastas en los mercados" not in html
    client.get(reverse("catalog:list"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("catalog:list"))
    assert not [
        q for q in queries.captured_queries if "orders_cart" in q["sql"] and 'channel_key" <>' in q["sql"]
    ]
