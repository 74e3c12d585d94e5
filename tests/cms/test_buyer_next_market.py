"""An old WhatsApp link to a closed market is not a dead end: the page links to the next
market of the same place (municipality, pickup point, or the same builder's series)."""

from datetime import timedelta

from django.utils import timezone

from tests.cms.factories import make_builder, make_market


def _closed_and_next(**next_fields):
    now = timezone.now()
    builder = make_builder()
    closed = make_market(
        title="Mercado de noviembre",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=5),
        owner=builder,
    )
    return closed, builder, now


def test_the_closed_market_links_to_the_next_one_of_the_same_place(client, db):
    closed, builder, now = _closed_and_next()
    upcoming = make_market(
        title="Mercado de diciembre", opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=5)
    )
    html = client.get(closed.url).content.decode()
    assert f'href="{upcoming.url}"' in html
    assert "Próximo mercado: Mercado de diciembre" in html


def test_an_open_market_of_the_place_comes_first(client, db):
    closed, builder, now = _closed_and_next()
    make_market(
        title="Mercado de diciembre", opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=5)
    )
    open_now = make_market(
        title="Mercado abierto", opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1)
    )
    html = client.get(closed.url).content.decode()
    assert f'href="{open_now.url}"' in html and "Haga su pedido en Mercado abierto" in html


def test_no_next_market_links_to_the_list_of_markets(client, db):
    closed, builder, now = _closed_and_next()
    older = make_market(
        title="Mercado viejo", opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=35)
    )
    html = client.get(closed.url).content.decode()
    assert f'href="{older.url}"' not in html  # closed too: not a next market
    assert "Vea los otros mercados" in html


def test_an_unpublished_market_is_never_offered(client, db):
    closed, builder, now = _closed_and_next()
    withdrawn = make_market(
        title="Retirado", opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=5)
    )
    withdrawn.unpublish()
    assert "Retirado" not in client.get(closed.url).content.decode()
