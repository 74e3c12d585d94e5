"""Outside a market the header's "Canasta" leads to the catalogue's basket. A buyer with a
basket in an open market finds it there, named and linked, instead of an empty page; the
other pages pay nothing for it."""

from datetime import timedelta

import time_machine
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


def _header_count(html: str) -> str:
    header = html.split("</header>", 1)[0]
    if '<span class="count"' not in header:
        return ""
    return header.split('<span class="count"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_the_header_outside_a_market_counts_her_baskets_in_open_markets_too(client, db, settings):
    """The header's "Canasta" outside a market leads to the catalogue's basket, which lists
    her open markets' baskets: its count is of all of them, one query on every page (the
    markets' clocks are kept in the page cache), and a closed market's basket drops out."""
    from django.core.cache import caches

    from market import page_cache

    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "header-count"},
    }
    caches[page_cache.ALIAS].clear()
    yuca = make_product(name="Yuca fresca", stock=None)
    araza = make_product(name="Arazá", stock=None)
    now = timezone.now()
    offers = [(yuca, 2000, 20), (araza, 5000, 20)]
    event = make_market(title="Mercado de San José", offers=offers, closes_at=now + timedelta(hours=2))
    for visitor in (client, type(client)()):
        if visitor is client:
            visitor.force_login(UserFactory())
        _add(visitor, event, yuca)
        _add(visitor, event, araza)
        visitor.post(reverse("orders:cart_add"), {"product": yuca.pk, "quantity": "1"})
        assert _header_count(visitor.get(reverse("catalog:list")).content.decode()) == "3"
    client.get(reverse("orders:list"))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("orders:list")).content.decode()
    assert _header_count(html) == "3"
    assert len([q for q in queries.captured_queries if '"orders_cart"' in q["sql"]]) == 1
    assert not [q for q in queries.captured_queries if '"cms_marketeventpage"' in q["sql"]]

    with time_machine.travel(now + timedelta(hours=3), tick=False):
        assert _header_count(client.get(reverse("orders:list")).content.decode()) == "1"
    caches[page_cache.ALIAS].clear()
