"""A pickup slot that fills while the buyer is on the checkout page is named as full."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cms.markets.channel import market_key
from cms.models import SlotUsage
from orders import services
from orders.models import Order
from tests.cms.factories import make_market, pickup_point
from tests.factories import UserFactory, make_product


@pytest.mark.django_db
def test_a_slot_that_filled_meanwhile_is_named_full_and_the_basket_kept(client):
    product = make_product(name="Arazá", stock=None, quantity_step=Decimal("1"))
    start = timezone.now() + timedelta(days=3)
    event = make_market(
        offers=[(product, 5000, 20)], slots=[(pickup_point(), start, 1), (pickup_point("Escuela"), start, 5)]
    )
    first, other = event.slots.order_by("pk")
    buyer = UserFactory()
    cart = services.cart_get(user=buyer, create=True, channel_key=market_key(event))
    services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity="2")
    client.force_login(buyer)
    page = client.get(event.url + "pedido/").content.decode()
    assert f'value="{first.pk}"' in page
    SlotUsage.objects.update_or_create(slot=first, defaults={"taken": 1})  # someone took the last place
    response = client.post(
        event.url + "pedido/",
        {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash", "slot": str(first.pk)},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "se llenó mientras usted elegía" in body
    assert "no es una de las opciones" not in body
    assert not Order.objects.exists() and cart.lines.count() == 1
    assert f'value="{other.pk}"' in body  # the slots with room are offered again
