"""How a catalogue order is handed over, on every page and e-mail about it.

A pickup is at each cooperative of the order (its pickup address and municipality, or
"at the cooperative" when it gave no address); a delivery at the address the buyer gave.
Market orders (a pickup slot's place and window) are in tests/cms/test_handover_market.py.
"""

import datetime
from urllib.parse import quote_plus

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import receipt_pdf, receipts, selectors
from orders.handover import Handover, handovers_for, time_window
from tests.orders.factories import place_order
from tests.orders.test_documents import pdf_text

BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pickup(seller_a, seller_b, household):
    """Rosa picks up from two cooperatives; the honey cooperative gave no pickup address."""
    seller_b.cooperative.pickup_address = ""
    seller_b.cooperative.save()
    return place_order(household, [(seller_a.product, "2"), (seller_b.product, "1")])


@pytest.fixture
def delivery(seller_a, household):
    return place_order(
        household,
        [(seller_a.product, "3")],
        delivery_method="delivery",
        delivery_address="Calle 50 # 12-30, Anorí",
    )


# --- The handover itself -----------------------------------------------------------------


def test_time_window_in_words_in_bogota(settings):
    settings.LANGUAGE_CODE = "es"
    start = datetime.datetime(2031, 12, 13, 13, 0, tzinfo=datetime.UTC)  # 8:00 in Bogotá
    assert (
        time_window(start, start + datetime.timedelta(hours=1))
        == "sábado 13 de diciembre, de 8:00 a 9:00\xa0a.\xa0m."  # the hour and "a. m." never part
    )
    assert (
        time_window(start + datetime.timedelta(hours=3), start + datetime.timedelta(hours=5, minutes=30))
        == "sábado 13 de diciembre, de 11:00\xa0a.\xa0m. a 1:30\xa0p.\xa0m."
    )


def test_map_link_searches_the_address_and_municipality():
    handover = Handover(kind="pickup", place="Parque", address="Calle 8 # 22-10", municipality="San José")
    assert handover.map_url == (
        "https://www.google.com/maps/search/?api=1&query=" + quote_plus("Calle 8 # 22-10, San José")
    )
    # The municipality is not repeated when the address already names it; no address, no map.
    assert Handover(kind="delivery", address="Calle 1, Anorí", municipality="Anorí").where == "Calle 1, Anorí"
    assert Handover(kind="pickup", place="Cooperativa").map_url == ""


def test_catalogue_pickup_is_at_each_cooperative(pickup, seller_a, seller_b):
    handover = handovers_for([pickup])[pickup.pk]
    assert handover.is_pickup and handover.starts_at is None and handover.ics_url == ""
    places = {place.cooperative_id: place for place in handover.places}
    assert (
        places[seller_a.cooperative.pk].address == "Bodega de Asociación Yuqueros del Sinú, vereda El Retiro"
    )
    assert places[seller_a.cooperative.pk].municipality == "Anorí"
    assert places[seller_b.cooperative.pk].address == ""
    assert (
        places[seller_b.cooperative.pk].title == "Recogida en la cooperativa Cooperativa Apícola La Montaña"
    )
    # A cooperative sees its own place only.
    assert handover.for_cooperative(seller_b.cooperative.pk).places == (places[seller_b.cooperative.pk],)


def test_handovers_for_many_orders_take_one_query(seller_a, household, django_assert_num_queries):
    orders = [place_order(household, [(seller_a.product, "1")]) for _ in range(4)]
    orders.append(place_order(household, [(seller_a.product, "1")], delivery_method="delivery"))
    with django_assert_num_queries(1):
        handovers = handovers_for(orders)
    assert [h.kind for h in handovers.values()] == ["pickup"] * 4 + ["delivery"]


# --- The buyer's pages ---------------------------------------------------------------------


def test_order_page_shows_each_pickup_place_with_a_map(pickup, household):
    html = _client(household).get(reverse("orders:detail", args=[pickup.number])).content.decode()
    assert "Recogida en la cooperativa Asociación Yuqueros del Sinú" in html
    assert "Bodega de Asociación Yuqueros del Sinú, vereda El Retiro, Anorí" in html
    assert "Recogida en la cooperativa Cooperativa Apícola La Montaña" in html
    assert "https://www.google.com/maps/search/?api=1&amp;query=Bodega" in html
    # No window at a cooperative: nothing to put in a calendar.
    assert reverse("orders:calendar", args=[pickup.number]) not in html


def test_order_page_and_list_show_the_delivery_address(delivery, household):
    client = _client(household)
    html = client.get(reverse("orders:detail", args=[delivery.number])).content.decode()
    assert "Entrega a domicilio" in html and "Calle 50 # 12-30, Anorí" in html
    listing = client.get(reverse("orders:list")).content.decode()
    assert "Entrega a domicilio<br><small>Calle 50 # 12-30, Anorí</small>" in listing


def test_order_list_runs_the_same_queries_for_2_or_8_orders(seller_a, seller_b, household):
    client = _client(household)

    def count() -> int:
        client.get(reverse("orders:list"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("orders:list"))
        assert response.status_code == 200
        return len(queries)

    place_order(household, [(seller_a.product, "1"), (seller_b.product, "1")])
    place_order(household, [(seller_a.product, "1")], delivery_method="delivery")
    two = count()
    for index in range(6):
        place_order(
            household, [(seller_b.product, "1")], delivery_method="delivery" if index % 2 else "pickup"
        )
    assert count() == two


def test_calendar_of_a_catalogue_pickup_is_404(pickup, household):
    response = _client(household).get(reverse("orders:calendar", args=[pickup.number]))
    assert response.status_code == 404


# --- Receipts -------------------------------------------------------------------------------


def test_receipt_page_and_pdf_show_the_cooperatives_own_pickup_place(pickup, household, seller_a, seller_b):
    part = pickup.fulfilments.get(cooperative=seller_a.cooperative)
    html = _client(household).get(reverse("orders:document", args=[pickup.number, part.pk])).content.decode()
    assert "Bodega de Asociación Yuqueros del Sinú, vereda El Retiro, Anorí" in html
    assert "Cooperativa Apícola La Montaña" not in html  # the other cooperative's place is not its receipt's

    document = receipts.document_build(
        selectors.fulfilment_for_buyer(user=household, number=pickup.number, pk=part.pk)
    )
    text = pdf_text(receipt_pdf.document_pdf(document, compress=False))
    assert "Recogida en la cooperativa Asociaci" in text
    assert "vereda El Retiro, Anor" in text


def test_receipt_pdf_shows_the_delivery_address(delivery, household):
    part = delivery.fulfilments.get()
    response = _client(household).get(reverse("orders:document_pdf", args=[delivery.number, part.pk]))
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content) if response.streaming else response.content)
    assert "Entrega a domicilio" in text and "Calle 50 # 12-30, Anor" in text


# --- The cooperative's pages -------------------------------------------------------------


@pytest.mark.parametrize("name", ["orders:fulfilment_detail", "orders:fulfilment_packing_list"])
def test_cooperative_pages_show_its_own_pickup_place(pickup, seller_a, seller_b, name):
    part = pickup.fulfilments.get(cooperative=seller_b.cooperative)
    html = seller_b.client().get(reverse(name, args=[seller_b.cooperative.slug, part.pk])).content.decode()
    assert "Recogida en la cooperativa Cooperativa Apícola La Montaña" in html
    assert "Recogida: –" not in html
    assert "Bodega de Asociación Yuqueros" not in html  # not the other cooperative's


@pytest.mark.parametrize("name", ["orders:fulfilment_detail", "orders:fulfilment_packing_list"])
def test_cooperative_pages_show_the_delivery_address(delivery, seller_a, name):
    part = delivery.fulfilments.get()
    html = seller_a.client().get(reverse(name, args=[seller_a.cooperative.slug, part.pk])).content.decode()
    assert "Entrega a domicilio" in html and "Calle 50 # 12-30, Anorí" in html


# --- E-mails -------------------------------------------------------------------------------

BUYER_EMAILS = ["order_placed", "order_confirmed", "order_changed", "order_ready"]


@pytest.mark.parametrize("template", BUYER_EMAILS)
def test_buyer_emails_say_where_to_pick_up(pickup, template):
    context = {
        "order": pickup,
        "url": "https://minga.example/pedidos/x/",
        "site_url": "https://minga.example",
    }
    text = render_to_string(f"orders/email/{template}.txt", context)
    html = render_to_string(f"orders/email/{template}.html", context)
    for body in (text, html):
        assert "Recogida en la cooperativa Asociación Yuqueros del Sinú" in body
        assert "vereda El Retiro, Anorí" in body
        assert "Recogida en la cooperativa Cooperativa Apícola La Montaña" in body
    assert "Mapa: https://www.google.com/maps/search/?api=1&query=" in text


@pytest.mark.parametrize("template", BUYER_EMAILS)
def test_buyer_emails_say_where_it_is_delivered(delivery, template):
    text = render_to_string(f"orders/email/{template}.txt", {"order": delivery, "url": "u"})
    assert "Entrega a domicilio\nCalle 50 # 12-30, Anorí\n" in text


def test_the_cooperatives_new_order_email_says_where_to_deliver(delivery):
    fulfilment = delivery.fulfilments.get()
    text = render_to_string("orders/email/fulfilment_new.txt", {"order": delivery, "fulfilment": fulfilment})
    assert "Entrega a domicilio\nCalle 50 # 12-30, Anorí" in text


def test_times_are_in_bogota_whatever_zone_is_active(settings):
    start = datetime.datetime(2031, 12, 13, 8, 0, tzinfo=BOGOTA)
    with timezone.override("UTC"):
        handover = Handover(kind="pickup", starts_at=start, ends_at=start + datetime.timedelta(minutes=90))
        assert handover.when == "sábado 13 de diciembre, de 8:00 a 9:30\xa0a.\xa0m."
