"""The Market Builder's report: what each cooperative brings, packing and slot lists, CSV,
print, and marking orders handed over."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.markets import services as cms_services
from cms.models import MarketOrder
from orders import services
from orders.models import OrderEvent
from tests.cms.factories import make_builder, make_market, pickup_point
from tests.factories import CooperativeFactory, UserFactory, make_product

pytestmark = pytest.mark.django_db


def place(event, *, items, buyer=None, slot=None, delivery_address=""):
    """A buyer's order in the storefront, through the same services as the checkout."""
    buyer = buyer or UserFactory()
    cart = services.cart_get(user=buyer, create=True, channel_key=f"market:{event.pk}")
    for product, quantity in items:
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=quantity)
    choice = services.CheckoutChoice(
        delivery_method="delivery" if delivery_address else "pickup",
        payment_method="cash",
        delivery_address=delivery_address,
        slot_id=None if delivery_address else (slot or event.slots.first()).pk,
    )
    return services.order_place(buyer=buyer, cart=cart, choice=choice)


@pytest.fixture
def builder():
    return make_builder()


@pytest.fixture
def market(builder):
    frutos = CooperativeFactory(name="Frutos del Guaviare")
    pesca = CooperativeFactory(name="Piscícola La Macarena")
    araza = make_product(frutos, name="Arazá")
    copoazu = make_product(frutos, name="Copoazú")
    cachama = make_product(pesca, name="Cachama")
    closes_at = timezone.now() + timedelta(days=3)
    first = closes_at + timedelta(days=1, hours=2)
    plaza, colegio = pickup_point("Plaza de mercado"), pickup_point("Colegio Santander")
    event = make_market(
        offers=[(araza, 5000, 50), (copoazu, 7000, 20), (cachama, 12000, 30)],
        closes_at=closes_at,
        slots=[(plaza, first, 10), (colegio, first + timedelta(hours=1), 10)],
        owner=builder,
        delivery_offered=True,
        delivery_fee_cop=3000,
    )
    return event, araza, copoazu, cachama


@pytest.fixture
def orders(market, builder):
    event, araza, copoazu, cachama = market
    plaza, colegio = event.slots.order_by("starts_at")
    luz = UserFactory(first_name="Luz", last_name="Rojas", phone="+573001112233")
    ana = UserFactory(first_name="Ana", last_name="Gómez")
    first = place(event, buyer=luz, items=[(araza, "2"), (cachama, "1.5")], slot=plaza)
    second = place(event, buyer=ana, items=[(araza, "3")], slot=colegio)
    assisted = cms_services.market_order_assist(
        event=event,
        actor=builder,
        contact_name="Doña Carmen Ríos",
        contact_phone="+573101234567",
        quantities={copoazu.pk: Decimal("1")},
        delivery_method="delivery",
        payment_method="cash",
        delivery_address="Vereda El Retorno, finca La Esperanza",
    )
    cancelled = place(event, buyer=UserFactory(first_name="Cancelada"), items=[(araza, "4")])
    services.order_cancel_by_buyer(order=cancelled, buyer=cancelled.buyer)
    elsewhere = make_market(title="Otro mercado", offers=[(araza, 4000, 10)], owner=make_builder())
    intruder = place(elsewhere, buyer=UserFactory(first_name="Intrusa"), items=[(araza, "1")])
    return first, second, assisted, cancelled, intruder


def _report(client, event, **params):
    return client.get(reverse("cms_market_report", args=[event.pk]), params)


def test_consolidated_totals_per_cooperative_and_product_are_exact(client, builder, market, orders):
    event = market[0]
    client.force_login(builder)
    report = _report(client, event).context["report"]
    brings = {
        group["cooperative"]: [
            (r["product_name"], r["quantity"], r["total_cop"], r["orders"]) for r in group["lines"]
        ]
        for group in report["consolidated"]
    }
    assert brings == {
        "Frutos del Guaviare": [("Arazá", Decimal("5"), 25000, 2), ("Copoazú", Decimal("1"), 7000, 1)],
        "Piscícola La Macarena": [("Cachama", Decimal("1.5"), 18000, 1)],
    }
    assert report["order_count"] == 3
    assert report["total_cop"] == (10000 + 18000) + 15000 + (7000 + 3000)


def test_packing_list_names_buyers_and_contacts_and_never_another_markets_orders(
    client, builder, market, orders
):
    event = market[0]
    first, second, assisted, cancelled, intruder = orders
    client.force_login(builder)
    html = _report(client, event).content.decode()
    for text in ("Luz Rojas", "+573001112233", "Ana Gómez", "Doña Carmen Ríos", "+573101234567"):
        assert text in html
    assert "Vereda El Retorno, finca La Esperanza" in html
    for number in (first.number, second.number, assisted.number):
        assert f'id="pedido-{number}"' in html
    assert cancelled.number not in html and "Cancelada" not in html
    assert intruder.number not in html and "Intrusa" not in html


def test_lists_per_pickup_slot_and_for_delivery(client, builder, market, orders):
    event = market[0]
    first, second, assisted, _cancelled, _intruder = orders
    client.force_login(builder)
    report = _report(client, event).context["report"]
    per_slot = {
        group["slot"].pickup_point.name: [link.order for link in group["orders"]]
        for group in report["pickups"]
    }
    assert per_slot == {"Plaza de mercado": [first], "Colegio Santander": [second]}
    assert [link.order for link in report["delivery"]] == [assisted]


def test_csv_has_one_row_per_line_with_contacts(client, builder, market, orders):
    event = market[0]
    first, _second, assisted, _cancelled, intruder = orders
    client.force_login(builder)
    response = _report(client, event, format="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    body = rows[1:]
    assert len(body) == 4
    by_order = {}
    for row in body:
        by_order.setdefault(row[0], []).append(row)
    assert {row[6] for row in by_order[first.number]} == {"Arazá", "Cachama"}
    carmen = by_order[assisted.number][0]
    assert carmen[1:3] == ["Doña Carmen Ríos", '="+573101234567"'], "the phone stays text in Excel"
    assert (carmen[5], carmen[6], carmen[8]) == ("Frutos del Guaviare", "Copoazú", "1")
    assert intruder.number not in by_order


def test_csv_cells_cannot_run_formulas(client, builder, market):
    event, _araza, copoazu, _cachama = market
    cms_services.market_order_assist(
        event=event,
        actor=builder,
        contact_name='=HYPERLINK("http://malo.example","clic")',
        contact_phone="+573101234567",
        quantities={copoazu.pk: Decimal("1")},
        delivery_method="pickup",
        payment_method="cash",
        slot_id=event.slots.first().pk,
    )
    client.force_login(builder)
    body = _report(client, event, format="csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[1][1].startswith("'=") and rows[1][2] == '="+573101234567"'


def test_printable_version_stands_alone(client, builder, market, orders):
    event = market[0]
    client.force_login(builder)
    html = _report(client, event, format="print").content.decode()
    assert "@media print" in html and "Doña Carmen Ríos" in html
    assert "Mark handed over" not in html and "Marcar entregado" not in html


def test_report_runs_the_same_queries_for_5_or_25_orders(client, builder, market):
    event, araza, copoazu, cachama = market
    client.force_login(builder)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert _report(client, event).status_code == 200
        return len(queries)

    for _ in range(5):
        place(event, items=[(araza, "1"), (cachama, "1")])
    few = count_queries()
    first_slot, second_slot = event.slots.order_by("starts_at")
    for index in range(20):
        items = [(copoazu, "1")] if index % 2 else [(araza, "1"), (copoazu, "1")]
        if index % 4 == 0:
            place(event, items=items, delivery_address=f"Calle {index} # 1-2")
        else:
            place(event, items=items, slot=second_slot if index % 2 else first_slot)
    assert count_queries() == few


def test_an_order_is_handed_over_once(client, builder, market, orders):
    event = market[0]
    first = orders[0]
    client.force_login(builder)
    url = reverse("cms_market_hand_over", args=[event.pk, first.number])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith(f"#pedido-{first.number}")
    link = MarketOrder.objects.get(order=first)
    handed_over_at = link.handed_over_at
    assert handed_over_at is not None
    client.post(url)
    link.refresh_from_db()
    assert link.handed_over_at == handed_over_at
    events = OrderEvent.objects.filter(order=first, reason=cms_services.HANDED_OVER_REASON)
    assert events.count() == 1 and events.get().actor == builder
    assert first.fulfilments.filter(status="handed_over").count() == 0
    html = _report(client, event).content.decode()
    assert reverse("cms_market_hand_over", args=[event.pk, first.number]) not in html


def test_a_cancelled_or_foreign_order_cannot_be_handed_over(client, builder, market, orders):
    event = market[0]
    _first, _second, _assisted, cancelled, intruder = orders
    client.force_login(builder)
    for order in (cancelled, intruder):
        client.post(reverse("cms_market_hand_over", args=[event.pk, order.number]))
    assert not MarketOrder.objects.filter(handed_over_at__isnull=False).exists()
    other_builder = make_builder()
    client.force_login(other_builder)
    response = client.post(reverse("cms_market_hand_over", args=[event.pk, orders[0].number]))
    assert response.status_code == 404


def test_the_report_says_ordered_and_delivered_apart_with_dates_in_words(client, builder, market, orders):
    from orders.models import OrderLine

    event = market[0]
    araza_lines = OrderLine.objects.filter(order__market_link__event=event, product_name="Arazá").order_by(
        "pk"
    )
    first = araza_lines.first()
    OrderLine.objects.filter(pk=first.pk).update(delivered_quantity=first.quantity - Decimal("0.5"))
    client.force_login(builder)
    response = _report(client, event)
    rows = {r["product_name"]: r for g in response.context["report"]["consolidated"] for r in g["lines"]}
    assert rows["Arazá"]["quantity"] == Decimal("5")
    assert rows["Arazá"]["delivered"] == first.quantity - Decimal("0.5")
    assert (rows["Arazá"]["delivered_lines"], rows["Arazá"]["lines"]) == (1, 2)
    assert rows["Copoazú"]["delivered_lines"] == 0
    html = response.content.decode()
    assert "<th>Cantidad pedida</th><th>Cantidad entregada</th>" in html
    slot = event.slots.first()
    assert f"{timezone.localtime(slot.starts_at).day} de " in html  # "19 de diciembre de 2026"
    # The CSV opens in a Colombian spreadsheet: semicolons, decimal commas.
    csv_text = _report(client, event, format="csv").content.decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    header = csv_rows[0]
    ordered, delivered = header.index("Cantidad pedida"), header.index("Cantidad entregada")
    assert delivered == ordered + 1
    arazá = [row for row in csv_rows[1:] if "Arazá" in row]
    assert sorted(row[delivered] for row in arazá) == sorted(
        ["", f"{(first.quantity - Decimal('0.5')).normalize():f}".replace(".", ",")]
    )
