"""A two-cooperative order through its life, driven from the cooperatives' workspace.

Each cooperative acts on its own part; the order, its totals, the stock and the buyer's
e-mails follow. Illegal moves are refused with a message and change nothing.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from catalog.models import Product
from orders import services, transitions
from orders.exceptions import TransitionError
from orders.models import (
    Fulfilment,
    FulfilmentStatus,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from tests.factories import MembershipFactory
from tests.helpers import messages, stock
from tests.orders.factories import make_organization, place_order


def _fulfilment(order, seller) -> Fulfilment:
    return Fulfilment.objects.get(order=order, cooperative=seller.cooperative)


def _post(seller, name, fulfilment, data=None, *, as_member=False):
    url = reverse(f"orders:{name}", args=[seller.cooperative.slug, fulfilment.pk])
    return seller.client(as_member=as_member).post(url, data or {}, follow=True)


def _state(order) -> dict:
    """Everything a wrong move could touch: statuses, totals, lines, stock, log, mail."""
    order = Order.objects.get(pk=order.pk)
    return {
        "order": (order.status, order.payment_status, order.subtotal_cop, order.total_cop, order.paid_cop),
        "fulfilments": list(
            order.fulfilments.order_by("pk").values_list("status", "subtotal_cop", "total_cop")
        ),
        "lines": list(
            order.lines.order_by("pk").values_list(
                "status", "delivered_quantity", "total_cop", "stock_returned_at"
            )
        ),
        "stock": list(Product.objects.order_by("pk").values_list("pk", "stock")),
        "events": order.events.count(),
        "mail": len(mail.outbox),
    }


@pytest.fixture
def order(seller_a, seller_b, household):
    """10 kg of cassava (23.450) from A and 2 litres of honey (60.000) from B, cash, pickup."""
    return place_order(
        household, [(seller_a.product, "10"), (seller_b.product, "2")], notes="Llamar al llegar"
    )


def test_placement_reserves_stock_and_makes_one_fulfilment_per_cooperative(order, seller_a, seller_b):
    assert stock(seller_a.product) == Decimal("90")
    assert stock(seller_b.product) == Decimal("18")
    assert order.status == OrderStatus.PLACED
    assert order.total_cop == 23450 + 60000
    assert _fulfilment(order, seller_a).subtotal_cop == 23450
    assert _fulfilment(order, seller_b).subtotal_cop == 60000


def test_placement_mails_the_buyer_and_each_cooperatives_managers(
    seller_a, seller_b, household, django_capture_on_commit_callbacks
):
    second_manager_a = MembershipFactory(cooperative=seller_a.cooperative, role="manager").user
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(household, [(seller_a.product, "10"), (seller_b.product, "2")])

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        [household.email, seller_a.manager.email, second_manager_a.email, seller_b.manager.email]
    )
    assert all(order.number in message.subject for message in mail.outbox)
    assert seller_a.member.email not in recipients, "plain members are not mailed"
    to_b = next(m for m in mail.outbox if seller_b.manager.email in m.to)
    assert "Miel de abejas" in to_b.body
    assert "Yuca fresca" not in to_b.body, "a cooperative is told only of its own lines"
    detail = reverse(
        "orders:fulfilment_detail", args=[seller_b.cooperative.slug, _fulfilment(order, seller_b).pk]
    )
    assert detail in to_b.body
    assert seller_b.client().get(detail).status_code == 200


def test_a_confirms_b_rejects_stock_back_once_and_order_is_a_part_only(
    order, seller_a, seller_b, household, django_capture_on_commit_callbacks
):
    response = _post(seller_a, "fulfilment_confirm", _fulfilment(order, seller_a))
    assert messages(response)[0][0] == "success"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED, "B has not answered yet"

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            seller_b, "fulfilment_reject", _fulfilment(order, seller_b), {"reason": "Se acabó la cosecha"}
        )
    assert messages(response)[0][0] == "success"

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert (order.subtotal_cop, order.delivery_fee_cop, order.total_cop) == (23450, 0, 23450)
    rejected = _fulfilment(order, seller_b)
    assert rejected.status == FulfilmentStatus.REJECTED
    assert rejected.total_cop == 0
    assert set(rejected.lines.values_list("status", flat=True)) == {LineStatus.REJECTED}
    assert stock(seller_b.product) == Decimal("20"), "B's stock is back"
    assert stock(seller_a.product) == Decimal("90"), "A's is still reserved"
    assert OrderEvent.objects.filter(fulfilment=rejected, reason="Se acabó la cosecha").exists()
    assert [m.to for m in mail.outbox] == [[household.email]], "the buyer is told her order is confirmed"
    assert order.number in mail.outbox[0].subject

    # Rejecting again is refused, and even cancelling the whole order gives B's stock back only once.
    response = _post(seller_b, "fulfilment_reject", rejected, {"reason": "otra vez"})
    assert messages(response)[0][0] == "error"
    transitions.order_transition(order=order, to=OrderStatus.CANCELLED, reason="test")
    assert stock(seller_b.product) == Decimal("20")
    assert stock(seller_a.product) == Decimal("100")


def test_rejecting_needs_a_reason(order, seller_b):
    before = _state(order)
    response = _post(seller_b, "fulfilment_reject", _fulfilment(order, seller_b), {"reason": "  "})
    assert messages(response)[0][0] == "error"
    assert _state(order) == before


def test_when_every_cooperative_rejects_the_order_is_cancelled_and_all_stock_returns(
    order, seller_a, seller_b
):
    _post(seller_a, "fulfilment_reject", _fulfilment(order, seller_a), {"reason": "Sin transporte"})
    _post(seller_b, "fulfilment_reject", _fulfilment(order, seller_b), {"reason": "Sin cosecha"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.total_cop == 0
    assert (stock(seller_a.product), stock(seller_b.product)) == (Decimal("100"), Decimal("20"))


def test_recorded_delivered_weight_recomputes_line_fulfilment_and_order_and_tells_the_buyer(
    seller_a, seller_b, household, django_capture_on_commit_callbacks
):
    order = place_order(
        household, [(seller_a.product, "10"), (seller_b.product, "2")], delivery_method="delivery"
    )
    assert order.total_cop == 23450 + 60000 + 2 * 5000
    fulfilment = _fulfilment(order, seller_a)
    _post(seller_a, "fulfilment_confirm", fulfilment)
    line = fulfilment.lines.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            seller_a, "fulfilment_record_delivery", fulfilment, {"line": line.pk, "delivered_quantity": "9,5"}
        )

    assert messages(response)[0][0] == "success"
    line.refresh_from_db()
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert line.delivered_quantity == Decimal("9.5")
    assert line.total_cop == 22278, "9,5 × 2.345 = 22.277,5, rounded half-up once"
    assert (fulfilment.subtotal_cop, fulfilment.total_cop) == (22278, 22278 + 5000)
    assert (order.subtotal_cop, order.total_cop) == (22278 + 60000, 22278 + 60000 + 10000)
    assert [m.to for m in mail.outbox] == [[household.email]]
    assert order.number in mail.outbox[0].subject
    assert "9,5" in mail.outbox[0].body
    assert "$\xa0" + "92.278" in mail.outbox[0].body, "the buyer sees the new total"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("abc", "not a number"),
        ("-1", "negative"),
        ("16", "more than 150% of the 10 kg ordered"),
        ("", "empty"),
    ],
)
def test_bad_delivered_quantities_are_refused_and_change_nothing(order, seller_a, raw, why):
    fulfilment = _fulfilment(order, seller_a)
    _post(seller_a, "fulfilment_confirm", fulfilment)
    before = _state(order)
    response = _post(
        seller_a,
        "fulfilment_record_delivery",
        fulfilment,
        {"line": fulfilment.lines.get().pk, "delivered_quantity": raw},
    )
    assert messages(response)[0][0] == "error", why
    assert _state(order) == before


def test_a_line_of_another_cooperative_cannot_be_weighed_through_this_fulfilment(order, seller_a, seller_b):
    fulfilment = _fulfilment(order, seller_a)
    _post(seller_a, "fulfilment_confirm", fulfilment)
    other_line = OrderLine.objects.get(order=order, fulfilment__cooperative=seller_b.cooperative)
    before = _state(order)
    response = seller_a.client().post(
        reverse("orders:fulfilment_record_delivery", args=[seller_a.cooperative.slug, fulfilment.pk]),
        {"line": other_line.pk, "delivered_quantity": "1"},
    )
    assert response.status_code == 404
    assert _state(order) == before


def _hand_over_before_confirming(order, seller_a, household):
    return "fulfilment_handed_over"


def _confirm_twice(order, seller_a, household):
    _post(seller_a, "fulfilment_confirm", _fulfilment(order, seller_a))
    return "fulfilment_confirm"


def _confirm_after_buyer_cancelled(order, seller_a, household):
    services.order_cancel_by_buyer(order=order, buyer=household)
    return "fulfilment_confirm"


def _weigh_before_confirming(order, seller_a, household):
    return "fulfilment_record_delivery"


@pytest.mark.parametrize(
    "setup",
    [_hand_over_before_confirming, _confirm_twice, _confirm_after_buyer_cancelled, _weigh_before_confirming],
    ids=lambda f: f.__name__.strip("_"),
)
def test_illegal_moves_are_refused_with_a_message_and_change_nothing(order, seller_a, household, setup):
    name = setup(order, seller_a, household)
    fulfilment = _fulfilment(order, seller_a)
    before = _state(order)
    response = _post(
        seller_a, name, fulfilment, {"line": fulfilment.lines.get().pk, "delivered_quantity": "9"}
    )
    assert response.status_code == 200
    assert [level for level, _text in messages(response)] == ["error"]
    assert _state(order) == before


def test_ready_and_handed_over_by_every_cooperative_deliver_the_order(
    order, seller_a, seller_b, household, django_capture_on_commit_callbacks
):
    for seller in (seller_a, seller_b):
        _post(seller, "fulfilment_confirm", _fulfilment(order, seller))
    _post(seller_a, "fulfilment_ready", _fulfilment(order, seller_a))
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED, "B is not ready yet"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _post(seller_b, "fulfilment_ready", _fulfilment(order, seller_b))
    order.refresh_from_db()
    assert order.status == OrderStatus.READY
    assert [m.to for m in mail.outbox] == [[household.email]]

    for seller in (seller_a, seller_b):
        _post(seller, "fulfilment_handed_over", _fulfilment(order, seller))
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    log = list(_fulfilment(order, seller_a).events.values_list("from_status", "to_status"))
    assert log == [("pending", "confirmed"), ("confirmed", "ready"), ("ready", "handed_over")]


# --- Buyer cancellation ------------------------------------------------------------------


def test_buyer_cancels_before_any_confirmation_and_stock_returns_once(order, seller_a, seller_b, household):
    services.order_cancel_by_buyer(order=order, buyer=household)
    with pytest.raises(TransitionError):
        services.order_cancel_by_buyer(order=Order.objects.get(pk=order.pk), buyer=household)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert (stock(seller_a.product), stock(seller_b.product)) == (Decimal("100"), Decimal("20"))
    assert set(order.fulfilments.values_list("status", flat=True)) == {FulfilmentStatus.CANCELLED}


def test_buyer_cancelling_twice_through_her_page_returns_stock_once(
    order, seller_a, seller_b, household, client
):
    client.force_login(household)
    url = reverse("orders:cancel", args=[order.number])
    assert messages(client.post(url, follow=True))[0][0] == "success"
    assert messages(client.post(url, follow=True))[0][0] == "error"
    assert (stock(seller_a.product), stock(seller_b.product)) == (Decimal("100"), Decimal("20"))


def test_buyer_cannot_cancel_once_a_cooperative_confirmed(order, seller_a, household):
    _post(seller_a, "fulfilment_confirm", _fulfilment(order, seller_a))
    before = _state(order)
    with pytest.raises(TransitionError):
        services.order_cancel_by_buyer(order=order, buyer=household)
    assert _state(order) == before


# --- Offline payments --------------------------------------------------------------------


def test_manager_marks_a_transfer_paid_once(seller_a, household):
    order = place_order(household, [(seller_a.product, "4")], payment_method="transfer")
    fulfilment = _fulfilment(order, seller_a)

    response = _post(seller_a, "fulfilment_mark_paid", fulfilment)
    assert messages(response)[0][0] == "success"
    order.refresh_from_db()
    assert (order.payment_status, order.paid_cop) == (PaymentStatus.PAID, order.total_cop)

    before = _state(order)
    response = _post(seller_a, "fulfilment_mark_paid", fulfilment)
    assert messages(response)[0][0] == "error"
    assert _state(order) == before


def test_a_member_cannot_mark_paid(seller_a, household):
    order = place_order(household, [(seller_a.product, "4")], payment_method="transfer")
    before = _state(order)
    response = _post(seller_a, "fulfilment_mark_paid", _fulfilment(order, seller_a), as_member=True)
    assert response.status_code == 404
    assert _state(order) == before


def test_a_cooperative_that_rejected_its_part_cannot_mark_the_order_paid(order, seller_a, seller_b):
    _post(seller_b, "fulfilment_reject", _fulfilment(order, seller_b), {"reason": "Sin cosecha"})
    before = _state(order)
    response = _post(seller_b, "fulfilment_mark_paid", _fulfilment(order, seller_b))
    assert messages(response)[0][0] == "error"
    assert _state(order) == before


@override_settings(STRIPE_SECRET_KEY="sk_test_stub")
def test_a_card_order_cannot_be_marked_paid_by_hand(seller_a, household):
    order = place_order(household, [(seller_a.product, "4")], payment_method="card")
    # The payment provider's confirmation moves it on; the cooperative sees it from then.
    transitions.order_transition(order=order, to=OrderStatus.PLACED, reason="card authorised")
    before = _state(order)
    response = _post(seller_a, "fulfilment_mark_paid", _fulfilment(order, seller_a))
    assert messages(response)[0][0] == "error"
    assert _state(order) == before


def test_invoice_for_an_organisation_is_marked_paid(seller_a, household):
    hotel = make_organization(member=household, credit_days=30, credit_limit_cop=1_000_000)
    order = place_order(household, [(seller_a.product, "4")], payment_method="invoice", organization=hotel)
    _post(seller_a, "fulfilment_mark_paid", _fulfilment(order, seller_a))
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID


def test_plain_text_emails_are_not_html_escaped(seller_a, household, django_capture_on_commit_callbacks):
    """A name with an apostrophe or an ampersand reads as typed in the text part, and is
    escaped only in the HTML part."""
    Product.objects.filter(pk=seller_a.product.pk).update(name="Café & cacao D'Oro")
    with django_capture_on_commit_callbacks(execute=True):
        place_order(household, [(seller_a.product, "10")], notes="x")
    for message in mail.outbox:
        assert "Café & cacao D'Oro" in message.body
        assert "&amp;" not in message.body and "&#x27;" not in message.body
        html = message.alternatives[0][0]
        assert "Café &amp; cacao D&#x27;Oro" in html
