"""Orders a Market Builder takes by phone or WhatsApp go through the storefront's rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cms.models import MarketOrder, MarketStock, SlotUsage
from orders import services
from orders.models import Cart, CartLine, Order
from tests.cms.factories import make_builder, make_market, pickup_point
from tests.factories import CooperativeFactory, UserFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def builder():
    return make_builder()


@pytest.fixture
def market(builder):
    frutos = CooperativeFactory(name="Frutos del Guaviare")
    araza = make_product(frutos, name="Arazá")
    cachama = make_product(CooperativeFactory(name="Piscícola La Macarena"), name="Cachama")
    closes_at = timezone.now() + timedelta(days=2)
    event = make_market(
        offers=[(araza, 5000, 20), (cachama, 12000, 30)],
        closes_at=closes_at,
        slots=[(pickup_point("Plaza"), closes_at + timedelta(days=1), 1)],
        owner=builder,
    )
    return event, araza, cachama


def _post(client, event, **fields):
    data = {
        "contact_name": "Doña Carmen Ríos",
        "contact_phone": "310 123 4567",
        "delivery_method": "pickup",
        "slot": str(event.slots.get().pk),
        "payment_method": "cash",
        "notes": "",
    }
    data.update(fields)
    return client.post(reverse("cms_market_assist", args=[event.pk]), data)


def _nothing_written(event, araza):
    assert not Order.objects.exists()
    assert not MarketOrder.objects.exists()
    assert MarketStock.objects.get(event=event, product=araza).sold == 0
    assert SlotUsage.objects.get(slot=event.slots.get()).taken == 0


def test_form_lists_the_markets_offers(client, builder, market):
    event, araza, cachama = market
    client.force_login(builder)
    html = client.get(reverse("cms_market_assist", args=[event.pk])).content.decode()
    assert f'name="qty_{araza.pk}"' in html and f'name="qty_{cachama.pk}"' in html


def test_builder_places_an_order_for_a_buyer_without_account(client, builder, market):
    event, araza, cachama = market
    client.force_login(builder)
    response = _post(client, event, **{f"qty_{araza.pk}": "2", f"qty_{cachama.pk}": "1,5"})
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#pedido-{order.number}")
    assert (order.contact_name, order.contact_phone) == ("Doña Carmen Ríos", "+573101234567")
    assert order.channel_key == f"market:{event.pk}" and order.payment_method == "cash"
    assert order.total_cop == 2 * 5000 + 18000
    link = order.market_link
    assert link.assisted_by == builder and link.slot == event.slots.get()
    assert MarketStock.objects.get(event=event, product=araza).sold == Decimal("2")
    assert SlotUsage.objects.get(slot=event.slots.get()).taken == 1
    html = client.get(reverse("cms_market_report", args=[event.pk])).content.decode()
    assert "Doña Carmen Ríos" in html and "+573101234567" in html


def test_builders_own_basket_in_the_market_is_kept(client, builder, market):
    event, araza, cachama = market
    own = services.cart_get(user=builder, create=True, channel_key=f"market:{event.pk}")
    services.cart_set_quantity(cart=own, product_id=cachama.pk, raw_quantity="3")
    client.force_login(builder)
    _post(client, event, **{f"qty_{araza.pk}": "1"})
    assert Order.objects.get().lines.get().product == araza
    assert list(CartLine.objects.filter(cart__user=builder).values_list("product", "quantity")) == [
        (cachama.pk, Decimal("3"))
    ]


def test_a_closed_market_refuses_and_nothing_is_written(client, builder, market):
    event, araza, _cachama = market
    client.force_login(builder)
    with time_machine.travel(event.closes_at + timedelta(seconds=1), tick=False):
        response = _post(client, event, **{f"qty_{araza.pk}": "2"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    _nothing_written(event, araza)
    assert not Cart.objects.filter(user=builder).exists()


def test_a_full_slot_refuses_and_nothing_is_written(client, builder, market):
    event, araza, cachama = market
    buyer = UserFactory()
    cart = services.cart_get(user=buyer, create=True, channel_key=f"market:{event.pk}")
    services.cart_set_quantity(cart=cart, product_id=cachama.pk, raw_quantity="1")
    first = services.order_place(
        buyer=buyer,
        cart=cart,
        choice=services.CheckoutChoice(
            delivery_method="pickup", payment_method="cash", slot_id=event.slots.get().pk
        ),
    )
    client.force_login(builder)
    response = _post(client, event, **{f"qty_{araza.pk}": "2"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert list(Order.objects.all()) == [first]
    assert MarketStock.objects.get(event=event, product=araza).sold == 0
    assert SlotUsage.objects.get(slot=event.slots.get()).taken == 1
    assert not CartLine.objects.filter(cart__user=builder).exists()


def test_more_than_is_left_is_refused(client, builder, market):
    event, araza, _cachama = market
    client.force_login(builder)
    response = _post(client, event, **{f"qty_{araza.pk}": "25"})
    assert response.status_code == 400
    assert "Arazá" in str(response.context["form"].non_field_errors())
    _nothing_written(event, araza)


def test_phone_and_a_quantity_are_required(client, builder, market):
    event, araza, _cachama = market
    client.force_login(builder)
    response = _post(client, event, contact_phone="12")
    form = response.context["form"]
    assert response.status_code == 400
    assert "contact_phone" in form.errors and form.non_field_errors()
    _nothing_written(event, araza)


def test_card_payment_is_not_offered(client, builder, market):
    event, araza, _cachama = market
    client.force_login(builder)
    response = _post(client, event, payment_method="card", **{f"qty_{araza.pk}": "1"})
    assert response.status_code == 400 and "payment_method" in response.context["form"].errors
    _nothing_written(event, araza)


def test_the_person_the_order_was_taken_for_gets_it_by_sms(
    client, builder, market, django_capture_on_commit_callbacks
):
    """Her confirmation goes to her phone, not to the builder's inbox."""
    from django.core import mail

    from market.models import Message

    event, araza, _cachama = market
    client.force_login(builder)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, event, **{f"qty_{araza.pk}": "2"})
    order = Order.objects.get(contact_phone="+573101234567")
    (sms,) = Message.objects.filter(kind="order_placed")
    assert (sms.channel, sms.address, sms.state) == ("sms", "+573101234567", "sent")
    assert sms.user is None and order.number in sms.body
    assert "/pedidos/" not in sms.body, "her order page needs an account she does not have"
    # The builder sees in her report whether the person was told.
    report = client.get(reverse("cms_market_report", args=[event.pk])).content.decode()
    assert "Último mensaje: SMS, enviado" in report
    assert not [m for m in mail.outbox if m.to == [builder.email] and order.number in m.subject]
