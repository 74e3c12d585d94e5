"""A programme's report: the funder's table, privacy, filters, exports, the command, queries."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from impact.models import Indicator, Measure, Programme
from market.models import Municipality
from tests.factories import UserFactory
from tests.helpers import message_texts
from tests.impact.fixtures import at, build
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build()
    programme = Programme.objects.create(
        name="Plan de Contingencia",
        slug="plan-contingencia",
        funder="Fondo Multidonante de la ONU",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
    )
    programme.cooperatives.set([world["anori"]])
    programme.municipalities.set([Municipality.objects.get(code="95001")])
    programme.save()
    for n, (measure, goal) in enumerate(
        [
            (Measure.SALES_COP, 281_200),
            (Measure.KILOS, 87),
            (Measure.WOMEN_FAMILIES, 10),
            (Measure.WOMEN_SHARE_PCT, 80),
            (Measure.COOPERATIVES_GREW, 1),
        ]
    ):
        Indicator.objects.create(
            programme=programme, sort_order=n, name=f"Indicador {n + 1}", measure=measure, goal=goal
        )
    viewer = UserFactory(email="oficial@fondo.example.org")
    programme.viewers.add(viewer)
    programme.save()
    client = Client()
    client.force_login(viewer)
    world.update(programme=programme, viewer=viewer, client=client)
    return world


def _url(world, name="impact:programme_detail"):
    return reverse(name, args=[world["programme"].slug])


def test_the_viewer_reads_the_funders_table(world):
    page = world["client"].get(_url(world))
    html = page.content.decode()
    assert page.status_code == 200
    # Sales: $ 140.600 of a goal of $ 281.200 is 50 %, in execution (the period is over: not achieved).
    assert "$\xa0140.600" in html and "$\xa0281.200" in html
    assert '<td data-label="Avance (%)" class="num">50</td>' in html
    assert "43,5" in html  # kilos, from kilos, libras and arrobas
    assert "Logrado" in html  # one cooperative grew: goal 1 reached
    # Fewer than five women-led families: the count, its advance and the women's share are withheld.
    assert html.count("&lt; 5") >= 3
    assert "55,2" not in html


def test_no_person_or_buyer_is_named(world):
    html = world["client"].get(_url(world)).content.decode()
    for name in ("Ana", "Bea", "Carla", "Darío", "hogar@example.org", "Hotel Sabor", "vecina@example.org"):
        assert name not in html


def test_filters_narrow_the_report_and_a_forged_filter_is_refused(world):
    page = world["client"].get(_url(world), {"municipio": "95001"})
    assert "$\xa024.000" in page.content.decode()
    assert "$\xa0140.600" not in page.content.decode()
    page = world["client"].get(_url(world), {"cooperativa": "999999", "desde": "2026-13"})
    assert page.status_code == 200
    texts = message_texts(page)
    assert any("999999" in t or "opción" in t or "válid" in t for t in texts)
    assert "$\xa0140.600" in page.content.decode()  # the forged filter was left out


def test_another_persons_programme_is_404(world):
    stranger = Client()
    stranger.force_login(UserFactory())
    for name in (
        "impact:programme_detail",
        "impact:programme_csv",
        "impact:programme_xlsx",
        "impact:programme_pdf",
    ):
        assert stranger.get(_url(world, name)).status_code == 404
    assert stranger.get(reverse("impact:programme_list")).status_code == 404
    assert Client().get(_url(world)).status_code == 302


def test_xlsx_has_a_sheet_per_table_with_the_small_cells_withheld(world):
    response = world["client"].get(_url(world, "impact:programme_xlsx"))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Indicadores",
        "Por municipio de origen",
        "Familias vendedoras por sexo",
        "Por mes",
        "Por cooperativa",
        "Mercados realizados",
    ]
    rows = list(book["Por municipio de origen"].iter_rows(min_row=4, values_only=True))
    assert rows == [
        ("Antioquia", "Anorí", 116_600, 43.5, 3, "< 5", "< 5", "< 5"),
        ("Guaviare", "San José del Guaviare", 24_000, 0, 1, 0, 0, 0),
    ]


def test_csv_of_one_table(world):
    response = world["client"].get(_url(world, "impact:programme_csv"), {"tabla": "sexo"})
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    # Opens in a Colombian spreadsheet: semicolons and decimal commas.
    assert "Mujeres;< 5;< 5;< 5" in text
    assert "Ninguna familia registrada;;24000;17,1" in text
    assert "Indicadores" not in text


def test_pdf_is_printable(world):
    response = world["client"].get(_url(world, "impact:programme_pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_command_writes_an_xlsx_with_sheets_by_municipality_and_sex(world, tmp_path):
    out = tmp_path / "informe.xlsx"
    stdout = io.StringIO()
    call_command(
        "impact_export",
        programme="plan-contingencia",
        period="2026-03..2026-03",
        format="xlsx",
        out=str(out),
        stdout=stdout,
    )
    book = load_workbook(out)
    assert "Por municipio de origen" in book.sheetnames and "Familias vendedoras por sexo" in book.sheetnames
    indicators = list(book["Indicadores"].iter_rows(min_row=4, values_only=True))
    assert indicators[0][0] == "Indicador 1" and indicators[0][4] == 140_600 and indicators[0][3] == 50
    assert "Indicador 1: $\xa0140.600 / $\xa0281.200 (50 %" in stdout.getvalue()


def test_the_command_refuses_a_bad_period(world, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "impact_export", programme="plan-contingencia", period="2026-12..2026-01", out=str(tmp_path / "x")
        )


def test_the_page_runs_the_same_queries_for_few_or_many_orders(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert world["client"].get(_url(world)).status_code == 200
        return len(queries)

    few = count()
    for n in range(10):
        order = place_order(world["household"], [(world["products"]["yuca"], 1)])
        type(order).objects.filter(pk=order.pk).update(placed_at=at(3, 1 + n))
    assert count() == few
    assert Decimal(few) <= 20
