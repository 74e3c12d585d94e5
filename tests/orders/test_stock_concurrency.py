"""Stock never oversells, even with many buyers at once. Real row locks: PostgreSQL only."""

from decimal import Decimal

import pytest

from catalog.models import Product
from orders import services
from orders.exceptions import InsufficientStockError
from orders.models import Order, OrderLine
from tests.factories import UserFactory, make_product
from tests.helpers import race


def _buyer_with_cart(items):
    user = UserFactory()
    cart = services.cart_get(user=user, create=True)
    for product, quantity in items:
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=quantity)
    return user, cart


def _checkout(user, cart):
    choice = services.CheckoutChoice(delivery_method="pickup", payment_method="cash")
    return services.order_place(buyer=user, cart=cart, choice=choice)


def _race(buyers):
    """Each buyer checks out in her own thread and connection, all released at once."""
    outcomes, errors = race(_checkout, buyers, expected=(InsufficientStockError,))
    return [result for _call, result in outcomes], errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_buyers_for_twenty_units_sell_exactly_twenty():
    product = make_product(
        name="Cacao en grano", stock=Decimal("20"), min_quantity=Decimal("1"), quantity_step=Decimal("1")
    )
    buyers = [_buyer_with_cart([(product, "1")]) for _ in range(50)]
    results, errors = _race(buyers)
    assert errors == []
    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientStockError)]
    assert len(orders) == 20
    assert len(refused) == 30
    for error in refused:
        (short,) = error.short_lines
        assert short.product_name == "Cacao en grano" and short.available == 0
    product.refresh_from_db()
    assert product.stock == 0
    assert Order.objects.count() == 20
    assert OrderLine.objects.count() == 20
    assert len({o.buyer_id for o in Order.objects.all()}) == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_short_products_in_opposite_order_never_deadlock_or_oversell():
    a = make_product(name="Panela", stock=Decimal("10"), quantity_step=Decimal("1"))
    b = make_product(name="Miel", stock=Decimal("10"), quantity_step=Decimal("1"))
    buyers = []
    for i in range(30):
        items = [(a, "1"), (b, "1")] if i % 2 else [(b, "1"), (a, "1")]
        buyers.append(_buyer_with_cart(items))
    results, errors = _race(buyers)
    assert errors == [], errors  # a deadlock would surface here as an OperationalError
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 10
    stock = dict(Product.objects.filter(pk__in=[a.pk, b.pk]).values_list("name", "stock"))
    assert stock == {"Panela": 0, "Miel": 0}
    # All or nothing: every order holds both products.
    for order in orders:
        assert order.lines.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_cancellations_return_stock_once():
    product = make_product(name="Huevos", stock=Decimal("5"), quantity_step=Decimal("1"), unit="docena")
    user, cart = _buyer_with_cart([(product, "3")])
    order = services.order_place(
        buyer=user, cart=cart, choice=services.CheckoutChoice(delivery_method="pickup", payment_method="cash")
    )

    def cancel():
        services.order_cancel_by_buyer(order=Order.objects.get(pk=order.pk), buyer=user)

    race(cancel, times=5, expected=(Exception,))  # refusals and lock errors alike: the stock tells
    product.refresh_from_db()
    assert product.stock == Decimal("5")
