"""The packing list prints well (print styles, nothing but the list on paper) and downloads
as a PDF that names the buyer, the handover and each line to pack, and only this
cooperative's lines that are still to deliver."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from orders import services, transitions
from orders.models import Fulfilment
from orders.packing import packing_list
from orders.receipt_pdf import packing_list_pdf
from orders.selectors import cooperative_fulfilment
from tests.factories import make_product
from tests.orders.factories import place_order

CSS = Path(settings.BASE_DIR) / "static" / "css" / "minga.css"


def _fulfilment(order, seller) -> Fulfilment:
    return Fulfilment.objects.get(order=order, cooperative=seller.cooperative)


def _two_line_order(seller_a, seller_b, household):
    extra = make_product(seller_a.cooperative, name="Ñame espino", price_cop=3000)
    return place_order(
        household,
        [(seller_a.product, "2,5"), (extra, "1"), (seller_b.product, "1")],
        notes="Llamar al llegar",
    )


def test_the_pdf_names_the_buyer_and_only_this_cooperatives_lines_to_deliver(seller_a, seller_b, household):
    order = _two_line_order(seller_a, seller_b, household)
    fulfilment = _fulfilment(order, seller_a)
    transitions.fulfilment_transition(fulfilment=fulfilment, to="confirmed", actor=seller_a.manager)
    services.line_reject(
        line=fulfilment.lines.get(product_name="Ñame espino"), actor=seller_a.manager, reason="Se dañó"
    )

    packing = packing_list(
        cooperative_fulfilment(cooperative=seller_a.cooperative, pk=fulfilment.pk),
        cooperative=seller_a.cooperative,
    )
    text = packing_list_pdf(packing, compress=False).decode("latin-1")

    assert text.startswith("%PDF")
    for shown in ("Lista de empaque", order.number, "Rosa P", "Yuca fresca", "2,5", "Llamar al llegar"):
        assert shown in text, shown
    assert "Ñame espino" not in text
    assert "Miel de abejas" not in text


def test_the_page_links_its_pdf_which_downloads(seller_a, household):
    order = place_order(household, [(seller_a.product, "3")])
    fulfilment = _fulfilment(order, seller_a)
    client = seller_a.client(as_member=True)
    page = client.get(
        reverse("orders:fulfilment_packing_list", args=["yuqueros", fulfilment.pk])
    ).content.decode()
    pdf_url = reverse("orders:fulfilment_packing_list_pdf", args=["yuqueros", fulfilment.pk])
    assert f'href="{pdf_url}"' in page

    response = client.get(pdf_url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="empaque-{order.number}-yuqueros.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")


def test_another_cooperatives_packing_pdf_is_a_404(seller_a, seller_b, household):
    order = place_order(household, [(seller_b.product, "1")])
    theirs = _fulfilment(order, seller_b)
    url = reverse("orders:fulfilment_packing_list_pdf", args=["yuqueros", theirs.pk])
    assert seller_a.client().get(url).status_code == 404
    own_url_with_their_slug = reverse("orders:fulfilment_packing_list_pdf", args=["apicola", theirs.pk])
    assert seller_a.client().get(own_url_with_their_slug).status_code == 404


def test_on_paper_only_the_list_is_printed_with_ruled_cells():
    css = CSS.read_text()
    prints = " ".join(re.findall(r"@media print\{(.*?\})\}", css))
    for hidden in (".site-header", ".site-footer", ".tabs", ".actions", "form"):
        assert hidden in prints, hidden
    assert ".packing-lines td" in prints and "border:1px solid #000" in prints
