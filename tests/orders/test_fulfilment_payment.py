"""Offline payments are recorded part by part: each cooperative records its own.

An order with lines from two cooperatives, paid in cash, by transfer or on credit: each
cooperative's manager presses "Payment received" for her own part only. The order is
paid once every part that still counts is; until then it says how much arrived, and no
cooperative sees anything of the other's.
"""

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from market.money import format_cop
from orders import receipts, selectors, services, statements, transitions
from orders.exceptions import PaymentError
from orders.models import Fulfilment, FulfilmentStatus, Order, OrderEvent, OrderStatus, PaymentStatus
from orders.payments import offline
from tests.factories import MembershipFactory
from tests.helpers import messages, race
from tests.orders.factories import make_organization, place_order

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _part(order, seller) -> Fulfilment:
    return Fulfilment.objects.select_related("order", "cooperative").get(
        order=order, cooperative=seller.cooperative
    )


def _url(name, seller, fulfilment) -> str:
    return reverse(f"orders:{name}", args=[seller.cooperative.slug, fulfilment.pk])


def _mark(seller, fulfilment, *, client=None):
    client = client or seller.client()
    return client.post(_url("fulfilment_mark_paid", seller, fulfilment), follow=True)


def _page(seller, fulfilment) -> str:
    """The cooperative's page of its part, without what changes at every request."""
    response = seller.client().get(_url("fulfilment_detail", seller, fulfilment))
    assert response.status_code == 200
    return CSRF_TOKEN.sub("", response.content.decode())


def _payment_rows(order, fulfilment=None):
    rows = OrderEvent.objects.filter(order=order, to_status=PaymentStatus.PAID)
    return rows.filter(fulfilment=fulfilment) if fulfilment is not None else rows


def _state(order) -> tuple:
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.payment_status,
        order.paid_cop,
        list(order.fulfilments.order_by("pk").values_list("status", "paid_cop", "paid_at")),
        order.events.count(),
    )


@pytest.fixture
def order(seller_a, seller_b, household):
    """10 kg of cassava from A (23.450) and 2 litres of honey from B (60.000), cash, pickup."""
    return place_order(household, [(seller_a.product, "10"), (seller_b.product, "2")])


# --- Each cooperative records its own part -------------------------------------------------


def test_a_records_its_part_only_and_b_sees_nothing_of_it(order, seller_a, seller_b):
    part_a, part_b = _part(order, seller_a), _part(order, seller_b)
    page_b_before = _page(seller_b, part_b)

    response = _mark(seller_a, part_a)

    assert messages(response) == [("success", _("Payment recorded."))]
    part_a, part_b = _part(order, seller_a), _part(order, seller_b)
    assert (part_a.is_paid, part_a.paid_cop) == (True, 23_450)
    assert (part_b.is_paid, part_b.paid_cop) == (False, 0)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.UNPAID, "B's part is not paid yet"
    assert order.paid_cop == 23_450
    assert order.outstanding_cop == 60_000

    (row,) = _payment_rows(order)
    assert (row.fulfilment_id, row.actor, row.from_status) == (part_a.pk, seller_a.manager, "unpaid")
    assert seller_a.cooperative.name in row.reason and format_cop(23_450) in row.reason

    assert _page(seller_b, part_b) == page_b_before, "A's payment changes nothing on B's page"
    assert seller_a.cooperative.name not in page_b_before
    page_a = _page(seller_a, part_a)
    assert str(PaymentStatus.PAID.label) in page_a and format_cop(23_450) in page_a
    assert _url("fulfilment_mark_paid", seller_a, part_a) not in page_a, "no button once paid"
    assert _url("fulfilment_mark_paid", seller_b, part_b) in page_b_before


def test_the_order_is_paid_once_the_last_part_is(order, seller_a, seller_b):
    _mark(seller_a, _part(order, seller_a))
    page_a_before = _page(seller_a, _part(order, seller_a))

    response = _mark(seller_b, _part(order, seller_b))

    assert messages(response)[0][0] == "success"
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    assert order.paid_cop == order.total_cop == 83_450
    assert _payment_rows(order).filter(fulfilment__isnull=True).count() == 1, "the order's own row, once"
    assert _payment_rows(order).filter(fulfilment__isnull=False).count() == 2
    assert _page(seller_a, _part(order, seller_a)) == page_a_before, "B's payment changes nothing for A"


def test_marking_twice_is_refused_with_a_message_and_logged_once(order, seller_a):
    part_a = _part(order, seller_a)
    _mark(seller_a, part_a)
    before = _state(order)

    response = _mark(seller_a, part_a)

    assert messages(response) == [("error", _("The payment of your cooperative's part is already recorded."))]
    assert _state(order) == before
    assert _payment_rows(order, part_a).count() == 1
    with pytest.raises(PaymentError):
        offline.fulfilment_mark_paid(fulfilment=part_a, actor=seller_a.manager)
    assert _state(order) == before


def test_a_second_manager_of_the_same_cooperative_records_nothing_more(order, seller_a):
    other_manager = MembershipFactory(cooperative=seller_a.cooperative, role="manager").user
    part_a = _part(order, seller_a)
    _mark(seller_a, part_a)
    client = seller_a.client()
    client.force_login(other_manager)
    assert messages(_mark(seller_a, part_a, client=client))[0][0] == "error"
    assert _payment_rows(order, part_a).count() == 1


def test_a_manager_of_a_cannot_mark_bs_part(order, seller_a, seller_b):
    part_b = _part(order, seller_b)
    before = _state(order)
    client = seller_a.client()
    # Through A's own workspace: not one of A's parts.
    assert client.post(_url("fulfilment_mark_paid", seller_a, part_b)).status_code == 404
    # Through B's workspace: not a member of B.
    assert client.post(_url("fulfilment_mark_paid", seller_b, part_b)).status_code == 404
    assert _state(order) == before


def test_a_member_cannot_mark_her_cooperatives_part(order, seller_a):
    before = _state(order)
    response = seller_a.client(as_member=True).post(
        _url("fulfilment_mark_paid", seller_a, _part(order, seller_a))
    )
    assert response.status_code == 404
    assert _state(order) == before


@override_settings(STRIPE_SECRET_KEY="sk_test_stub")
def test_a_card_order_is_refused(seller_a, seller_b, household):
    order = place_order(household, [(seller_a.product, "10"), (seller_b.product, "2")], payment_method="card")
    transitions.order_transition(order=order, to=OrderStatus.PLACED, reason="card authorised")
    part_a = _part(order, seller_a)
    before = _state(order)

    response = _mark(seller_a, part_a)

    assert messages(response) == [("error", _("Card payments are confirmed by the card processor."))]
    assert _state(order) == before
    assert not response.context["can_mark_paid"]
    with pytest.raises(PaymentError):
        offline.fulfilment_mark_paid(fulfilment=part_a, actor=seller_a.manager)


def test_a_rejected_part_cannot_be_marked_and_the_rest_completes_the_order(order, seller_a, seller_b):
    _mark(seller_a, _part(order, seller_a))
    transitions.fulfilment_transition(
        fulfilment=_part(order, seller_b), to=FulfilmentStatus.REJECTED, reason="Sin cosecha"
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID, "the only part that still counts is paid"
    assert order.paid_cop == order.total_cop == 23_450

    before = _state(order)
    response = _mark(seller_b, _part(order, seller_b))
    assert messages(response) == [("error", _("Your cooperative no longer has a part in this order."))]
    assert _state(order) == before


def test_a_cancelled_order_takes_no_payment(order, seller_a):
    transitions.order_transition(order=order, to=OrderStatus.CANCELLED, reason="test")
    before = _state(order)
    assert messages(_mark(seller_a, _part(order, seller_a)))[0][0] == "error"
    assert _state(order) == before


def test_a_markets_own_delivery_fee_is_paid_with_the_last_part(order, seller_a, seller_b):
    """An order-level fee (a market's delivery) belongs to no cooperative's part."""
    Order.objects.filter(pk=order.pk).update(delivery_fee_cop=4_000, total_cop=order.subtotal_cop + 4_000)
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_a), actor=None)
    order.refresh_from_db()
    assert (order.payment_status, order.paid_cop, order.outstanding_cop) == ("unpaid", 23_450, 64_000)
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_b), actor=None)
    order.refresh_from_db()
    assert (order.payment_status, order.paid_cop, order.outstanding_cop) == ("paid", 87_450, 0)


def test_each_part_pays_its_own_delivery_fee(seller_a, seller_b, household):
    order = place_order(
        household, [(seller_a.product, "10"), (seller_b.product, "2")], delivery_method="delivery"
    )
    part_a = _part(order, seller_a)
    assert part_a.delivery_fee_cop == 5_000
    offline.fulfilment_mark_paid(fulfilment=part_a, actor=None)
    assert _part(order, seller_a).paid_cop == 23_450 + 5_000


# --- What the others read ------------------------------------------------------------------


def test_credit_used_drops_as_each_cooperative_records_payment(seller_a, seller_b, household):
    hotel = make_organization(member=household, credit_days=30, credit_limit_cop=1_000_000)
    order = place_order(
        household,
        [(seller_a.product, "10"), (seller_b.product, "2")],
        payment_method="invoice",
        organization=hotel,
    )
    assert services.organization_credit_used(hotel) == 83_450
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_b), actor=None)
    assert services.organization_credit_used(hotel) == 23_450
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_a), actor=None)
    assert services.organization_credit_used(hotel) == 0


def test_buyer_sees_how_much_arrived_and_the_transfer_still_due(seller_a, seller_b, household, client):
    order = place_order(
        household, [(seller_a.product, "10"), (seller_b.product, "2")], payment_method="transfer"
    )
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_a), actor=None)
    client.force_login(household)

    html = client.get(reverse("orders:detail", args=[order.number])).content.decode()

    status_line = html.split("<h1>", 1)[1].split("</p>", 1)[0]
    # Not "Unpaid · $ 23.450 received", which contradicts itself: partly paid, so much of the total.
    assert str(PaymentStatus.UNPAID.label) not in status_line
    assert f"Pagado en parte: {format_cop(23_450)} de {format_cop(83_450)}" in status_line, "what A recorded"
    panel = html.split('<section class="transfer">', 1)[1].split("</section>", 1)[0]
    assert format_cop(60_000) in panel and format_cop(83_450) not in panel, "only B's part is still due"
    heading_a = html.split(f"<h2>{seller_a.cooperative.name}", 1)[1].split("</h2>", 1)[0]
    heading_b = html.split(f"<h2>{seller_b.cooperative.name}", 1)[1].split("</h2>", 1)[0]
    assert str(PaymentStatus.PAID.label) in heading_a
    assert str(PaymentStatus.PAID.label) not in heading_b

    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_b), actor=None)
    html = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    status_line = html.split("<h1>", 1)[1].split("</p>", 1)[0]
    assert str(PaymentStatus.PAID.label) in status_line and format_cop(23_450) not in status_line


def test_receipts_and_statements_follow_each_part(order, seller_a, seller_b):
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_a), actor=None)

    receipt_a = receipts.document_build(
        selectors.fulfilment_for_cooperative(cooperative=seller_a.cooperative, pk=_part(order, seller_a).pk)
    )
    receipt_b = receipts.document_build(
        selectors.fulfilment_for_cooperative(cooperative=seller_b.cooperative, pk=_part(order, seller_b).pk)
    )
    assert receipt_a.payment_status == str(PaymentStatus.PAID.label)
    assert receipt_b.payment_status == str(PaymentStatus.UNPAID.label)

    start, end = statements.month_bounds(timezone.localdate(order.placed_at))
    statement = {
        seller.cooperative.slug: statements.statement_build(
            cooperative=seller.cooperative, start=start, end=end
        )
        for seller in (seller_a, seller_b)
    }
    assert (statement["yuqueros"].collected_cop, statement["yuqueros"].outstanding_cop) == (23_450, 0)
    assert (statement["apicola"].collected_cop, statement["apicola"].outstanding_cop) == (0, 60_000)


# --- Two managers at once (real row locks) --------------------------------------------------


def _mark_paid(fulfilment, actor):
    offline.fulfilment_mark_paid(fulfilment=fulfilment, actor=actor)
    return "paid"


def _race(calls):
    outcomes, errors = race(_mark_paid, calls, expected=(PaymentError,))
    return sorted("refused" if isinstance(r, PaymentError) else r for _call, r in outcomes), errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_both_cooperatives_at_the_same_moment_make_the_order_paid_once(seller_a, seller_b, household):
    order = place_order(household, [(seller_a.product, "10"), (seller_b.product, "2")])
    outcomes, errors = _race(
        [(_part(order, seller_a), seller_a.manager), (_part(order, seller_b), seller_b.manager)]
    )
    assert errors == [] and outcomes == ["paid", "paid"]
    order.refresh_from_db()
    assert (order.payment_status, order.paid_cop) == (PaymentStatus.PAID, 83_450)
    assert _payment_rows(order).filter(fulfilment__isnull=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_double_click_at_the_same_moment_records_once(seller_a, seller_b, household):
    order = place_order(household, [(seller_a.product, "10"), (seller_b.product, "2")])
    part_a = _part(order, seller_a)
    outcomes, errors = _race([(part_a, seller_a.manager)] * 4)
    assert errors == [] and outcomes == ["paid", "refused", "refused", "refused"]
    assert _payment_rows(order, part_a).count() == 1
    assert Order.objects.get(pk=order.pk).paid_cop == 23_450
