"""The CSV downloads open right in a Colombian Excel or LibreOffice with a double click:
UTF-8 with a byte-order mark, Spanish headers, semicolons between cells, decimal commas,
whole pesos without grouping, phones as text."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from market.spreadsheets import SpreadsheetWriter, cell, csv_download, phone_text
from orders import services, transitions
from tests.orders.factories import place_order


def _lines(response) -> list[str]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "a byte-order mark, so the accents read right"
    return body[1:].splitlines()


def test_a_decimal_goes_out_with_a_comma_and_money_as_a_plain_number():
    assert [cell(v) for v in (Decimal("2.500"), Decimal("3.000"), 12500, "Ñame", 0.25)] == [
        "2,5",
        "3",
        12500,
        "Ñame",
        "0,25",
    ]
    response, writer = csv_download("x.csv")
    assert isinstance(writer, SpreadsheetWriter)
    writer.writerow(["Yuca; la buena", Decimal("1.5"), 2345, date(2026, 5, 1)])
    assert _lines(response) == ['"Yuca; la buena";1,5;2345;2026-05-01']


def test_a_phone_goes_out_as_text_that_keeps_its_plus_and_leading_zero():
    """Plain, Excel reads +573001234567 as the number 573001234567 and 0312 as 312."""
    assert phone_text("+573001234567") == '="+573001234567"'
    assert phone_text("03001234567") == '="03001234567"'
    assert phone_text("") == "" and phone_text(None) == ""
    assert phone_text("=1+2") == "'=1+2", "anything but a plain number goes out inert"
    response, writer = csv_download("x.csv")
    writer.writerow(["Luz", phone_text("+573001234567")])
    assert _lines(response) == ['Luz;"=""+573001234567"""']


def test_the_cooperatives_orders_csv_reads_in_spanish_with_semicolons(seller_a, household):
    order = place_order(household, [(seller_a.product, "1,5")])
    line = order.lines.get()
    transitions.fulfilment_transition(fulfilment=line.fulfilment, to="confirmed", actor=seller_a.manager)
    services.line_record_delivery(line=line, delivered_quantity="1,25", actor=seller_a.manager)

    response = seller_a.client().get(reverse("orders:fulfilment_csv", args=[seller_a.cooperative.slug]))

    header, row = _lines(response)
    assert header.split(";") == [
        "Pedido",
        "Fecha (America/Bogota)",
        "Comprador",
        "Producto",
        "Unidad",
        "Cantidad pedida",
        "Cantidad entregada",
        "Precio unitario (COP)",
        "Total de la línea (COP)",
        "Estado",
    ]
    cells = row.split(";")
    assert cells[5:9] == ["1,5", "1,25", "2345", "2931"]
    assert "," not in cells[1], "no comma that a Spanish spreadsheet would read as a decimal"


def test_the_statement_csv_reads_in_spanish_with_semicolons(seller_a, household):
    place_order(household, [(seller_a.product, "2")])
    response = seller_a.client().get(
        reverse("orders:statement", args=[seller_a.cooperative.slug]), {"format": "csv"}
    )
    header, *rows = _lines(response)
    assert header.split(";")[:3] == ["Forma de pago", "Pedidos", "Vendido"]
    assert rows[-1].split(";")[0] == "Total"
