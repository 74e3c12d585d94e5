"""A market order's pickup slot (place, address, day and window) or delivery, wherever the
buyer and the cooperative look: her order page and history, receipts, the cooperative's
pages, the market packing list, every e-mail; and her slot as a calendar file (.ics).
"""

import datetime
from urllib.parse import quote_plus

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.models import MarketOrder, PickupPoint
from market.models import Municipality
from orders import receipt_pdf, receipts, selectors, services
from orders.handover import handovers_for
from tests.cms.factories import make_market
from tests.cms.test_cooperative_market import Side, place_market_order
from tests.factories import UserFactory
from tests.orders.test_documents import pdf_text

BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))
# Saturday 13 December 2031, 8:00 to 9:00 in Bogotá (13:00 to 14:00 UTC).
SLOT_START = datetime.datetime(2031, 12, 13, 8, 0, tzinfo=BOGOTA)
DAY_AND_WINDOW = "Sábado 13 de diciembre, de 8:00 a 9:00 a. m."
ADDRESS = "Calle 8 # 22-10, San José del Guaviare"
INSTRUCTIONS = "Entrada por la calle lateral, junto a la tienda"


@pytest.fixture
def world(db):
    a = Side("Frutos del Guaviare", "frutos", "Arazá", 6000)
    point = PickupPoint.objects.create(
        name="Parque principal",
        address="Calle 8 # 22-10",
        municipality=Municipality.objects.get(code="95001"),
        instructions=INSTRUCTIONS,
    )
    event = make_market(
        title="Mercado del Guaviare",
        offers=[(a.product, 5000, 50)],
        slots=[(point, SLOT_START, 20)],
        delivery_offered=True,
    )
    rosa = UserFactory(first_name="Rosa", last_name="Pérez", email="rosa@example.org")
    luz = UserFactory(first_name="Luz", last_name="Gómez", email="luz@example.org")
    return {
        "a": a,
        "event": event,
        "rosa": rosa,
        "luz": luz,
        "pickup": place_market_order(rosa, event, [(a.product, 2)]),
        "delivery": place_market_order(luz, event, [(a.product, 1)], delivery_method="delivery"),
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client, url) -> str:
    """The page's text; times keep their no-break spaces ("8:00\xa0a.\xa0m."), read as spaces here."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode().replace("\xa0", " ")


def assert_shows_the_slot(html: str):
    assert "Recogida en Parque principal" in html
    assert ADDRESS in html
    assert DAY_AND_WINDOW in html
    assert INSTRUCTIONS in html


def assert_shows_the_delivery(html: str, event):
    assert "Entrega a domicilio" in html
    assert "Carrera 20 # 8-15, San José" in html
    # The market's day, in words.
    assert f"{event.market_day.day} de " in html


# --- The handover ----------------------------------------------------------------------------


def test_a_market_pickup_is_its_slot(world):
    handover = handovers_for([world["pickup"]])[world["pickup"].pk]
    assert handover.place == "Parque principal"
    assert handover.starts_at == SLOT_START and handover.ends_at == SLOT_START + datetime.timedelta(hours=1)
    assert handover.map_url == "https://www.google.com/maps/search/?api=1&query=" + quote_plus(ADDRESS)
    assert handover.ics_url == reverse("orders:calendar", args=[world["pickup"].number])


def test_a_market_delivery_is_on_market_day(world):
    handover = handovers_for([world["delivery"]])[world["delivery"].pk]
    assert handover.is_delivery and handover.day == world["event"].market_day
    assert handover.address == "Carrera 20 # 8-15, San José" and handover.ics_url == ""


def test_a_removed_slot_still_says_what_she_booked(world):
    link = MarketOrder.objects.get(order=world["pickup"])
    link.slot = None
    link.save()
    handover = handovers_for([world["pickup"]])[world["pickup"].pk]
    assert handover.is_pickup and handover.place == link.slot_label and handover.starts_at is None


def test_handovers_of_market_and_catalogue_orders_take_one_query_a_channel(world, django_assert_num_queries):
    orders = [world["pickup"], world["delivery"]]
    with django_assert_num_queries(1):
        assert len(handovers_for(orders)) == 2


# --- The buyer's pages ------------------------------------------------------------------------


def test_order_page_shows_the_slot_map_and_calendar(world):
    order = world["pickup"]
    html = _get(_client(world["rosa"]), reverse("orders:detail", args=[order.number]))
    assert_shows_the_slot(html)
    assert "https://www.google.com/maps/search/?api=1&amp;query=Calle+8+%23+22-10" in html
    assert f'href="{reverse("orders:calendar", args=[order.number])}"' in html
    assert "Agregar a mi calendario" in html


def test_order_page_shows_the_delivery(world):
    html = _get(_client(world["luz"]), reverse("orders:detail", args=[world["delivery"].number]))
    assert_shows_the_delivery(html, world["event"])
    assert "Agregar a mi calendario" not in html


def test_order_list_shows_day_and_place(world):
    html = _get(_client(world["rosa"]), reverse("orders:list"))
    assert "Parque principal<br><small>" + DAY_AND_WINDOW in html
    html = _get(_client(world["luz"]), reverse("orders:list"))
    assert "Entrega a domicilio<br><small>Carrera 20 # 8-15, San José" in html
    assert f"{world['event'].market_day.day} de " in html


def test_order_list_runs_the_same_queries_for_1_or_6_market_orders(world):
    a, event, rosa = world["a"], world["event"], world["rosa"]
    client = _client(rosa)

    def count() -> int:
        client.get(reverse("orders:list"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("orders:list"))
        return len(queries)

    one = count()
    for index in range(5):
        place_market_order(
            rosa, event, [(a.product, 1)], delivery_method="delivery" if index % 2 else "pickup"
        )
    assert count() == one


def test_receipt_page_and_pdf_show_the_slot(world):
    order, rosa = world["pickup"], world["rosa"]
    part = order.fulfilments.get()
    html = _get(_client(rosa), reverse("orders:document", args=[order.number, part.pk]))
    assert_shows_the_slot(html)
    document = receipts.document_build(
        selectors.fulfilment_for_buyer(user=rosa, number=order.number, pk=part.pk)
    )
    text = pdf_text(receipt_pdf.document_pdf(document, compress=False))
    assert "Recogida en Parque principal" in text
    assert "bado 13 de diciembre, de 8:00 a 9:00 a. m." in text
    assert "Calle 8 # 22-10, San Jos" in text and "Entrada por la calle lateral" in text


# --- The calendar file --------------------------------------------------------------------------


def test_calendar_file_holds_her_slot(world):
    order = world["pickup"]
    response = _client(world["rosa"]).get(reverse("orders:calendar", args=[order.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="recogida-{order.number}.ics"' in response["Content-Disposition"]
    body = response.content.decode()
    unfolded = body.replace("\r\n ", "")
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT" in body
    assert "DTSTART:20311213T130000Z\r\n" in body
    assert "DTEND:20311213T140000Z\r\n" in body
    assert f"SUMMARY:Recoger el pedido {order.number} · Parque principal\r\n" in unfolded
    assert "LOCATION:Parque principal\\, Calle 8 # 22-10\\, San José del Guaviare\r\n" in unfolded
    assert f"UID:order-{order.number}@minga" in body


def test_another_buyers_calendar_is_404_and_anonymous_signs_in_first(world):
    url = reverse("orders:calendar", args=[world["pickup"].number])
    other = _client(world["luz"]).get(url)
    assert other.status_code == 404
    assert world["pickup"].number not in other.content.decode()
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/cuenta/" in anonymous["Location"]


def test_no_calendar_for_a_delivery_or_a_cancelled_order(world):
    luz = _client(world["luz"])
    assert luz.get(reverse("orders:calendar", args=[world["delivery"].number])).status_code == 404
    order = world["pickup"]
    services.order_cancel_by_buyer(order=order, buyer=world["rosa"])
    rosa = _client(world["rosa"])
    assert rosa.get(reverse("orders:calendar", args=[order.number])).status_code == 404
    assert "Agregar a mi calendario" not in _get(rosa, reverse("orders:detail", args=[order.number]))


# --- The cooperative's pages ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["orders:fulfilment_detail", "orders:fulfilment_packing_list"])
def test_cooperative_order_pages_show_the_slot(world, name):
    a = world["a"]
    part = world["pickup"].fulfilments.get()
    html = _get(a.client(), reverse(name, args=[a.cooperative.slug, part.pk]))
    assert_shows_the_slot(html)
    assert "Recogida: –" not in html
    assert "Agregar a mi calendario" not in html  # the buyer's calendar, not hers


@pytest.mark.parametrize("name", ["orders:fulfilment_detail", "orders:fulfilment_packing_list"])
def test_cooperative_order_pages_show_the_delivery(world, name):
    a = world["a"]
    part = world["delivery"].fulfilments.get()
    assert_shows_the_delivery(
        _get(a.client(), reverse(name, args=[a.cooperative.slug, part.pk])), world["event"]
    )


def test_market_packing_list_shows_slot_and_delivery(world):
    a, event = world["a"], world["event"]
    html = _get(a.client(), reverse("cms:workspace_market_packing", args=[a.cooperative.slug, event.pk]))
    assert "Recogida en Parque principal" in html and DAY_AND_WINDOW in html
    assert "Entrega a domicilio: Carrera 20 # 8-15, San José" in html


# --- E-mails ---------------------------------------------------------------------------------

SITE = "https://minga.example"


def _render(template: str, order, **extra) -> tuple[str, str]:
    context = {"order": order, "url": f"{SITE}/pedidos/{order.number}/", "site_url": SITE, **extra}
    text, html = render_to_string(f"{template}.txt", context), render_to_string(f"{template}.html", context)
    return text.replace("\xa0", " "), html.replace("\xa0", " ")


@pytest.mark.parametrize(
    "template",
    [
        "orders/email/order_placed",
        "orders/email/order_confirmed",
        "orders/email/order_changed",
        "orders/email/order_ready",
    ],
)
def test_order_emails_carry_the_slot_and_the_calendar_link(world, settings, template):
    settings.SITE_URL = SITE
    order = world["pickup"]
    text, html = _render(template, order)
    for body in (text, html):
        assert_shows_the_slot(body)
        assert f"{SITE}{reverse('orders:calendar', args=[order.number])}" in body
    assert f"Agregar a mi calendario: {SITE}/" in text
    assert "Mapa: https://www.google.com/maps/search/?api=1&query=Calle+8" in text
    delivery_text, _html = _render(template, world["delivery"])
    assert_shows_the_delivery(delivery_text, world["event"])


def test_pickup_reminder_carries_the_slot(world, settings):
    settings.SITE_URL = SITE
    order = world["pickup"]
    link = MarketOrder.objects.get(order=order)
    extra = {
        "link": link,
        "event": world["event"],
        "market_title": "Mercado del Guaviare",
        "lines": order.lines.all(),
    }
    text, html = _render("cms/email/pickup_reminder", order, **extra)
    for body in (text, html):
        assert_shows_the_slot(body)
        assert reverse("orders:calendar", args=[order.number]) in body
    delivery = world["delivery"]
    extra["link"] = MarketOrder.objects.get(order=delivery)
    delivery_text, delivery_html = _render("cms/email/pickup_reminder", delivery, **extra)
    assert_shows_the_delivery(delivery_text, world["event"])
    assert_shows_the_delivery(delivery_html, world["event"])
