"""The cooperative's statement: sold, collected by method, and owed by Minga, in exact pesos."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services, statements, transitions
from orders.models import FulfilmentStatus, Order, OrderStatus, PaymentStatus
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.orders.factories import make_organization, pay_every_part, place_order

MAY = "2026-05-{day} 10:00 -0500"


def _place(buyer, items, when, **kwargs):
    with time_machine.travel(when, tick=False):
        return place_order(buyer, items, **kwargs)


def _card_paid(order: Order) -> Order:
    """What the Stripe webhook leaves behind for a captured card payment (tested with Stripe)."""
    transitions.order_transition(order=order, to=OrderStatus.PLACED)
    Order.objects.filter(pk=order.pk).update(
        payment_status=PaymentStatus.PAID, authorised_cop=order.total_cop, paid_cop=order.total_cop
    )
    return order


@pytest.fixture
def sales(db, settings):
    """May 2026 for one cooperative, across every payment method (yuca at $ 2.500 per kg)."""
    settings.STRIPE_SECRET_KEY = "sk_test_statement"
    coop = CooperativeFactory(name="Asociación Yuquera", offers_delivery=True, delivery_fee_cop=3000)
    neighbour = CooperativeFactory(name="Vecinos")
    yuca = make_product(coop, name="Yuca", price_cop=2500, stock=Decimal("500"))
    guama = make_product(neighbour, name="Guama", price_cop=4000, stock=Decimal("500"))
    buyer = UserFactory()
    hotel_buyer = UserFactory()
    hotel = make_organization(member=hotel_buyer, credit_days=15, credit_limit_cop=1_000_000)

    cash_paid = _place(buyer, [(yuca, "4")], MAY.format(day="02"))  # 10.000
    pay_every_part(cash_paid)
    _place(buyer, [(yuca, "2"), (guama, "3")], MAY.format(day="03"))  # 5.000 ours, unpaid
    transfer_paid = _place(  # 20.000 + 3.000 delivery
        buyer, [(yuca, "8")], MAY.format(day="04"), payment_method="transfer", delivery_method="delivery"
    )
    pay_every_part(transfer_paid)
    _place(buyer, [(yuca, "3")], MAY.format(day="05"), payment_method="transfer")  # 7.500 unpaid
    _place(  # 30.000 on credit, unpaid
        hotel_buyer, [(yuca, "12")], MAY.format(day="06"), payment_method="invoice", organization=hotel
    )
    invoice_paid = _place(  # 12.500 on credit, paid
        hotel_buyer, [(yuca, "5")], MAY.format(day="07"), payment_method="invoice", organization=hotel
    )
    pay_every_part(invoice_paid)
    _card_paid(_place(buyer, [(yuca, "16")], MAY.format(day="08"), payment_method="card"))  # 40.000

    # Not sales: a card order still waiting for payment, a rejected part, a cancelled order,
    # other months (by Bogotá date), and the neighbour's own order.
    _place(buyer, [(yuca, "4")], MAY.format(day="09"), payment_method="card")
    rejected = _place(buyer, [(yuca, "2")], MAY.format(day="10"))
    transitions.fulfilment_transition(fulfilment=rejected.fulfilments.get(), to=FulfilmentStatus.REJECTED)
    cancelled = _place(buyer, [(yuca, "6")], MAY.format(day="11"), payment_method="transfer")
    services.order_cancel_by_buyer(order=cancelled, buyer=buyer)
    _place(buyer, [(yuca, "10")], "2026-04-30 23:30 -0500")
    _place(buyer, [(yuca, "10")], "2026-06-01 00:10 -0500")
    _place(buyer, [(guama, "10")], MAY.format(day="12"))
    # Late on the last day in Bogotá is already June in UTC: still May's (delivered 2 of 2,5 kg).
    late = _place(buyer, [(yuca, "2.5")], "2026-05-31 23:30 -0500", payment_method="transfer")
    part = late.fulfilments.get()
    transitions.fulfilment_transition(fulfilment=part, to=FulfilmentStatus.CONFIRMED)
    services.line_record_delivery(line=part.lines.get(), delivered_quantity="2")  # 5.000
    pay_every_part(late)
    return {"coop": coop, "neighbour": neighbour, "yuca": yuca, "buyer": buyer}


EXPECTED = {
    # method: (orders, sold, collected, not yet collected, owed by Minga)
    "cash": (2, 15_000, 10_000, 5_000, 0),
    "transfer": (3, 35_500, 28_000, 7_500, 28_000),
    "invoice": (2, 42_500, 12_500, 30_000, 12_500),
    "card": (1, 40_000, 40_000, 0, 40_000),
}


def test_statement_figures_by_method_in_exact_pesos(sales):
    statement = statements.statement_build(
        cooperative=sales["coop"], start=date(2026, 5, 1), end=date(2026, 5, 31)
    )
    figures = {
        row.method: (row.count, row.sold_cop, row.collected_cop, row.outstanding_cop, row.owed_cop)
        for row in statement.rows
    }
    assert figures == EXPECTED
    assert statement.count == 8
    assert statement.sold_cop == 133_000
    assert statement.collected_cop == 90_500
    assert statement.outstanding_cop == 42_500
    assert statement.owed_cop == 80_500
    assert len(statement.fulfilments) == 8
    assert {f.cooperative_id for f in statement.fulfilments} == {sales["coop"].pk}


def test_a_shorter_period_counts_only_its_days(sales):
    statement = statements.statement_build(
        cooperative=sales["coop"], start=date(2026, 5, 4), end=date(2026, 5, 4)
    )
    assert (statement.count, statement.sold_cop, statement.owed_cop) == (1, 23_000, 23_000)


def test_statement_page_for_a_manager(client, sales):
    coop = sales["coop"]
    client.force_login(MembershipFactory(cooperative=coop, role="manager").user)
    response = client.get(
        reverse("orders:statement", args=[coop.slug]), {"from": "2026-05-01", "to": "2026-05-31"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for pesos in ("$\xa0133.000", "$\xa090.500", "$\xa042.500", "$\xa080.500", "$\xa035.500", "$\xa028.000"):
        assert pesos in html, pesos
    assert "Efectivo" in html or "efectivo" in html
    assert "Guama" not in html and "Vecinos" not in html.split("<main", 1)[1]


def test_statement_defaults_to_the_current_bogota_month(client, sales):
    coop = sales["coop"]
    client.force_login(MembershipFactory(cooperative=coop, role="manager").user)
    with time_machine.travel("2026-05-20 09:00 -0500", tick=False):
        response = client.get(reverse("orders:statement", args=[coop.slug]))
    assert response.status_code == 200
    statement = response.context["statement"]
    assert (statement.start, statement.end) == (date(2026, 5, 1), date(2026, 5, 31))
    assert statement.sold_cop == 133_000


def test_statement_csv(client, sales):
    coop = sales["coop"]
    client.force_login(MembershipFactory(cooperative=coop, role="manager").user)
    response = client.get(
        reverse("orders:statement", args=[coop.slug]),
        {"from": "2026-05-01", "to": "2026-05-31", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "estado-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1][1:] == ["8", "133000", "90500", "42500", "80500"]
    assert len(rows) == 6  # header, four methods, total


@pytest.mark.parametrize(
    "params", [{"from": "2026-13-01"}, {"from": "ayer"}, {"from": "2026-05-31", "to": "2026-05-01"}]
)
def test_bad_dates_are_refused_with_a_message(client, sales, params):
    coop = sales["coop"]
    client.force_login(MembershipFactory(cooperative=coop, role="manager").user)
    response = client.get(reverse("orders:statement", args=[coop.slug]), params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_statement_is_for_managers_of_that_cooperative_only(client, sales):
    url = reverse("orders:statement", args=[sales["coop"].slug])
    for user in (
        MembershipFactory(cooperative=sales["coop"], role="member").user,
        MembershipFactory(cooperative=sales["neighbour"], role="manager").user,
        sales["buyer"],
        UserFactory(is_staff=False),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(url, {"format": "csv"}).status_code == 404


def test_statement_runs_a_constant_number_of_queries(client, sales):
    coop = sales["coop"]
    client.force_login(MembershipFactory(cooperative=coop, role="manager").user)
    url = reverse("orders:statement", args=[coop.slug])
    params = {"from": "2026-05-01", "to": "2026-05-31"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        client.get(url, params)
    for day in range(13, 23):
        order = _place(sales["buyer"], [(sales["yuca"], "2")], MAY.format(day=day), payment_method="transfer")
        pay_every_part(order)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, params)
    assert response.context["statement"].count == 18
    assert len(many.captured_queries) == len(few.captured_queries)
