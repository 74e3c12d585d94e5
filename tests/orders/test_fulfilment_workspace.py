"""The cooperative workspace's order pages: each cooperative sees its own part and nothing else.

Outsiders (another cooperative's manager, a buyer, anyone not a member) get 404 on every
fulfilment URL, another cooperative's fulfilment id in this cooperative's URL is a 404,
and a plain member reads but every POST of hers is a 404.
"""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services, transitions
from orders.models import Fulfilment, Order, OrderStatus
from orders.urls_workspace import urlpatterns as WORKSPACE_PATTERNS
from tests.factories import UserFactory
from tests.orders.factories import make_organization, place_order

BOGOTA = ZoneInfo("America/Bogota")
OBJECT_URLS = [p.name for p in WORKSPACE_PATTERNS if "<int:pk>" in str(p.pattern)]
COOPERATIVE_URLS = [p.name for p in WORKSPACE_PATTERNS if "<int:pk>" not in str(p.pattern)]
READ_URLS = ["fulfilment_detail", "fulfilment_packing_list", "fulfilment_packing_list_pdf"]
ACTION_URLS = [name for name in OBJECT_URLS if name not in READ_URLS]


def _fulfilment(order, seller) -> Fulfilment:
    return Fulfilment.objects.get(order=order, cooperative=seller.cooperative)


LINE_URLS = [p.name for p in WORKSPACE_PATTERNS if "<int:line_pk>" in str(p.pattern)]


def _url(name, seller, fulfilment=None) -> str:
    """A line's URL names the fulfilment's first line."""
    args = [seller.cooperative.slug] + ([fulfilment.pk] if fulfilment is not None else [])
    if name in LINE_URLS:
        args.append(fulfilment.lines.order_by("pk").first().pk)
    return reverse(f"orders:{name}", args=args)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _snapshot(order) -> tuple:
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.payment_status,
        order.total_cop,
        list(order.fulfilments.order_by("pk").values_list("status", "total_cop")),
        list(order.lines.order_by("pk").values_list("status", "delivered_quantity")),
        order.events.count(),
    )


@pytest.fixture
def hotel_buyer(db):
    return UserFactory(first_name="Marta", last_name="Gómez")


@pytest.fixture
def order(seller_a, seller_b, hotel_buyer):
    """A hotel's delivery order from both cooperatives, with a PO number and notes."""
    hotel = make_organization(member=hotel_buyer, legal_name="Hotel Casa del Río SAS")
    return place_order(
        hotel_buyer,
        [(seller_a.product, "10"), (seller_b.product, "2")],
        organization=hotel,
        purchase_order_number="OC-7781",
        delivery_method="delivery",
        delivery_address="Calle 5 # 3-10, Santa Fe de Antioquia",
        notes="Entregar por la puerta de la cocina",
        payment_method="transfer",
    )


def _payload(name, fulfilment) -> dict:
    """Valid data, so that a missing permission check would really change something."""
    return {"reason": "Intruso", "line": fulfilment.lines.first().pk, "delivered_quantity": "1"}


# --- What a cooperative sees -------------------------------------------------------------


def test_list_shows_only_this_cooperatives_fulfilments_newest_first(seller_a, seller_b, order, household):
    only_b = place_order(household, [(seller_b.product, "1")])
    newer = place_order(household, [(seller_a.product, "2")])
    response = seller_a.client(as_member=True).get(_url("fulfilment_list", seller_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert only_b.number not in page
    assert page.index(newer.number) < page.index(order.number), "newest first"
    assert "Hotel Casa del Río SAS" in page and "OC-7781" in page
    assert "Rosa Pérez" in page, "a household buyer by her name"
    assert "$\xa023.450" in page, "A's own subtotal"
    assert "$\xa093.450" not in page and "$\xa083.450" not in page, "never the whole order's total"


def test_list_filters_by_status(seller_a, order, household):
    other = place_order(household, [(seller_a.product, "2")])
    transitions.fulfilment_transition(
        fulfilment=_fulfilment(other, seller_a), to="confirmed", actor=seller_a.manager
    )
    client = seller_a.client()
    page = client.get(_url("fulfilment_list", seller_a), {"status": "confirmed"}).content.decode()
    assert other.number in page and order.number not in page
    page = client.get(_url("fulfilment_list", seller_a), {"status": "nonsense"}).content.decode()
    assert other.number in page and order.number in page, "an unknown status filters nothing"


def test_a_card_order_waiting_for_payment_is_not_listed_yet(seller_a, household, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    waiting = place_order(household, [(seller_a.product, "4")], payment_method="card")
    client = seller_a.client()
    assert waiting.number not in client.get(_url("fulfilment_list", seller_a)).content.decode()
    assert client.get(_url("fulfilment_detail", seller_a, _fulfilment(waiting, seller_a))).status_code == 404


def test_detail_shows_own_lines_buyer_contact_address_notes_and_log(seller_a, order, hotel_buyer):
    fulfilment = _fulfilment(order, seller_a)
    transitions.fulfilment_transition(fulfilment=fulfilment, to="confirmed", actor=seller_a.manager)
    response = seller_a.client().get(_url("fulfilment_detail", seller_a, fulfilment))
    page = response.content.decode()
    assert "Yuca fresca" in page
    assert "Miel de abejas" not in page, "another cooperative's line"
    assert "$\xa060.000" not in page, "another cooperative's subtotal"
    assert "$\xa093.450" not in page and "$\xa0103.450" not in page, "the whole order's total"
    assert "$\xa028.450" in page, "own total: 23.450 + 5.000 delivery"
    for shown in (
        "Hotel Casa del Río SAS",
        "OC-7781",
        hotel_buyer.email,
        "Santa Fe de Antioquia",
        "puerta de la cocina",
    ):
        assert shown in page, shown
    assert order.transfer_reference in page
    assert "confirmar/" not in page, "already confirmed: no confirm button"
    assert _url("fulfilment_record_delivery", seller_a, fulfilment) in page, "a weight form per line"
    assert response.context["events"][-1].to_status == "confirmed"


def test_a_member_sees_the_detail_without_action_buttons(seller_a, order):
    fulfilment = _fulfilment(order, seller_a)
    page = (
        seller_a.client(as_member=True).get(_url("fulfilment_detail", seller_a, fulfilment)).content.decode()
    )
    assert "Yuca fresca" in page
    for name in ACTION_URLS:
        assert _url(name, seller_a, fulfilment) not in page, name


def test_packing_list_has_only_own_lines_with_ordered_and_delivered(seller_a, order):
    fulfilment = _fulfilment(order, seller_a)
    transitions.fulfilment_transition(fulfilment=fulfilment, to="confirmed", actor=seller_a.manager)
    services.line_record_delivery(
        line=fulfilment.lines.get(), delivered_quantity="9,5", actor=seller_a.manager
    )
    response = seller_a.client(as_member=True).get(_url("fulfilment_packing_list", seller_a, fulfilment))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in (
        order.number,
        "Yuca fresca",
        ">10<",
        ">9,5<",
        "Hotel Casa del Río SAS",
        "OC-7781",
        "Santa Fe de Antioquia",
        "puerta de la cocina",
    ):
        assert shown in page, shown
    assert "Miel de abejas" not in page


def _csv_rows(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "a BOM so that Excel reads the accents right"
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_csv_exports_only_this_cooperatives_lines(seller_a, seller_b, order, household):
    household.first_name = '=HYPERLINK("http://evil")'
    household.save()
    own = place_order(household, [(seller_a.product, "1,5")])
    response = seller_a.client(as_member=True).get(_url("fulfilment_csv", seller_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="pedidos-yuqueros-')
    header, *rows = _csv_rows(response)
    assert len(header) == 10
    assert "America/Bogota" in header[1]
    assert "Miel de abejas" not in response.content.decode()
    assert [row[0] for row in rows] == [own.number, order.number]
    placed = Order.objects.get(pk=order.pk).placed_at.astimezone(BOGOTA)
    number, date, buyer, product, _unit, ordered, delivered, price, total, _status = rows[1]
    assert date == placed.strftime("%Y-%m-%d %H:%M")
    assert datetime.strptime(date, "%Y-%m-%d %H:%M")
    assert buyer.startswith("Hotel Casa del Río SAS · ") and buyer.endswith(" OC-7781")
    assert (product, ordered, delivered, price, total) == ("Yuca fresca", "10", "", "2345", "23450")
    assert rows[0][5] == "1,5", "a decimal comma, as a Colombian spreadsheet reads it"
    assert rows[0][2].startswith("'="), "a formula typed by a buyer is not run by the spreadsheet"


def test_csv_follows_the_status_filter(seller_a, order, household):
    confirmed = place_order(household, [(seller_a.product, "2")])
    transitions.fulfilment_transition(
        fulfilment=_fulfilment(confirmed, seller_a), to="confirmed", actor=seller_a.manager
    )
    response = seller_a.client().get(_url("fulfilment_csv", seller_a), {"status": "confirmed"})
    _header, *rows = _csv_rows(response)
    assert [row[0] for row in rows] == [confirmed.number]


def test_fulfilment_list_runs_the_same_queries_for_5_or_30_orders(seller_a, household):
    hotel = make_organization(member=household)

    def count_queries() -> int:
        client = seller_a.client()
        client.get(_url("fulfilment_list", seller_a))  # the session and the like, once
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url("fulfilment_list", seller_a))
        assert response.status_code == 200
        return len(queries)

    for index in range(5):
        place_order(household, [(seller_a.product, "1")], organization=hotel if index % 2 else None)
    five = count_queries()
    for index in range(25):
        place_order(household, [(seller_a.product, "1")], organization=hotel if index % 2 else None)
    thirty = count_queries()
    assert Fulfilment.objects.filter(cooperative=seller_a.cooperative).count() == 30
    assert five == thirty


# --- Isolation ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_another_cooperatives_manager_gets_404_on_every_fulfilment_url(seller_a, seller_b, order, name):
    fulfilment = _fulfilment(order, seller_a)
    url = _url(name, seller_a, fulfilment)
    intruder = _client(seller_b.manager)
    before = _snapshot(order)
    assert intruder.get(url).status_code in (404, 405 if name in ACTION_URLS else 404)
    assert intruder.post(url, _payload(name, fulfilment)).status_code == 404
    assert _snapshot(order) == before


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_another_cooperatives_fulfilment_in_own_url_is_404(seller_a, seller_b, order, household, name):
    """B's fulfilment id in A's workspace URL, even for A's manager."""
    foreign = _fulfilment(place_order(household, [(seller_b.product, "1")]), seller_b)
    also_foreign = _fulfilment(order, seller_b)
    client = seller_a.client()
    for fulfilment in (foreign, also_foreign):
        url = _url(name, seller_a, fulfilment)
        before = _snapshot(fulfilment.order)
        if name in READ_URLS:
            assert client.get(url).status_code == 404
        assert client.post(url, _payload(name, fulfilment)).status_code == 404
        assert _snapshot(fulfilment.order) == before


@pytest.mark.parametrize("name", COOPERATIVE_URLS + OBJECT_URLS)
def test_a_buyer_who_is_no_member_gets_404(seller_a, order, hotel_buyer, name):
    fulfilment = _fulfilment(order, seller_a)
    url = _url(name, seller_a, fulfilment if name in OBJECT_URLS else None)
    client = _client(hotel_buyer)
    before = _snapshot(order)
    assert client.get(url).status_code in (404, 405 if name in ACTION_URLS else 404)
    assert client.post(url, _payload(name, fulfilment)).status_code == 404
    assert _snapshot(order) == before


@pytest.mark.parametrize("name", COOPERATIVE_URLS + OBJECT_URLS)
def test_a_plain_member_reads_but_every_post_is_404(seller_a, order, name):
    fulfilment = _fulfilment(order, seller_a)
    url = _url(name, seller_a, fulfilment if name in OBJECT_URLS else None)
    client = seller_a.client(as_member=True)
    if name not in ACTION_URLS:
        assert client.get(url).status_code == 200
    before = _snapshot(order)
    assert client.post(url, _payload(name, fulfilment)).status_code == 404
    assert _snapshot(order) == before


@pytest.mark.parametrize("name", COOPERATIVE_URLS + OBJECT_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(seller_a, order, name):
    fulfilment = _fulfilment(order, seller_a)
    url = _url(name, seller_a, fulfilment if name in OBJECT_URLS else None)
    response = Client().post(url, _payload(name, fulfilment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED
