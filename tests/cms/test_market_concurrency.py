"""A market's offers and pickup slots are never oversold, even in the opening rush.

Each buyer checks out in her own thread and database connection, all released at once by
a barrier. Real row locks are needed: PostgreSQL only (the `postgres` marker).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from cms.markets.channel import market_key
from cms.models import MarketOrder, MarketStock, SlotUsage
from orders import services
from orders.exceptions import CheckoutError, InsufficientStockError, TransitionError
from orders.models import Order, OrderLine, OrderStatus
from tests.cms.factories import make_market, pickup_point
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.helpers import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _market(*, quantity, capacity):
    cooperative = CooperativeFactory(name="Asociación Cacaotera del Guaviare")
    product = make_product(
        cooperative,
        name="Cacao en grano",
        unit="kg",
        price_cop=12_000,
        stock=None,
        min_quantity=Decimal("1"),
        quantity_step=Decimal("1"),
    )
    start = timezone.now() + timedelta(days=4)
    event = make_market(
        offers=[(product, 10_000, quantity)],
        slots=[(pickup_point(), start, capacity)],
    )
    return event, product, event.slots.get()


def _buyers(event, product, *, count, quantity):
    buyers = []
    for _ in range(count):
        user = UserFactory()
        cart = services.cart_get(user=user, create=True, channel_key=market_key(event))
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=str(quantity))
        buyers.append((user, cart))
    return buyers


def _place(user, cart, slot):
    choice = services.CheckoutChoice(delivery_method="pickup", payment_method="cash", slot_id=slot.pk)
    return services.order_place(buyer=user, cart=cart, choice=choice)


def _race(buyers, slot):
    """Every buyer places her order at the same moment; returns ((buyer, order or refusal), errors)."""
    calls = [(user, cart, slot) for user, cart in buyers]
    outcomes, errors = race(_place, calls, expected=(InsufficientStockError, CheckoutError))
    return [(user, result) for (user, _cart, _slot), result in outcomes], errors


def test_fifty_buyers_for_an_offer_of_twenty_buy_exactly_twenty():
    event, product, slot = _market(quantity=20, capacity=100)
    buyers = _buyers(event, product, count=50, quantity=1)

    results, errors = _race(buyers, slot)

    assert errors == []
    orders = [r for _user, r in results if isinstance(r, Order)]
    refused = [r for _user, r in results if not isinstance(r, Order)]
    assert len(orders) == 20 and len(refused) == 30
    for error in refused:
        assert isinstance(error, InsufficientStockError), error
        (short,) = error.short_lines
        assert (short.product_name, short.requested, short.available) == ("Cacao en grano", 1, 0)
    assert MarketStock.objects.get(event=event, product=product).sold == 20
    assert Order.objects.count() == 20 and OrderLine.objects.count() == 20
    assert OrderLine.objects.filter(unit_price_cop=10_000).count() == 20
    assert MarketOrder.objects.filter(event=event, slot=slot).count() == 20
    assert SlotUsage.objects.get(slot=slot).taken == 20
    product.refresh_from_db()
    assert product.stock is None, "the catalogue's stock is not the market's"


def test_fifty_buyers_for_a_slot_of_ten_get_exactly_ten_places():
    """Each buyer wants 2 kg of her own product (plenty of each), so the pickup slot is
    the only row they all compete for: its conditional update alone must hold the line."""
    cooperative = CooperativeFactory(name="Asociación Cacaotera del Guaviare")
    products = [
        make_product(cooperative, name=f"Cacao {n}", stock=None, quantity_step=Decimal("1"))
        for n in range(50)
    ]
    start = timezone.now() + timedelta(days=4)
    event = make_market(
        offers=[(product, 10_000, 100) for product in products],
        slots=[(pickup_point(), start, 10)],
    )
    slot = event.slots.get()
    buyers = [_buyers(event, product, count=1, quantity=2)[0] for product in products]

    results, errors = _race(buyers, slot)

    assert errors == []
    placed = {user.pk: r for user, r in results if isinstance(r, Order)}
    refused = {user.pk: r for user, r in results if not isinstance(r, Order)}
    assert len(placed) == 10 and len(refused) == 40
    full = gettext("That pickup slot is full. Choose another one.")
    for error in refused.values():
        assert isinstance(error, CheckoutError) and error.message == full, error
    assert SlotUsage.objects.get(slot=slot).taken == 10
    assert MarketOrder.objects.filter(slot=slot).count() == 10
    # Nothing of the refused buyers was written; their units went back with the rollback.
    assert set(Order.objects.values_list("buyer_id", flat=True)) == set(placed)
    assert not OrderLine.objects.filter(order__buyer_id__in=refused).exists()
    sold = dict(MarketStock.objects.filter(event=event).values_list("product_id", "sold"))
    bought = set(OrderLine.objects.values_list("product_id", flat=True))
    assert len(bought) == 10
    assert sold == {product.pk: 2 if product.pk in bought else 0 for product in products}
    # The refused buyers keep their baskets, to choose another slot.
    for user, cart in buyers:
        assert cart.lines.exists() is (user.pk in refused)


def test_five_concurrent_cancellations_return_units_and_the_slot_once():
    event, product, slot = _market(quantity=20, capacity=10)
    (first, first_cart), (second, second_cart) = _buyers(event, product, count=2, quantity=3)
    services.cart_set_quantity(cart=second_cart, product_id=product.pk, raw_quantity="10")
    choice = services.CheckoutChoice(delivery_method="pickup", payment_method="cash", slot_id=slot.pk)
    order = services.order_place(buyer=first, cart=first_cart, choice=choice)
    services.order_place(buyer=second, cart=second_cart, choice=choice)
    stock = MarketStock.objects.get(event=event, product=product)
    assert stock.sold == 13 and SlotUsage.objects.get(slot=slot).taken == 2

    def cancel():
        services.order_cancel_by_buyer(order=Order.objects.get(pk=order.pk), buyer=first)
        return "cancelled"

    outcomes, errors = race(cancel, times=5, expected=(TransitionError,))
    outcomes = ["refused" if isinstance(result, TransitionError) else result for _call, result in outcomes]

    assert errors == []
    assert sorted(outcomes) == ["cancelled"] + ["refused"] * 4
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    stock.refresh_from_db()
    assert stock.sold == 10, "the 3 units came back once; the other order keeps its 10"
    assert SlotUsage.objects.get(slot=slot).taken == 1
    assert MarketOrder.objects.get(order=order).slot_released_at is not None


def test_checkouts_and_cancellations_of_the_same_products_at_once_never_deadlock():
    """A checkout locks its products (with its basket), then takes the market's counters; a
    cancellation gives back to the products, then to the counters: the same order, so ten
    of each at once all finish, and every unit is counted once."""
    cooperative = CooperativeFactory(name="Asociación Cacaotera del Guaviare")
    products = [
        make_product(cooperative, name=f"Cacao {n}", stock=Decimal("100"), quantity_step=Decimal("1"))
        for n in range(3)
    ]
    start = timezone.now() + timedelta(days=4)
    event = make_market(offers=[(p, 10_000, 100) for p in products], slots=[(pickup_point(), start, 100)])
    slot = event.slots.get()
    choice = services.CheckoutChoice(delivery_method="pickup", payment_method="cash", slot_id=slot.pk)

    def basket(user):
        cart = services.cart_get(user=user, create=True, channel_key=market_key(event))
        for product in products:
            services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity="2")
        return cart

    placed = []
    for _ in range(10):
        user = UserFactory()
        placed.append(("cancel", user, services.order_place(buyer=user, cart=basket(user), choice=choice)))
    waiting = [("place", user, basket(user)) for user in (UserFactory() for _ in range(10))]

    def act(kind, user, thing):
        if kind == "cancel":
            return services.order_cancel_by_buyer(order=Order.objects.get(pk=thing.pk), buyer=user)
        return services.order_place(buyer=user, cart=thing, choice=choice)

    outcomes, errors = race(act, placed + waiting)

    assert errors == [] and len(outcomes) == 20
    for product in products:
        assert MarketStock.objects.get(event=event, product=product).sold == 20
        product.refresh_from_db()
        assert product.stock == 80
    assert SlotUsage.objects.get(slot=slot).taken == 10
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 10
