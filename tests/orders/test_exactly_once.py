"""One basket, at most one order; credit never exceeded.

A double tap, a retry after a timeout, two tabs, two servers: however often a checkout is
posted, its basket becomes one order, and the repeat lands on that order's page. The credit
check and the order it admits happen under one lock per organisation. The races run on
PostgreSQL (real row locks); the sequential cases everywhere.
"""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from cms.markets.channel import market_key
from cms.models import SlotUsage
from orders import services
from orders.exceptions import AlreadyPlacedError, CheckoutError
from orders.models import Cart, Order, OrderLine
from tests.cms.factories import make_market
from tests.factories import UserFactory, make_product
from tests.helpers import race, stock
from tests.orders.factories import fill_cart, make_organization


@pytest.fixture
def yuca(cooperative):
    return make_product(
        cooperative, name="Yuca fresca", price_cop=2000, stock=Decimal("50"), quantity_step=Decimal("1")
    )


def _post(client, url, **data):
    payload = {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"}
    payload.update(data)
    return client.post(url, payload)


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- sequential: the second submit lands on the first order ---------------------------------------


def test_the_same_checkout_form_posted_twice_makes_one_order(client, buyer, yuca):
    fill_cart(buyer, [(yuca, "3")])
    client.force_login(buyer)
    first = _post(client, reverse("orders:checkout"), checkout_key="clave-de-una-vez-1")
    order = Order.objects.get()
    second = _post(client, reverse("orders:checkout"), checkout_key="clave-de-una-vez-1")
    assert second.status_code == 302
    assert second.url == first.url == reverse("orders:detail", args=[order.number])
    assert any("ya estaba hecho" in text for text in _said(second)), _said(second)
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1
    assert stock(yuca) == Decimal("47")


def test_two_tabs_of_one_basket_make_one_order(client, buyer, yuca):
    """Two checkout pages (two keys) of one basket: the second lands on the first's order."""
    fill_cart(buyer, [(yuca, "3")])
    client.force_login(buyer)
    _post(client, reverse("orders:checkout"), checkout_key="pestana-a")
    second = _post(client, reverse("orders:checkout"), checkout_key="pestana-b")
    order = Order.objects.get()
    assert second.url == reverse("orders:detail", args=[order.number])
    assert stock(yuca) == Decimal("47")


def test_a_late_retry_does_not_order_the_next_basket(client, buyer, yuca, cooperative):
    """The first post's answer was lost; she fills a new basket; the browser retries the old
    post: it finds the first order and leaves the new basket alone."""
    fill_cart(buyer, [(yuca, "3")])
    client.force_login(buyer)
    _post(client, reverse("orders:checkout"), checkout_key="reintento")
    miel = make_product(cooperative, name="Miel", stock=Decimal("5"), quantity_step=Decimal("1"))
    fill_cart(buyer, [(miel, "2")])
    retry = _post(client, reverse("orders:checkout"), checkout_key="reintento")
    order = Order.objects.get()
    assert retry.url == reverse("orders:detail", args=[order.number])
    assert list(Cart.objects.get(user=buyer, channel_key="").lines.values_list("product_id", flat=True)) == [
        miel.pk
    ]
    assert stock(miel) == Decimal("5")


def test_another_buyers_key_is_refused_without_naming_her_order(client, yuca):
    owner, intruder = UserFactory(), UserFactory()
    fill_cart(owner, [(yuca, "1")])
    client.force_login(owner)
    _post(client, reverse("orders:checkout"), checkout_key="clave-ajena")
    theirs = Order.objects.get()
    fill_cart(intruder, [(yuca, "2")])
    client = Client()
    client.force_login(intruder)
    response = _post(client, reverse("orders:checkout"), checkout_key="clave-ajena")
    body = response.content.decode()
    assert response.status_code == 400 and theirs.number not in body
    assert "Recárguela" in body
    assert Order.objects.count() == 1 and stock(yuca) == Decimal("49")


@pytest.mark.parametrize("where", ["page route", "plain url"])
def test_a_market_basket_posted_twice_takes_one_slot_place(client, buyer, yuca, where):
    event = make_market(offers=[(yuca, 1800, 20)])
    fill = services.cart_get(user=buyer, create=True, channel_key=market_key(event))
    services.cart_set_quantity(cart=fill, product_id=yuca.pk, raw_quantity="2")
    slot = event.slots.first()
    client.force_login(buyer)
    url = event.url + "pedido/" if where == "page route" else reverse("cms:market_checkout", args=[event.pk])
    first = _post(client, url, slot=str(slot.pk), checkout_key="mercado-1")
    second = _post(client, url, slot=str(slot.pk), checkout_key="mercado-2")
    order = Order.objects.get()
    assert first.url == second.url == reverse("orders:detail", args=[order.number])
    assert SlotUsage.objects.get(slot=slot).taken == 1
    assert event.stock.get(product=yuca).sold == Decimal("2")


def test_a_market_checkout_posted_with_no_basket_goes_back_to_the_market(client, buyer, yuca):
    """The POST reads her basket only in the order's transaction: with none (never filled,
    or emptied meanwhile), valid form or not, she is sent back to the market, and told."""
    event = make_market(offers=[(yuca, 1800, 20)])
    client.force_login(buyer)
    url = reverse("cms:market_checkout", args=[event.pk])
    for data in ({"slot": str(event.slots.get().pk)}, {"delivery_method": "by balloon"}):
        response = _post(client, url, **data)
        assert response.status_code == 302 and response.url == event.url
        assert "Su canasta está vacía." in _said(response)
    services.cart_get(user=buyer, create=True, channel_key=market_key(event))  # made, left empty
    response = _post(client, url, slot=str(event.slots.get().pk))
    assert response.status_code == 302 and response.url == event.url
    assert not Order.objects.exists() and SlotUsage.objects.get().taken == 0


def test_a_phone_order_posted_twice_by_the_market_builder_is_placed_once(yuca):
    from cms.markets.services import market_order_assist

    event = make_market(offers=[(yuca, 1800, 20)])
    builder = UserFactory()
    kwargs = {
        "event": event,
        "actor": builder,
        "contact_name": "Doña Aurora",
        "contact_phone": "+573001112233",
        "quantities": {yuca.pk: Decimal("2")},
        "delivery_method": "pickup",
        "payment_method": "cash",
        "slot_id": event.slots.first().pk,
        "checkout_key": "telefono-1",
    }
    order = market_order_assist(**kwargs)
    with pytest.raises(AlreadyPlacedError) as repeat:
        market_order_assist(**kwargs)
    assert repeat.value.order == order
    assert Order.objects.count() == 1 and event.stock.get(product=yuca).sold == Decimal("2")


# --- races on PostgreSQL ------------------------------------------------------------------------


def _place(buyer, cart, choice):
    return services.order_place(buyer=buyer, cart=cart, choice=choice)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_basket_posted_four_times_at_once_makes_one_order():
    product = make_product(name="Cacao", stock=Decimal("20"), quantity_step=Decimal("1"))
    buyers = []
    for _ in range(5):
        user = UserFactory()
        buyers.append((user, fill_cart(user, [(product, "2")])))
    calls = []
    for n, (user, cart) in enumerate(buyers):
        for tab in range(4):  # four keys: a double tap in two tabs, twice
            choice = services.CheckoutChoice(
                delivery_method="pickup", payment_method="cash", checkout_key=f"b{n}-t{tab % 2}"
            )
            calls.append((user, Cart.objects.get(pk=cart.pk), choice))
    outcomes, errors = race(_place, calls, expected=(AlreadyPlacedError,))
    assert errors == []
    placed = [result for _call, result in outcomes if isinstance(result, Order)]
    repeats = [result for _call, result in outcomes if isinstance(result, AlreadyPlacedError)]
    assert len(placed) == 5 and len(repeats) == 15
    assert {repeat.order.pk for repeat in repeats} == {order.pk for order in placed}
    assert Order.objects.count() == 5
    for user, _cart in buyers:
        assert Order.objects.filter(buyer=user).count() == 1
    assert stock(product) == Decimal("10")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_members_on_credit_at_once_never_pass_the_limit():
    product = make_product(name="Panela", price_cop=20000, stock=Decimal("100"), quantity_step=Decimal("1"))
    members = [UserFactory() for _ in range(10)]
    hotel = make_organization(member=members[0], credit_days=30, credit_limit_cop=100000)
    for member in members[1:]:
        hotel.members.create(user=member)
    calls = []
    for member in members:
        cart = fill_cart(member, [(product, "1")])
        choice = services.CheckoutChoice(
            delivery_method="pickup", payment_method="invoice", organization=hotel
        )
        calls.append((member, cart, choice))
    outcomes, errors = race(_place, calls, expected=(CheckoutError,))
    assert errors == []
    placed = [result for _call, result in outcomes if isinstance(result, Order)]
    refused = [result for _call, result in outcomes if isinstance(result, CheckoutError)]
    assert len(placed) == 5 and len(refused) == 5
    assert all("cupo de crédito" in error.message for error in refused), refused[0].message
    assert services.organization_credit_used(hotel) == 100000
    assert stock(product) == Decimal("95")
