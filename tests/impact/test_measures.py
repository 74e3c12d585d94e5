"""Every measure against figures worked out by hand (tests/impact/fixtures.py)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from impact.measures import FEMALE, MALE, UNDISCLOSED, Scope, measure
from impact.models import Measure
from tests.impact.fixtures import HAND, at, build
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

MARCH = Scope(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture
def world():
    return build()


def test_every_measure_matches_the_hand_figures(world):
    figures = measure(MARCH)
    assert {m: figures.value(m) for m in Measure.values} == HAND
    assert figures.other_units == {"docena": Decimal("2.000")}
    assert figures.unattributed_cop == 24_000


def test_breakdowns_by_sex_municipality_month_and_market(world):
    figures = measure(MARCH)
    assert figures.total.value_by_sex == {FEMALE: 77_600, MALE: 15_000, "other": 0, UNDISCLOSED: 24_000}
    places = {g.label: g.sales_cop for g in figures.by_municipality}
    assert places == {"Anorí": 116_600, "San José del Guaviare": 24_000}
    assert [(g.key, g.sales_cop) for g in figures.by_month] == [(date(2026, 3, 1), 140_600)]
    assert [(g.label, g.sales_cop, g.household_count) for g in figures.by_market] == [
        ("Mercado de Anorí", 3_600, 1)
    ]
    coops = {g.label: (g.sales_cop, g.previous_cop, g.grew) for g in figures.by_cooperative}
    assert coops == {"Viveristas de Anorí": (116_600, 2_000, True), "Frutos del Guaviare": (24_000, 0, False)}


def test_filters_narrow_every_figure(world):
    guaviare = measure(Scope(start=MARCH.start, end=MARCH.end, municipality="95001"))
    assert (guaviare.sales_cop, guaviare.kilos, guaviare.families) == (24_000, Decimal("0"), 0)
    antioquia = measure(Scope(start=MARCH.start, end=MARCH.end, department="05"))
    assert antioquia.sales_cop == 116_600
    market = measure(Scope(start=MARCH.start, end=MARCH.end, market=world["market"].pk))
    assert (market.sales_cop, market.orders, market.households) == (3_600, 1, 1)
    covered = measure(
        Scope(start=MARCH.start, end=MARCH.end, cooperative_ids=frozenset({world["guaviare"].pk}))
    )
    assert covered.sales_cop == 24_000


def test_february_is_the_previous_period(world):
    february = measure(Scope(start=date(2026, 2, 1), end=date(2026, 2, 28)))
    assert (february.sales_cop, february.kilos, february.orders) == (2_000, Decimal("1.000"), 1)


def test_queries_are_the_same_for_few_or_many_orders(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            measure(MARCH)
        return len(queries)

    few = count()
    for n in range(12):
        order = place_order(
            world["household"], [(world["products"]["yuca"], 1), (world["products"]["panela"], 1)]
        )
        type(order).objects.filter(pk=order.pk).update(placed_at=at(3, 1 + n))
    assert count() == few <= 5
