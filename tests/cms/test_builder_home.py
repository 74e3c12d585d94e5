"""The Market Builder's Wagtail home: her markets with state, orders and the cooperatives
that have not confirmed their quantities; the same queries for 2 markets or 8."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.markets import services
from tests.cms.factories import make_builder, make_market
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db


def _upcoming(builder, n):
    frutos = CooperativeFactory(name=f"Frutos {n}")
    yuca = CooperativeFactory(name=f"Yuqueros {n}")
    araza, casabe = make_product(frutos, name="Arazá"), make_product(yuca, name="Casabe")
    now = timezone.now()
    return make_market(
        title=f"Mercado {n}",
        offers=[(araza, 5000, 10), (casabe, 3000, 10)],
        owner=builder,
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=4),
    ), frutos


def _home(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_her_home_shows_her_markets_states_and_who_has_not_confirmed(client):
    builder = make_builder()
    market, frutos = _upcoming(builder, 1)
    services.offer_confirm(
        event=market,
        cooperative=frutos,
        product_id=market.offers.first().product_id,
        quantity=Decimal("8"),
        actor=builder,
    )
    make_market(title="Mercado ajeno", owner=make_builder())
    draft = make_market(title="Mercado en borrador", owner=builder, publish=False)
    client.force_login(builder)
    html, _queries = _home(client)
    assert reverse("cms_market_new") in html
    assert "Mercado 1" in html and "Mercado ajeno" not in html
    assert "Yuqueros 1" in html and "Frutos 1" not in html.split("Mercado 1")[1].split("</li>")[0]
    assert "Mercado en borrador" in html and reverse("cms_market_copy", args=[draft.pk]) in html


def test_her_home_costs_the_same_queries_for_more_markets(client):
    builder = make_builder()
    _upcoming(builder, 1)
    _upcoming(builder, 2)
    client.force_login(builder)
    _home(client)  # warm caches (site, locale, permissions)
    _html, few = _home(client)
    for n in range(3, 9):
        _upcoming(builder, n)
    html, many = _home(client)
    assert "Mercado 8" in html and "Yuqueros 8" in html
    assert many == few


def test_staff_get_the_panel_for_every_market(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html, _queries = _home(client)
    assert "builder-home" in html  # staff run every market


def test_the_site_links_a_market_builder_to_her_admin_and_no_one_else(client):
    from tests.factories import DEMO_PASSWORD, UserFactory

    builder, buyer = make_builder(), UserFactory()
    admin_link = f'href="{reverse("wagtailadmin_home")}"'
    assert client.login(username=builder.email, password=DEMO_PASSWORD)
    assert admin_link in client.get("/").content.decode()
    client.logout()
    assert client.login(username=buyer.email, password=DEMO_PASSWORD)
    assert admin_link not in client.get("/").content.decode()
