"""A cooperative sees its own figures in its workspace; a Market Builder her market's."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.cms.factories import make_builder
from tests.impact.fixtures import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel("2026-06-01 12:00 -05:00", tick=False)
def test_a_cooperative_sees_its_own_year_and_no_other(world):
    page = _client(world["manager_b"]).get(
        reverse("impact:cooperative_impact", args=[world["guaviare"].slug]), {"anio": "2026"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "$\xa024.000" in html and "Huevos" in html  # its top product
    assert "$\xa0116.600" not in html and "Yuca" not in html
    assert reverse("orders:statement", args=[world["guaviare"].slug]) in html
    assert "<svg" in html and "Ventas por mes" in html
    # Another cooperative's page is a 404.
    assert (
        _client(world["manager_b"])
        .get(reverse("impact:cooperative_impact", args=[world["anori"].slug]))
        .status_code
        == 404
    )


@time_machine.travel("2026-06-01 12:00 -05:00", tick=False)
def test_the_cooperative_page_withholds_small_counts_and_names_nobody(world):
    html = (
        _client(world["manager"])
        .get(reverse("impact:cooperative_impact", args=[world["anori"].slug]), {"anio": "2026"})
        .content.decode()
    )
    assert "$\xa0118.600" in html  # March 116.600 + February 2.000
    assert "&lt; 5" in html
    for name in ("Ana", "Bea", "Carla", "Darío", "hogar@example.org"):
        assert name not in html


def test_a_market_builder_sees_her_market_and_not_anothers(world):
    market = world["market"]
    owner = market.owner or make_builder()
    if market.owner is None:
        market.owner = owner
        market.save(update_fields=["owner"])
    page = _client(owner).get(reverse("impact:market_impact", args=[market.pk]))
    assert page.status_code == 200
    assert "$\xa03.600" in page.content.decode()
    assert _client(make_builder()).get(reverse("impact:market_impact", args=[market.pk])).status_code == 404
