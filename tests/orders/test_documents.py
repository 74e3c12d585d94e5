"""Receipts and bills per order and cooperative: content, PDF, and who may see them."""

import contextlib
import re
import zlib
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from orders import receipt_pdf, receipts, selectors, services, transitions
from orders.models import FulfilmentStatus
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.orders.factories import make_organization, place_order

PLACED_AT = "2026-05-04 10:00 -0500"  # a Monday in Bogotá


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (compressed or not), for assertions."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        raw = match.group(1)
        with contextlib.suppress(zlib.error):
            # decompressobj tolerates a stream whose last byte the regex took as "\r".
            raw = zlib.decompressobj().decompress(raw)
        chunks.append(raw.decode("latin-1"))
    text = "\n".join(chunks)
    text = text.replace("\\(", "(").replace("\\)", ")").replace("\\\\", "\\")
    return text.replace("\xa0", " ")  # fpdf2 may draw the no-break space of `$ 12.500` as a space


@pytest.fixture
def invoice_order(db):
    """A hotel's invoice order from two cooperatives; the first delivered less ñame than ordered."""
    buyer = UserFactory(first_name="Lucía", last_name="Muñoz")
    hotel = make_organization(
        member=buyer,
        credit_days=30,
        credit_limit_cop=5_000_000,
        legal_name="Hotel Café Ñandú SAS",
        nit="901555222-9",
        billing_address="Calle 10 # 5-20",
    )
    seller = CooperativeFactory(
        name="Asociación Campesina del Ñame",
        nit="900123456-8",
        offers_delivery=True,
        delivery_fee_cop=8000,
        pickup_address="Vereda El Roble, kilómetro 3",
    )
    other = CooperativeFactory(name="Cooperativa Lejana", nit="860000001-8", offers_delivery=True)
    cafe = make_product(seller, name="Café especial", price_cop=32000, quantity_step=Decimal("0.5"))
    name = make_product(seller, name="Ñame espino", price_cop=3500, quantity_step=Decimal("0.5"))
    platano = make_product(other, name="Plátano hartón", price_cop=1800)
    with time_machine.travel(PLACED_AT, tick=False):
        order = place_order(
            buyer,
            [(cafe, "2"), (name, "10"), (platano, "5")],
            payment_method="invoice",
            delivery_method="delivery",
            organization=hotel,
            purchase_order_number="OC-2026-117",
        )
    part = order.fulfilments.get(cooperative=seller)
    transitions.fulfilment_transition(fulfilment=part, to=FulfilmentStatus.CONFIRMED)
    services.line_record_delivery(line=part.lines.get(product=name), delivered_quantity="9.5")
    part.refresh_from_db()
    return {"buyer": buyer, "order": order, "part": part, "seller": seller, "other": other, "hotel": hotel}


def _urls(order, part):
    return [
        reverse("orders:document", args=[order.number, part.pk]),
        reverse("orders:document", args=[order.number, part.pk]) + "?format=pdf",
        reverse("orders:document_pdf", args=[order.number, part.pk]),
    ]


def test_document_page_shows_seller_buyer_lines_totals_and_due_date(client, invoice_order):
    order, part = invoice_order["order"], invoice_order["part"]
    client.force_login(invoice_order["buyer"])
    response = client.get(reverse("orders:document", args=[order.number, part.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Asociación Campesina del Ñame" in html
    assert "NIT 900.123.456-8" in html  # seller
    assert "Vereda El Roble, kilómetro 3" in html
    assert "Hotel Café Ñandú SAS" in html
    assert "NIT 901.555.222-9" in html  # buyer
    assert "Calle 10 # 5-20" in html
    assert "Lucía Muñoz" in html
    assert "OC-2026-117" in html
    assert order.number in html
    # Ordered 10, delivered 9,5: the bill follows the delivery (9,5 x 3.500 = 33.250).
    assert "Ñame espino" in html
    assert "10 kilos" in html and "9,5 kilos" in html
    assert "$\xa03.500" in html and "$\xa033.250" in html
    assert "$\xa064.000" in html  # café: 2 x 32.000
    assert "$\xa08.000" in html  # delivery fee
    assert "$\xa0105.250" in html  # 64.000 + 33.250 + 8.000
    # The other cooperative's part is not on this document.
    assert "Plátano" not in html and "Cooperativa Lejana" not in html
    # Invoice on credit: 30 days from the Bogotá date of the order.
    document = response.context["document"]
    assert document.due_on == date(2026, 6, 3)
    assert document.total_cop == 105_250
    assert "3 jun. 2026" in html
    assert "30 días" in html
    assert "Cuenta de cobro" in html  # Spanish first
    assert reverse("orders:document_pdf", args=[order.number, part.pk]) in html


def test_document_pdf_is_a_pdf_with_the_same_content(client, invoice_order):
    order, part = invoice_order["order"], invoice_order["part"]
    client.force_login(invoice_order["buyer"])
    for url in _urls(order, part)[1:]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert (
            f'filename="cuenta-de-cobro-{order.number}-C{part.cooperative_id}.pdf"'
            in (response["Content-Disposition"])
        )
        data = response.content
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert len(data) > 1500
        assert b"/WinAnsiEncoding" in data  # accents and ñ drawn from the font's Latin-1 table
        text = pdf_text(data)
        for expected in (
            "Asociación Campesina del Ñame",
            "NIT 900.123.456-8",
            "Hotel Café Ñandú SAS",
            "NIT 901.555.222-9",
            "OC-2026-117",
            order.number,
            "Ñame espino",
            "Café especial",
            "10 kilos",
            "9,5",
            "$ 33.250",
            "$ 105.250",
            "2026-06-03",
        ):
            assert expected in text, expected
        assert "Plátano" not in text


def test_uncompressed_pdf_keeps_spanish_text_searchable(invoice_order):
    document = receipts.document_build(
        selectors.fulfilment_for_buyer(
            user=invoice_order["buyer"], number=invoice_order["order"].number, pk=invoice_order["part"].pk
        )
    )
    data = receipt_pdf.document_pdf(document, compress=False)
    assert data.startswith(b"%PDF-")
    assert "Ñame espino".encode("latin-1") in data
    assert "Hotel Café Ñandú SAS".encode("latin-1") in data


def test_characters_outside_latin1_do_not_break_the_pdf(db, invoice_order):
    invoice_order["hotel"].legal_name = "Hotel “Sol” → Mar 🌞"
    invoice_order["hotel"].save()
    document = receipts.document_build(
        selectors.fulfilment_for_buyer(
            user=invoice_order["buyer"], number=invoice_order["order"].number, pk=invoice_order["part"].pk
        )
    )
    assert 'Hotel "Sol" -> Mar ?' in pdf_text(receipt_pdf.document_pdf(document))


def test_receipt_for_a_household_cash_order(client, db):
    buyer = UserFactory(first_name="Rosa", last_name="Peña")
    coop = CooperativeFactory(name="Mujeres del Cacao", nit="")
    cacao = make_product(coop, name="Cacao en grano", price_cop=18000)
    order = place_order(buyer, [(cacao, "3")])
    part = order.fulfilments.get()
    client.force_login(buyer)
    html = client.get(reverse("orders:document", args=[order.number, part.pk])).content.decode()
    assert "Recibo" in html and "Rosa Peña" in html and "$\xa054.000" in html
    assert "Efectivo" in html or "efectivo" in html
    response = client.get(reverse("orders:document_pdf", args=[order.number, part.pk]))
    assert f'filename="recibo-{order.number}-C{coop.pk}.pdf"' in response["Content-Disposition"]


def test_transfer_receipt_shows_reference_and_account(client, db, settings):
    buyer = UserFactory()
    coop = CooperativeFactory()
    order = place_order(buyer, [(make_product(coop), "2")], payment_method="transfer")
    client.force_login(buyer)
    html = client.get(reverse("orders:document", args=[order.number, order.fulfilments.get().pk])).content
    assert order.transfer_reference.encode() in html
    assert settings.MINGA_BANK_ACCOUNT.encode() in html


def test_another_buyer_gets_404_on_every_document_url(client, invoice_order):
    order, part = invoice_order["order"], invoice_order["part"]
    client.force_login(UserFactory())
    for url in _urls(order, part):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Hotel" not in response.content


def test_organisation_colleague_who_did_not_order_gets_404(client, invoice_order):
    colleague = UserFactory()
    invoice_order["hotel"].members.create(user=colleague)
    client.force_login(colleague)
    for url in _urls(invoice_order["order"], invoice_order["part"]):
        assert client.get(url).status_code == 404


def test_fulfilment_of_another_order_under_my_order_number_is_404(client, invoice_order):
    buyer = invoice_order["buyer"]
    mine = place_order(buyer, [(make_product(CooperativeFactory()), "2")])
    client.force_login(buyer)
    foreign_part = invoice_order["part"]
    assert client.get(reverse("orders:document", args=[mine.number, foreign_part.pk])).status_code == 404
    assert client.get(reverse("orders:document", args=["MG-NOPE", foreign_part.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, invoice_order):
    response = client.get(
        reverse("orders:document", args=[invoice_order["order"].number, invoice_order["part"].pk])
    )
    assert response.status_code == 302
    assert "/cuenta/login/" in response["Location"]


def test_cooperative_member_sees_its_own_document(client, invoice_order):
    seller, part = invoice_order["seller"], invoice_order["part"]
    member = MembershipFactory(cooperative=seller, role="member").user
    client.force_login(member)
    response = client.get(reverse("orders:workspace_document", args=[seller.slug, part.pk]))
    assert response.status_code == 200
    assert b"NIT 901.555.222-9" in response.content
    pdf = client.get(reverse("orders:workspace_document_pdf", args=[seller.slug, part.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Type"] == "application/pdf"


def test_other_cooperatives_members_get_404(client, invoice_order):
    seller, other, part = invoice_order["seller"], invoice_order["other"], invoice_order["part"]
    other_part = invoice_order["order"].fulfilments.get(cooperative=other)
    # A manager of the other cooperative in the same order: its own slug with this part's pk,
    # and this cooperative's slug.
    other_manager = MembershipFactory(cooperative=other, role="manager").user
    client.force_login(other_manager)
    for url in (
        reverse("orders:workspace_document", args=[other.slug, part.pk]),
        reverse("orders:workspace_document_pdf", args=[other.slug, part.pk]),
        reverse("orders:workspace_document", args=[seller.slug, part.pk]),
        reverse("orders:workspace_document_pdf", args=[seller.slug, part.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.get(reverse("orders:workspace_document", args=[other.slug, other_part.pk])).status_code == 200
    )
    # A member of a cooperative with no part in the order; and the buyer herself.
    for user in (MembershipFactory(role="manager").user, invoice_order["buyer"]):
        client.force_login(user)
        assert (
            client.get(reverse("orders:workspace_document", args=[seller.slug, part.pk])).status_code == 404
        )


def test_buyer_order_page_links_each_cooperatives_document(client, invoice_order):
    order = invoice_order["order"]
    client.force_login(invoice_order["buyer"])
    html = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    for part in order.fulfilments.all():
        assert reverse("orders:document", args=[order.number, part.pk]) in html
        assert reverse("orders:document_pdf", args=[order.number, part.pk]) in html
