"""`manage.py load_demo` gives `make run` a real impact report: a programme like PASO's
Contingency Plan with indicators and goals, a year of sales with their families, a viewer;
and `manage.py impact_export` writes the figures the page shows. (That a second run of
`load_demo` changes nothing, orders included, is `tests/market/test_demo_data.py`.)"""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from impact.demo import INDICATORS, SLUG, VIEWER_EMAIL
from impact.models import Programme
from impact.tables import show
from market.models import Message, MessageState, User
from orders.models import LineSupply, Order
from tests.helpers import built_once


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _demo_rows(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, load_demo):
        yield


@pytest.fixture
def demo(_demo_rows, db):
    """The demo as a first run leaves it; what a test changes is rolled back."""


def test_the_demo_programme_has_its_indicators_viewer_and_sales(demo):
    programme = Programme.objects.get(slug=SLUG)
    assert programme.indicators.count() == len(INDICATORS)
    assert list(programme.viewers.values_list("email", flat=True)) == [VIEWER_EMAIL]
    assert programme.cooperatives.count() == 5
    past = Order.objects.filter(checkout_key__startswith="demo-impact-")
    assert past.filter(placed_at__date__gte=programme.starts_on).count() >= 40
    assert LineSupply.objects.filter(line__order__in=past).exists()
    # Past sales: their messages are not sent now.
    about = [f"order:{pk}" for pk in past.values_list("pk", flat=True)]
    assert Message.objects.filter(about__in=about).exists()
    assert not Message.objects.filter(about__in=about, state=MessageState.QUEUED).exists()


def test_the_export_shows_the_figures_of_the_page(demo, tmp_path):
    programme = Programme.objects.get(slug=SLUG)
    period = f"{programme.starts_on:%Y-%m}..{programme.ends_on:%Y-%m}"
    out = tmp_path / "demo.xlsx"
    call_command(
        "impact_export", programme=SLUG, period=period, format="xlsx", out=str(out), stdout=io.StringIO()
    )
    book = load_workbook(out)
    assert {"Por municipio de origen", "Familias vendedoras por sexo"} <= set(book.sheetnames)
    exported = {row[0]: row[4] for row in book["Indicadores"].iter_rows(min_row=4, values_only=True)}
    client = Client()
    client.force_login(User.objects.get(email=VIEWER_EMAIL))
    html = client.get(f"/impacto/{SLUG}/").content.decode()
    sales, families = exported[INDICATORS[3][0]], exported[INDICATORS[0][0]]
    assert sales > 1_000_000 and families > 5
    assert f'<td data-label="Valor actual" class="num">{show(sales, "cop")}</td>' in html
    assert f'<td data-label="Valor actual" class="num">{families}</td>' in html
