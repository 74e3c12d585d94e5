"""Line by line: a cooperative rejects the products it cannot supply and keeps the rest.

A rejected line gives its stock back once, leaves the bill, and the buyer is told; when no
line of a part is left, the part is rejected and the order follows. Also here: a delivered
weight of zero, and a card order that is not paid yet cannot be acted on.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from orders import services, transitions
from orders.exceptions import CheckoutError, TransitionError
from orders.models import Fulfilment, FulfilmentStatus, LineStatus, Order, OrderEvent, OrderLine, OrderStatus
from tests.factories import make_product
from tests.helpers import messages, stock
from tests.orders.factories import place_order
from tests.orders.test_fulfilment_lifecycle import _post, _state


def _fulfilment(order, seller) -> Fulfilment:
    return Fulfilment.objects.get(order=order, cooperative=seller.cooperative)


def _line(order, product) -> OrderLine:
    return OrderLine.objects.get(order=order, product=product)


def _reject_url(seller, fulfilment, line) -> str:
    return reverse("orders:fulfilment_line_reject", args=[seller.cooperative.slug, fulfilment.pk, line.pk])


def _reject(seller, fulfilment, line, data=None, *, as_member=False):
    return seller.client(as_member=as_member).post(
        _reject_url(seller, fulfilment, line), data or {}, follow=True
    )


@pytest.fixture
def plantain(seller_a):
    """A's second product: plantain by the bunch, 8.000 pesos, 30 in stock."""
    return make_product(
        seller_a.cooperative,
        name="Plátano hartón",
        unit="racimo",
        price_cop=8000,
        stock=Decimal("30"),
        min_quantity=Decimal("1"),
        quantity_step=Decimal("1"),
    )


@pytest.fixture
def order(seller_a, seller_b, household, plantain):
    """From A: 10 kg of cassava (23.450) and 3 bunches of plantain (24.000); from B: 2 litres
    of honey (60.000). Cash, pickup."""
    return place_order(household, [(seller_a.product, "10"), (plantain, "3"), (seller_b.product, "2")])


# --- Rejecting one line ------------------------------------------------------------------


def test_rejecting_a_line_returns_its_stock_once_recomputes_totals_and_tells_the_buyer(
    order, seller_a, plantain, household, django_capture_on_commit_callbacks
):
    fulfilment = _fulfilment(order, seller_a)
    assert stock(plantain) == Decimal("27")

    with django_capture_on_commit_callbacks(execute=True):
        response = _reject(seller_a, fulfilment, _line(order, plantain), {"reason": "Se cayó la mata"})

    assert [level for level, _text in messages(response)] == ["success"]
    assert _line(order, plantain).status == LineStatus.REJECTED
    assert _line(order, seller_a.product).status == LineStatus.PENDING
    assert stock(plantain) == Decimal("30"), "the 3 bunches are back"
    assert stock(seller_a.product) == Decimal("90"), "the cassava stays reserved"
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.PENDING, "the rest of the part still waits"
    assert (fulfilment.subtotal_cop, fulfilment.total_cop) == (23450, 23450)
    assert _line(order, plantain).total_cop == 0
    assert (order.status, order.total_cop) == (OrderStatus.PLACED, 23450 + 60000)
    event = OrderEvent.objects.get(fulfilment=fulfilment, reason__contains="Plátano hartón")
    assert "Se cayó la mata" in event.reason
    assert event.actor == seller_a.manager
    assert [m.to for m in mail.outbox] == [[household.email]]
    assert order.number in mail.outbox[0].subject
    assert "Plátano hartón" in mail.outbox[0].body and "$\xa083.450" in mail.outbox[0].body

    # A second rejection of the same line is refused and gives nothing back again.
    before = _state(order)
    response = _reject(seller_a, fulfilment, _line(order, plantain))
    assert [level for level, _text in messages(response)] == ["error"]
    assert _state(order) == before
    with pytest.raises(TransitionError):
        services.line_reject(line=_line(order, plantain), actor=seller_a.manager)
    assert stock(plantain) == Decimal("30")

    # Cancelling the whole order later returns the other lines, and this one not again.
    transitions.order_transition(order=order, to=OrderStatus.CANCELLED, reason="test")
    assert (stock(plantain), stock(seller_a.product)) == (Decimal("30"), Decimal("100"))


def test_confirming_after_a_line_rejection_confirms_only_the_remaining_lines(order, seller_a, plantain):
    fulfilment = _fulfilment(order, seller_a)
    services.line_reject(line=_line(order, plantain), actor=seller_a.manager)
    _post(seller_a, "fulfilment_confirm", fulfilment)
    assert _line(order, seller_a.product).status == LineStatus.CONFIRMED
    assert _line(order, plantain).status == LineStatus.REJECTED


def test_a_line_of_a_confirmed_part_can_still_be_rejected(order, seller_a, seller_b, plantain):
    for seller in (seller_a, seller_b):
        _post(seller, "fulfilment_confirm", _fulfilment(order, seller))
    services.line_reject(line=_line(order, seller_a.product), actor=seller_a.manager, reason="Plaga")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.total_cop == 24000 + 60000
    assert _fulfilment(order, seller_a).status == FulfilmentStatus.CONFIRMED
    assert stock(seller_a.product) == Decimal("100")


def test_rejecting_the_last_line_rejects_the_part_and_the_order_follows(
    order, seller_a, seller_b, household, django_capture_on_commit_callbacks
):
    """B's only line goes after A confirmed: B's part is rejected, so the order is confirmed."""
    _post(seller_a, "fulfilment_confirm", _fulfilment(order, seller_a))
    fulfilment_b = _fulfilment(order, seller_b)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _reject(seller_b, fulfilment_b, _line(order, seller_b.product))

    assert messages(response)[0][0] == "success"
    fulfilment_b.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment_b.status == FulfilmentStatus.REJECTED
    assert fulfilment_b.total_cop == 0
    assert order.status == OrderStatus.CONFIRMED
    assert order.total_cop == 23450 + 24000
    assert stock(seller_b.product) == Decimal("20")
    log = list(fulfilment_b.events.values_list("from_status", "to_status"))
    assert log == [("pending", "pending"), ("pending", "rejected")], "the line, then the part"
    assert len(mail.outbox) == 1, "one notice: the order's confirmation, showing the rejected line"
    assert mail.outbox[0].to == [household.email]


def test_when_every_line_of_every_part_is_rejected_the_order_is_cancelled(
    seller_a, household, plantain, django_capture_on_commit_callbacks
):
    order = place_order(household, [(seller_a.product, "4"), (plantain, "2")])
    fulfilment = _fulfilment(order, seller_a)
    services.line_reject(line=_line(order, plantain), actor=seller_a.manager)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _reject(seller_a, fulfilment, _line(order, seller_a.product))

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.total_cop == 0
    assert _fulfilment(order, seller_a).status == FulfilmentStatus.REJECTED
    assert (stock(seller_a.product), stock(plantain)) == (Decimal("100"), Decimal("30"))
    assert len(mail.outbox) == 1, "the cancellation notice only"
    assert OrderEvent.objects.filter(
        order=order, fulfilment__isnull=True, to_status=OrderStatus.CANCELLED
    ).exists()


def test_a_whole_confirmed_part_rejected_tells_the_buyer_her_order_changed(
    order, seller_a, seller_b, household, django_capture_on_commit_callbacks
):
    for seller in (seller_a, seller_b):
        _post(seller, "fulfilment_confirm", _fulfilment(order, seller))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            seller_b, "fulfilment_reject", _fulfilment(order, seller_b), {"reason": "Se acabó la miel"}
        )
    assert messages(response)[0][0] == "success"
    order.refresh_from_db()
    assert (order.status, order.total_cop) == (OrderStatus.CONFIRMED, 23450 + 24000)
    assert [m.to for m in mail.outbox] == [[household.email]]
    assert order.number in mail.outbox[0].subject
    assert "Miel de abejas" in mail.outbox[0].body, "the notice lists the rejected part"


def _make_ready(order, seller_a, seller_b):
    _post(seller_a, "fulfilment_confirm", _fulfilment(order, seller_a))
    _post(seller_a, "fulfilment_ready", _fulfilment(order, seller_a))


def _cancel_order(order, seller_a, seller_b):
    transitions.order_transition(order=order, to=OrderStatus.CANCELLED, reason="test")


@pytest.mark.parametrize("setup", [_make_ready, _cancel_order], ids=["part ready", "order cancelled"])
def test_a_line_cannot_be_rejected_once_the_part_is_ready_or_the_order_ended(
    order, seller_a, seller_b, setup
):
    setup(order, seller_a, seller_b)
    before = _state(order)
    response = _reject(seller_a, _fulfilment(order, seller_a), _line(order, seller_a.product))
    assert response.status_code == 200
    assert [level for level, _text in messages(response)] == ["error"]
    assert _state(order) == before


def test_a_line_of_another_fulfilment_in_the_url_is_404(order, seller_a, seller_b):
    """B's honey line under A's own fulfilment, by A's manager; and A's line under B's."""
    before = _state(order)
    wrong = _reject_url(seller_a, _fulfilment(order, seller_a), _line(order, seller_b.product))
    assert seller_a.client().post(wrong).status_code == 404
    wrong = _reject_url(seller_b, _fulfilment(order, seller_b), _line(order, seller_a.product))
    assert seller_b.client().post(wrong).status_code == 404
    assert _state(order) == before


def test_a_plain_member_cannot_reject_a_line(order, seller_a):
    before = _state(order)
    response = _reject(seller_a, _fulfilment(order, seller_a), _line(order, seller_a.product), as_member=True)
    assert response.status_code == 404
    assert _state(order) == before


def test_detail_offers_a_reject_button_per_open_line_to_managers_only(order, seller_a, plantain):
    fulfilment = _fulfilment(order, seller_a)
    services.line_reject(line=_line(order, plantain), actor=seller_a.manager)
    detail = reverse("orders:fulfilment_detail", args=[seller_a.cooperative.slug, fulfilment.pk])
    open_line = _reject_url(seller_a, fulfilment, _line(order, seller_a.product))
    rejected_line = _reject_url(seller_a, fulfilment, _line(order, plantain))

    page = seller_a.client().get(detail).content.decode()
    assert open_line in page
    assert rejected_line not in page, "a rejected line has no button"
    assert open_line not in seller_a.client(as_member=True).get(detail).content.decode()

    _make_ready(order, seller_a, None)
    assert open_line not in seller_a.client().get(detail).content.decode(), "not once ready"


# --- A delivered weight of zero ----------------------------------------------------------


@pytest.mark.parametrize("raw", ["0", "0,0", "0.000", " 0,000 "])
def test_nothing_delivered_can_be_recorded_however_zero_is_written(order, seller_a, raw):
    fulfilment = _fulfilment(order, seller_a)
    _post(seller_a, "fulfilment_confirm", fulfilment)
    response = _post(
        seller_a,
        "fulfilment_record_delivery",
        fulfilment,
        {"line": _line(order, seller_a.product).pk, "delivered_quantity": raw},
    )
    assert messages(response)[0][0] == "success"
    line = _line(order, seller_a.product)
    assert (line.delivered_quantity, line.total_cop) == (Decimal("0"), 0)
    assert Fulfilment.objects.get(pk=fulfilment.pk).subtotal_cop == 24000, "the plantain only"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-1", "cannot be negative"),
        ("-0,5", "cannot be negative"),
        ("abc", "as a number"),
        ("1,2345", "three decimals"),
        ("", "Enter a quantity"),
    ],
)
def test_negative_or_unreadable_delivered_weights_are_refused(order, seller_a, raw, message):
    fulfilment = _fulfilment(order, seller_a)
    _post(seller_a, "fulfilment_confirm", fulfilment)
    before = _state(order)
    with translation.override("en"):
        with pytest.raises(CheckoutError) as error:
            services.line_record_delivery(
                line=_line(order, seller_a.product), delivered_quantity=raw, actor=seller_a.manager
            )
        assert message in str(error.value.message)
    response = _post(
        seller_a,
        "fulfilment_record_delivery",
        fulfilment,
        {"line": _line(order, seller_a.product).pk, "delivered_quantity": raw},
    )
    assert [level for level, _text in messages(response)] == ["error"]
    assert _state(order) == before


# --- A card order not paid yet -----------------------------------------------------------


@pytest.fixture
def unpaid_card_order(seller_a, household, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    order = place_order(household, [(seller_a.product, "4")], payment_method="card")
    assert order.status == OrderStatus.AWAITING_PAYMENT
    return order


@pytest.mark.parametrize(
    "to", [FulfilmentStatus.CONFIRMED, FulfilmentStatus.REJECTED, FulfilmentStatus.CANCELLED]
)
def test_no_fulfilment_moves_while_the_card_is_not_authorised(unpaid_card_order, seller_a, to):
    before = _state(unpaid_card_order)
    with translation.override("en"):
        with pytest.raises(TransitionError) as error:
            transitions.fulfilment_transition(
                fulfilment=_fulfilment(unpaid_card_order, seller_a), to=to, actor=seller_a.manager
            )
        assert "waiting for its card payment" in str(error.value.message)
    assert _state(unpaid_card_order) == before


def test_no_line_is_rejected_while_the_card_is_not_authorised(unpaid_card_order, seller_a):
    before = _state(unpaid_card_order)
    with pytest.raises(TransitionError):
        services.line_reject(line=_line(unpaid_card_order, seller_a.product), actor=seller_a.manager)
    assert _state(unpaid_card_order) == before
    assert Order.objects.get(pk=unpaid_card_order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_once_authorised_the_cooperative_confirms_as_usual(unpaid_card_order, seller_a):
    transitions.order_transition(order=unpaid_card_order, to=OrderStatus.PLACED, reason="card authorised")
    transitions.fulfilment_transition(
        fulfilment=_fulfilment(unpaid_card_order, seller_a), to=FulfilmentStatus.CONFIRMED
    )
    assert Order.objects.get(pk=unpaid_card_order.pk).status == OrderStatus.CONFIRMED
