"""Impact in a real browser, on a 390 px phone.

1. A programme viewer (a funder's officer) signs in, opens her programme's report, reads the
   indicator table and the charts, narrows it to one municipality, and downloads the XLSX.
2. A cooperative manager records which families supplied a line of an order, splitting it
   in one tap, and then sees what reached her families on her impact page.
"""

import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from impact.models import Indicator, Measure, Programme
from orders.models import LineSupply
from tests.e2e.helpers import fits_the_phone, sign_in, text
from tests.factories import ProducerFactory
from tests.impact.fixtures import build


def _world():
    world = build()
    programme = Programme.objects.create(
        name="Plan de Contingencia",
        slug="plan-contingencia",
        funder="Fondo Multidonante de la ONU",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    programme.cooperatives.set([world["anori"], world["guaviare"]])
    viewer = world["household"].__class__.objects.create_user(email="oficial@fondo.example.org")
    from tests.factories import DEMO_PASSWORD

    viewer.set_password(DEMO_PASSWORD)
    viewer.save()
    viewer.emailaddress_set.create(email=viewer.email, verified=True, primary=True)
    programme.viewers.set([viewer])
    programme.save()
    Indicator.objects.create(
        programme=programme, name="Ventas sin intermediarios", measure=Measure.SALES_COP, goal=281_200
    )
    Indicator.objects.create(programme=programme, name="Volumen en kilos", measure=Measure.KILOS, goal=87)
    world.update(programme=programme, viewer=viewer)
    return world


def test_a_programme_viewer_reads_her_report_on_a_phone(phone):
    world = _world()
    sign_in(phone, world["viewer"])
    phone.goto("/impacto/")
    phone.get_by_role("link", name="Plan de Contingencia").click()
    expect(phone.get_by_role("heading", name="Plan de Contingencia")).to_be_visible()
    table = phone.locator("#indicadores table")
    expect(table).to_contain_text("Ventas sin intermediarios")
    row = text(table.locator("tbody tr").first.inner_text())
    assert "$ 142.600" in row and "$ 281.200" in row  # March and the February sale: 2026 in full
    assert phone.locator("svg.chart").count() >= 3
    assert fits_the_phone(phone)
    phone.get_by_text("Periodo y filtros").click()
    phone.locator("#id_municipio").select_option(label="San José del Guaviare")
    phone.get_by_role("button", name="Mostrar").click()
    expect(phone.locator("#indicadores table tbody tr").first).to_contain_text("$ 24.000")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Excel (XLSX)").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "Por municipio de origen" in book.sheetnames
    phone.goto(phone.url)  # the last state, for the screenshot


def test_a_manager_splits_a_line_between_two_families(phone):
    world = _world()
    manager = world["manager"]
    from tests.factories import DEMO_PASSWORD

    manager.set_password(DEMO_PASSWORD)
    manager.save()
    sign_in(phone, manager)
    hotel_order = world["anori"].fulfilments.filter(order__organization__isnull=False).get()
    extra = ProducerFactory(
        cooperative=world["anori"], name="Elena", gender="female", consents_to_aggregate=True
    )
    world["products"]["yuca"].producers.add(extra)
    phone.goto(f"/espacio/{world['anori'].slug}/pedidos/{hotel_order.pk}/")
    expect(phone.get_by_role("heading", name="Qué familias lo aportaron")).to_be_visible()
    phone.get_by_role("button", name="Repartir por igual entre sus 2 familias").click()
    expect(phone.locator(".messages")).to_contain_text("Se guardó qué familias aportaron Yuca")
    line = hotel_order.lines.get(product_name="Yuca")
    assert sorted(LineSupply.objects.filter(line=line).values_list("quantity", flat=True)) == [2.5, 2.5]
    assert fits_the_phone(phone)
    phone.get_by_role("link", name="Impacto").click()
    expect(phone.locator("h1")).to_contain_text("Su impacto en")
    assert fits_the_phone(phone)
