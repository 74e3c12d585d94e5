"""Her order, as the buyer reads it: cancelling asks first, a cancelled order offers no bill,
the status at the top follows the cooperatives' parts, payments read coherently, the history
is in her language, and "Pedir de nuevo" refills the basket of the channel the order came from."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from orders import services
from orders.models import CartLine, FulfilmentStatus, OrderEvent, OrderStatus
from orders.payments import offline
from orders.transitions import fulfilment_transition
from tests.cms.factories import make_market
from tests.factories import UserFactory
from tests.helpers import message_texts, stock
from tests.orders.factories import make_organization, place_order

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def order(seller_a, seller_b, household):
    """10 kg of cassava (23.450) from A and 2 litres of honey (60.000) from B, cash, pickup."""
    return place_order(household, [(seller_a.product, "10"), (seller_b.product, "2")])


def _part(order, seller):
    return order.fulfilments.get(cooperative=seller.cooperative)


def _detail(client, order) -> str:
    return client.get(reverse("orders:detail", args=[order.number])).content.decode()


def _status_line(html: str) -> str:
    return html.split('<p class="order-state">', 1)[1].split("</p>", 1)[0]


# --- Cancelling asks first ------------------------------------------------------------------


def test_cancel_button_opens_a_confirmation_page_that_changes_nothing(order, household, client):
    client.force_login(household)
    html = _detail(client, order)
    url = reverse("orders:cancel", args=[order.number])
    assert f'<a class="button secondary" href="{url}">' in html  # a link, not a form that cancels

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"¿Cancelar el pedido {order.number}?" in text
    assert f"${NBSP}83.450" in text and "Yuca fresca" in text and "Miel de abejas" in text
    assert f'<form method="post" action="{url}"' in text
    assert reverse("orders:detail", args=[order.number]) in text  # "No, keep it"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_confirming_cancels_once_and_a_second_confirmation_changes_nothing(
    order, seller_a, seller_b, household, client
):
    client.force_login(household)
    url = reverse("orders:cancel", args=[order.number])
    first = client.post(url, follow=True)
    assert message_texts(first) == ["Su pedido fue cancelado."]
    events = OrderEvent.objects.filter(order=order).count()

    second = client.post(url, follow=True)
    assert "ya no se puede cancelar" in message_texts(second)[0]
    assert OrderEvent.objects.filter(order=order).count() == events
    assert (stock(seller_a.product), stock(seller_b.product)) == (Decimal("100"), Decimal("20"))
    # The confirmation page of an order that cannot be cancelled goes back to it, saying why.
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "orders:detail", args=[order.number]
    )


def test_another_buyers_order_cannot_be_cancelled_nor_its_confirmation_seen(order, client):
    client.force_login(UserFactory())
    url = reverse("orders:cancel", args=[order.number])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.post(reverse("orders:cancel", args=["MG-NOPE1234"])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_cancelled_invoice_offers_no_bill_nor_due_date(seller_a, household, client):
    hotel = make_organization(member=household, credit_days=30, credit_limit_cop=1_000_000)
    order = place_order(household, [(seller_a.product, "4")], payment_method="invoice", organization=hotel)
    client.force_login(household)
    before = _detail(client, order)
    assert "Fecha de vencimiento" in before and "/documentos/" in before

    client.post(reverse("orders:cancel", args=[order.number]))
    after = _detail(client, order)
    assert "Fecha de vencimiento" not in after
    assert "/documentos/" not in after and ">PDF<" not in after
    assert "Sin pagar" not in after  # nothing is owed on a cancelled order
    assert "Cancelado" in _status_line(after)


def test_a_cancelled_transfer_no_longer_asks_for_the_transfer(seller_a, household, client):
    order = place_order(household, [(seller_a.product, "4")], payment_method="transfer")
    client.force_login(household)
    assert "Transfiera" in _detail(client, order)
    client.post(reverse("orders:cancel", args=[order.number]))
    assert "Transfiera" not in _detail(client, order)


# --- The status at the top follows the parts ----------------------------------------------------


def _move(order, seller, *statuses):
    for to in statuses:
        fulfilment_transition(fulfilment=_part(order, seller), to=to, actor=seller.manager)


def test_the_header_status_follows_the_cooperatives_parts(order, seller_a, seller_b, household, client):
    client.force_login(household)
    assert "Realizado" in _status_line(_detail(client, order))

    _move(order, seller_a, FulfilmentStatus.CONFIRMED)
    assert "Confirmado en parte" in _status_line(_detail(client, order))

    _move(order, seller_b, FulfilmentStatus.CONFIRMED)
    _move(order, seller_a, FulfilmentStatus.READY)
    assert "Listo en parte" in _status_line(_detail(client, order))

    _move(order, seller_a, FulfilmentStatus.HANDED_OVER)
    assert "Entregado en parte" in _status_line(_detail(client, order))
    listing = client.get(reverse("orders:list")).content.decode()
    assert "Entregado en parte" in listing

    _move(order, seller_b, FulfilmentStatus.READY, FulfilmentStatus.HANDED_OVER)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert "Entregado" in _status_line(_detail(client, order))
    assert "en parte" not in _status_line(_detail(client, order))


def test_a_partly_paid_order_says_how_much_of_what(order, seller_a, household, client):
    offline.fulfilment_mark_paid(fulfilment=_part(order, seller_a), actor=None)
    client.force_login(household)
    line = _status_line(_detail(client, order))
    assert f"Pagado en parte: ${NBSP}23.450 de ${NBSP}83.450" in line
    assert "Sin pagar" not in line and "recibidos" not in line


# --- The history in her language ---------------------------------------------------------------


def test_the_history_is_in_her_language_and_names_each_cooperative(
    order, seller_a, seller_b, household, client
):
    client.force_login(household)
    _move(order, seller_a, FulfilmentStatus.CONFIRMED)
    services.line_reject(line=order.lines.get(product=seller_a.product), actor=seller_a.manager)
    fulfilment_transition(
        fulfilment=_part(order, seller_b),
        to=FulfilmentStatus.REJECTED,
        actor=seller_b.manager,
        reason="Sin miel",
    )
    html = _detail(client, order)
    history = html.split('<ol class="plain history">', 1)[1].split("</ol>", 1)[0]
    assert f"{seller_a.cooperative.name}: " in history
    assert "todas las partes fueron rechazadas" in history  # the app's own reason, translated
    assert "all parts rejected" not in history
    english = client.get("/en" + reverse("orders:detail", args=[order.number])).content.decode()
    assert "all parts rejected" in english.split('<ol class="plain history">', 1)[1]


def test_a_cancellation_by_the_buyer_reads_in_spanish(order, household, client):
    client.force_login(household)
    client.post(reverse("orders:cancel", args=[order.number]))
    history = _detail(client, order).split('<ol class="plain history">', 1)[1].split("</ol>", 1)[0]
    assert "cancelado por quien compra" in history and "cancelled by buyer" not in history


# --- "Pedir de nuevo" -----------------------------------------------------------------------------


def _market_order(seller_a, household, *, market_price=2000):
    event = make_market(offers=[(seller_a.product, market_price, 50)])
    key = f"market:{event.pk}"
    cart = services.cart_get(user=household, create=True, channel_key=key)
    services.cart_set_quantity(cart=cart, product_id=seller_a.product.pk, raw_quantity="4")
    choice = services.CheckoutChoice(
        delivery_method="pickup", payment_method="cash", slot_id=event.slots.get().pk
    )
    return event, services.order_place(buyer=household, cart=cart, choice=choice)


def test_order_again_refills_the_open_markets_basket_at_its_prices(seller_a, household, client):
    event, order = _market_order(seller_a, household)
    client.force_login(household)
    response = client.post(reverse("orders:again", args=[order.number]))
    assert response.status_code == 302 and response["Location"] == event.url + "#cesta"
    line = CartLine.objects.get(cart__user=household, cart__channel_key=f"market:{event.pk}")
    assert (line.product_id, line.quantity) == (seller_a.product.pk, Decimal("4"))
    assert not CartLine.objects.filter(cart__user=household, cart__channel_key="").exists()
    storefront = client.get(event.url).content.decode()
    assert f"${NBSP}8.000" in storefront  # 4 kg at the market's 2.000, not the catalogue's 2.345


def test_order_again_for_a_closed_market_says_so_and_adds_nothing(seller_a, household, client):
    event, order = _market_order(seller_a, household)
    client.force_login(household)
    with time_machine.travel(event.closes_at + timedelta(hours=1)):
        response = client.post(reverse("orders:again", args=[order.number]), follow=True)
    texts = message_texts(response)
    assert len(texts) == 1 and "cerró" in texts[0] and "No se agregó nada a su canasta." in texts[0]
    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[order.number])
    assert not CartLine.objects.filter(cart__user=household).exists()


def test_order_again_from_the_catalogue_fills_the_catalogue_cart(order, seller_a, household, client):
    client.force_login(household)
    response = client.post(reverse("orders:again", args=[order.number]))
    assert response["Location"] == reverse("orders:cart")
    assert CartLine.objects.filter(cart__user=household, cart__channel_key="").count() == 2


def test_order_again_of_another_buyers_order_is_404(order, client):
    client.force_login(UserFactory())
    assert client.post(reverse("orders:again", args=[order.number])).status_code == 404
    assert not CartLine.objects.exists()
