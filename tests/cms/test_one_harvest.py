"""One harvest, one stock: the catalogue and every market sell from the cooperative's one
physical stock (`Product.stock`); a market's quantity is only the most it may sell there.

Before, the same 50 kg of cassava offered in the catalogue and in a market, or in two
overlapping markets, could be sold twice.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.markets.channel import market_key
from cms.markets.storefront import market_offers
from cms.models import MarketStock
from orders import services, transitions
from orders.exceptions import CartError, InsufficientStockError
from orders.models import CartLine, Order, OrderLine, OrderStatus
from orders.stock import stock_return
from tests.cms.factories import make_market, pickup_point
from tests.factories import MembershipFactory, UserFactory, make_product
from tests.helpers import race, stock


@pytest.fixture
def cassava(cooperative):
    return make_product(
        cooperative, name="Yuca fresca", price_cop=2000, stock=Decimal("10"), quantity_step=Decimal("1")
    )


def _catalogue_order(quantity, product):
    user = UserFactory()
    cart = services.cart_get(user=user, create=True)
    services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=str(quantity))
    choice = services.CheckoutChoice(delivery_method="pickup", payment_method="cash")
    return services.order_place(buyer=user, cart=cart, choice=choice)


def _market_cart(event, product, quantity, user=None):
    user = user or UserFactory()
    cart = services.cart_get(user=user, create=True, channel_key=market_key(event))
    cart.lines.all().delete()
    if quantity:
        # Written directly: the basket may hold what was left when it was filled, before
        # another channel sold it (the cart service would refuse it now).
        CartLine.objects.create(cart=cart, product=product, quantity=Decimal(quantity))
    return user, cart


def _market_order(event, user, cart):
    choice = services.CheckoutChoice(
        delivery_method="pickup", payment_method="cash", slot_id=event.slots.first().pk
    )
    return services.order_place(buyer=user, cart=cart, choice=choice)


def test_a_market_sale_takes_from_the_harvest_the_catalogue_sells(cassava):
    event = make_market(offers=[(cassava, 1800, 8)])
    _catalogue_order(5, cassava)
    # The market may sell 8, but only 5 are left of the harvest.
    user, cart = _market_cart(event, cassava, 0)
    with pytest.raises(CartError, match="5"):
        services.cart_set_quantity(cart=cart, product_id=cassava.pk, raw_quantity="6")
    user, cart = _market_cart(event, cassava, "6", user=user)  # put there before the catalogue sold
    with pytest.raises(InsufficientStockError) as short:
        _market_order(event, user, cart)
    assert short.value.short_lines[0].available == Decimal("5")
    assert MarketStock.objects.get(event=event, product=cassava).sold == 0  # nothing half-taken
    user, cart = _market_cart(event, cassava, "5", user=user)
    _market_order(event, user, cart)
    assert stock(cassava) == 0
    assert MarketStock.objects.get(event=event, product=cassava).sold == Decimal("5")


def test_a_line_the_market_has_not_enough_left_for_is_named_and_nothing_is_half_taken(cooperative, cassava):
    """The market's counters are taken by one conditional update: the one that refuses is
    named with what the market has left, read once the others' units are back."""
    araza = make_product(cooperative, name="Arazá", stock=None, quantity_step=Decimal("1"))
    event = make_market(offers=[(araza, 5000, 3), (cassava, 1800, 8)])
    _market_order(event, *_market_cart(event, araza, "2"))
    # Filled before that sale; of the cassava, more than half of what the market has.
    user, cart = _market_cart(event, cassava, "6")
    CartLine.objects.create(cart=cart, product=araza, quantity=Decimal("3"))
    with pytest.raises(InsufficientStockError) as short:
        _market_order(event, user, cart)
    assert [(s.product_name, s.requested, s.available) for s in short.value.short_lines] == [
        ("Arazá", Decimal("3"), Decimal("1"))
    ]
    assert MarketStock.objects.get(event=event, product=cassava).sold == 0
    assert MarketStock.objects.get(event=event, product=araza).sold == Decimal("2")
    assert stock(cassava) == Decimal("10")


def test_the_storefront_offers_no_more_than_the_harvest_left(cassava):
    event = make_market(offers=[(cassava, 1800, 8)])
    assert [offer.remaining for offer in market_offers(event)] == [Decimal("8")]
    _catalogue_order(7, cassava)
    assert [offer.remaining for offer in market_offers(event)] == [Decimal("3")]


def test_two_overlapping_markets_share_one_harvest(cassava):
    first = make_market(title="Mercado de San José", offers=[(cassava, 1800, 8)])
    second = make_market(title="Mercado de El Retorno", offers=[(cassava, 1900, 8)])
    _market_order(first, *_market_cart(first, cassava, "7"))
    user, cart = _market_cart(second, cassava, "4")
    with pytest.raises(InsufficientStockError):
        _market_order(second, user, cart)
    _market_order(second, *_market_cart(second, cassava, "3"))
    assert stock(cassava) == 0


def test_a_cancelled_market_order_gives_back_to_the_market_and_the_harvest_once(cassava):
    event = make_market(offers=[(cassava, 1800, 8)])
    order = _market_order(event, *_market_cart(event, cassava, "4"))
    assert stock(cassava) == Decimal("6")
    transitions.order_transition(order=order, to=OrderStatus.CANCELLED, reason="test")
    stock_return(lines=list(OrderLine.objects.filter(order=order)))  # a second return gives nothing
    assert stock(cassava) == Decimal("10")
    assert MarketStock.objects.get(event=event, product=cassava).sold == 0


def test_a_product_made_to_order_is_limited_by_the_market_alone(cooperative):
    araza = make_product(cooperative, name="Arazá", stock=None, quantity_step=Decimal("1"))
    event = make_market(offers=[(araza, 5000, 3)])
    _market_order(event, *_market_cart(event, araza, "3"))
    with pytest.raises(InsufficientStockError):
        _market_order(event, *_market_cart(event, araza, "1"))


def test_the_cooperative_sees_its_stock_beside_each_market_offer(client, cooperative, cassava):
    manager = MembershipFactory(cooperative=cooperative, role="manager").user
    event = make_market(offers=[(cassava, 1800, 8)], cooperatives=[cooperative])
    _catalogue_order(4, cassava)
    client.force_login(manager)
    page = client.get(f"/espacio/{cooperative.slug}/mercados/{event.pk}/").content.decode()
    assert "<th>Queda en su inventario</th>" in page
    assert ">6 kilos</td>" in page  # 10 harvested, 4 sold in the catalogue


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_catalogue_and_two_markets_at_once_never_sell_more_than_the_harvest():
    product = make_product(name="Cacao en grano", stock=Decimal("20"), quantity_step=Decimal("1"))
    start = timezone.now() + timedelta(days=4)
    markets = [
        make_market(title=f"Mercado {n}", offers=[(product, 10_000, 15)], slots=[(pickup_point(), start, 50)])
        for n in range(2)
    ]
    calls = []
    for _ in range(12):
        user = UserFactory()
        cart = services.cart_get(user=user, create=True)
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity="1")
        calls.append((user, cart, services.CheckoutChoice(delivery_method="pickup", payment_method="cash")))
    for event in markets:
        for _ in range(12):
            user, cart = _market_cart(event, product, "1")
            choice = services.CheckoutChoice(
                delivery_method="pickup", payment_method="cash", slot_id=event.slots.first().pk
            )
            calls.append((user, cart, choice))

    def place(user, cart, choice):
        return services.order_place(buyer=user, cart=cart, choice=choice)

    outcomes, errors = race(place, calls, expected=(InsufficientStockError,))
    assert errors == []
    placed = [result for _call, result in outcomes if isinstance(result, Order)]
    assert len(placed) == 20  # 36 buyers, 20 units: exactly the harvest
    assert stock(product) == 0
    sold = sum(line.quantity for line in OrderLine.objects.filter(product=product))
    assert sold == Decimal("20")
    for event in markets:
        counter = MarketStock.objects.get(event=event, product=product)
        in_market = OrderLine.objects.filter(product=product, order__channel_key=market_key(event))
        lines = sum(line.quantity for line in in_market)
        assert counter.sold == lines <= 15
