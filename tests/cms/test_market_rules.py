"""The rules of a market, through the real views, with the clock pinned (`time_machine`).

A market trades while `opens_at <= now < closes_at`: every cart change and every checkout
asks the server's clock. Prices, quantities, per-buyer limits, slots and delivery are the
market's own, its cart is not the catalogue's, and its public pages never show a buyer.

Messages are compared with the buyer's language (Spanish) through `gettext`, so a new
translation does not break these tests while a changed rule does.
"""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from cms.models import MarketOrder, MarketStock, SlotUsage
from cooperatives.models import VerificationStatus
from market.money import format_cop
from orders import services, transitions
from orders.exceptions import CheckoutError
from orders.models import CartLine, Order, OrderLine, OrderStatus
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, ProducerFactory, UserFactory, make_product

BOGOTA = ZoneInfo("America/Bogota")
T0 = datetime(2031, 3, 14, 12, 0, tzinfo=BOGOTA)  # a Friday, noon in Bogotá
CLOSES = T0 + timedelta(hours=6)  # 18:00 the same day
SECOND = timedelta(seconds=1)


# --- helpers ------------------------------------------------------------------------------


def es(msgid: str, **params) -> str:
    """A message as the buyer reads it: in Spanish, the site's language."""
    with translation.override("es"):
        text = gettext(msgid)
        return text % params if params else text


def es_when(value) -> str:
    with translation.override("es"):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def messages_shown(response) -> list[str]:
    """The texts of the flash messages rendered on the page (unescaped)."""
    page = response.content.decode()
    # Said next to the product it is about (its card or basket line), or at the top.
    notes = [html.unescape(m) for m in re.findall(r'<p class="note [^"]*"[^>]*>(.*?)</p>', page, re.S)]
    block = re.search(r'<ul class="messages"[^>]*>(.*?)</ul>', page, re.S)
    if block is None:
        return notes
    return [html.unescape(m) for m in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)] + notes


def add(client, event, product, quantity, *, follow=True):
    return client.post(
        event.url + "cesta/",
        {"product": product.pk, "quantity": str(quantity), "action": "add"},
        follow=follow,
    )


def checkout(client, event, *, follow=False, **data):
    form = {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"}
    if data.get("delivery_method", "pickup") == "pickup":
        form["slot"] = event.slots.get().pk
    form.update(data)
    return client.post(event.url + "pedido/", form, follow=follow)


def market_cart_lines(buyer, event):
    return CartLine.objects.filter(cart__user=buyer, cart__channel_key=f"market:{event.pk}")


def sold(event, product) -> Decimal:
    return MarketStock.objects.get(event=event, product=product).sold


def taken(event) -> int:
    return SlotUsage.objects.get(slot=event.slots.get()).taken


def signed_in(client, **fields):
    user = UserFactory(**fields)
    client.force_login(user)
    return user


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def clock():
    """Time stands still at T0 until a test moves it."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def goods(db):
    frutos = CooperativeFactory(name="Frutos del Guaviare")
    macarena = CooperativeFactory(name="Piscícola La Macarena")
    araza = make_product(frutos, name="Arazá", price_cop=6000, stock=Decimal("100"))
    cachama = make_product(macarena, name="Cachama", price_cop=14000, stock=Decimal("100"))
    ajena = CooperativeFactory(name="Lácteos del Ariari")
    queso = make_product(ajena, name="Queso campesino", price_cop=18000, stock=Decimal("100"))
    return araza, cachama, queso


@pytest.fixture
def event(clock, goods):
    """Open since yesterday, closes today at 18:00; at most 3 kg of arazá per buyer."""
    araza, cachama, _queso = goods
    return make_market(
        offers=[(araza, 5000, 20, 3), (cachama, 12000, 30)],
        opens_at=T0 - timedelta(days=1),
        closes_at=CLOSES,
    )


# --- the trading window -------------------------------------------------------------------


def test_an_order_one_second_before_the_close_is_accepted(client, clock, event, goods):
    araza, _cachama, _ = goods
    buyer = signed_in(client)
    clock.move_to(CLOSES - timedelta(minutes=5))
    assert messages_shown(add(client, event, araza, 2)) == [
        es(
            "%(name)s: %(quantity)s %(unit)s in your basket.",
            name="Arazá",
            quantity="2",
            unit="kilos",
        )
    ]
    clock.move_to(CLOSES - SECOND)
    response = checkout(client, event)
    order = Order.objects.get(buyer=buyer)
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.number])
    assert order.status == OrderStatus.PLACED
    assert order.placed_at == CLOSES - SECOND
    assert order.channel_key == f"market:{event.pk}"
    assert order.market_link.slot == event.slots.get()
    assert sold(event, araza) == 2 and taken(event) == 1


def test_an_order_one_second_after_the_close_is_refused_and_nothing_is_written(client, clock, event, goods):
    araza, _cachama, _ = goods
    buyer = signed_in(client)
    clock.move_to(CLOSES - timedelta(minutes=5))
    add(client, event, araza, 2)
    assert market_cart_lines(buyer, event).count() == 1

    clock.move_to(CLOSES + SECOND)
    response = checkout(client, event, follow=True)
    closed = es("This market closed on %(when)s. Look for the next one.", when=es_when(CLOSES))
    assert messages_shown(response) == [closed]
    assert "18:00" in closed, "the message says when it closed"
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not MarketOrder.objects.exists()
    assert sold(event, araza) == 0 and taken(event) == 0
    assert market_cart_lines(buyer, event).get().quantity == 2, "the basket is left as it was"
    # The page now shows the market as closed, with no form to order.
    page = client.get(event.url).content.decode()
    assert 'class="state state-closed"' in page
    assert 'class="add-to-cart"' not in page


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [(CLOSES - SECOND, True), (CLOSES, False), (CLOSES + SECOND, False)],
    ids=["one second before", "at the close", "one second after"],
)
def test_cart_changes_follow_the_closing_second(client, clock, event, goods, moment, accepted):
    araza, _cachama, _ = goods
    buyer = signed_in(client)
    clock.move_to(moment)
    shown = messages_shown(add(client, event, araza, 1))
    assert market_cart_lines(buyer, event).exists() is accepted
    if not accepted:
        assert shown == [es("This market closed on %(when)s. Look for the next one.", when=es_when(CLOSES))]


def test_an_upcoming_market_refuses_cart_additions(client, clock, goods):
    araza, _cachama, _ = goods
    opens = T0 + timedelta(days=2, hours=3, minutes=30)
    upcoming = make_market(
        title="Mercado de Anorí",
        offers=[(araza, 5000, 20)],
        opens_at=opens,
        closes_at=opens + timedelta(days=2),
    )
    buyer = signed_in(client)
    shown = messages_shown(add(client, upcoming, araza, 1))
    assert shown == [es("This market opens on %(when)s. Come back then!", when=es_when(opens))]
    assert not CartLine.objects.filter(cart__user=buyer).exists()
    # Checkout is refused too, before any form.
    response = client.get(upcoming.url + "pedido/", follow=True)
    assert messages_shown(response) == shown
    # An anonymous visitor is refused the same way, and gets no cart line either.
    client.logout()
    assert messages_shown(add(client, upcoming, araza, 1)) == shown
    assert not CartLine.objects.exists()


def test_a_closed_market_refuses_cart_additions(client, clock, goods):
    araza, _cachama, _ = goods
    closed = make_market(
        title="Mercado pasado",
        offers=[(araza, 5000, 20)],
        opens_at=T0 - timedelta(days=5),
        closes_at=T0 - timedelta(days=2),
    )
    signed_in(client)
    shown = messages_shown(add(client, closed, araza, 1))
    assert shown == [
        es("This market closed on %(when)s. Look for the next one.", when=es_when(closed.closes_at))
    ]
    assert not CartLine.objects.exists()


# --- upcoming and closed pages ---------------------------------------------------------------


def _unfold(body: str) -> list[str]:
    """RFC 5545 content lines: CRLF-separated, a leading space continues the line before."""
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", ""), "lines end with CRLF"
    physical = body[:-2].split("\r\n")
    for line in physical:
        assert len(line.encode()) <= 75, f"line longer than 75 octets: {line!r}"
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def test_an_upcoming_market_shows_its_opening_and_a_calendar_file(client, clock, goods):
    araza, _cachama, _ = goods
    opens = datetime(2031, 3, 16, 15, 30, tzinfo=BOGOTA)  # Sunday 15:30 in Bogotá = 20:30 UTC
    closes = datetime(2031, 3, 18, 17, 0, tzinfo=BOGOTA)
    upcoming = make_market(
        title="Mercado campesino de Anorí, Antioquia; edición de marzo",
        offers=[(araza, 5000, 20)],
        opens_at=opens,
        closes_at=closes,
    )
    page = client.get(upcoming.url).content.decode()
    state = re.search(r'<p class="state state-upcoming">(.*?)</p>', page, re.S).group(1)
    assert "16 de marzo" in state and "15:30" in state, state
    assert "Arazá" in page, "what will be offered is shown"
    assert 'class="add-to-cart"' not in page
    ics_url = upcoming.url + "calendario/"
    assert f'href="{ics_url}"' in page

    response = client.get(ics_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert re.search(r'attachment; filename="[\w-]+\.ics"', response["Content-Disposition"])
    lines = _unfold(response.content.decode())
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    fields = dict(line.split(":", 1) for line in lines)
    assert fields["DTSTART"] == "20310316T203000Z"
    assert fields["DTEND"] == "20310318T220000Z"
    assert fields["DTSTAMP"] == T0.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert fields["UID"]
    assert fields["SUMMARY"] == r"Mercado campesino de Anorí\, Antioquia\; edición de marzo"
    assert fields["URL"] == "http://testserver" + upcoming.url


def test_a_closed_market_shows_its_summary_and_never_a_buyer(client, clock, goods):
    araza, cachama, _ = goods
    for product in (araza, cachama):
        product.producers.add(ProducerFactory(cooperative=product.cooperative))
    araza.producers.add(ProducerFactory(cooperative=araza.cooperative))  # arazá: two families
    event = make_market(
        offers=[(araza, 5000, 20), (cachama, 12000, 30)], closes_at=CLOSES, opens_at=T0 - timedelta(days=1)
    )
    people = [
        {"first_name": "Zenaida", "last_name": "Quintanilla", "email": "zenaida.quintanilla@example.org"},
        {"first_name": "Eulalia", "last_name": "Montenegro", "email": "eulalia.montenegro@example.org"},
        {"first_name": "Filomena", "last_name": "Carabalí", "email": "filomena.carabali@example.org"},
    ]
    zenaida, eulalia, filomena = (UserFactory(**p) for p in people)
    slot = event.slots.get().pk
    for buyer, items in [
        (zenaida, [(araza, "2"), (cachama, "1.5")]),
        (eulalia, [(araza, "3")]),
        (eulalia, [(cachama, "1")]),
        (filomena, [(araza, "1")]),
    ]:
        cart = services.cart_get(user=buyer, create=True, channel_key=f"market:{event.pk}")
        for product, quantity in items:
            services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=quantity)
        order = services.order_place(
            buyer=buyer,
            cart=cart,
            choice=services.CheckoutChoice(delivery_method="pickup", payment_method="cash", slot_id=slot),
        )
    services.order_cancel_by_buyer(order=order, buyer=filomena)  # a cancelled order does not count

    clock.move_to(CLOSES + timedelta(hours=1))
    for viewer in (None, UserFactory()):
        if viewer:
            client.force_login(viewer)
        page = html.unescape(client.get(event.url).content.decode())
        summary = re.search(r'<section class="summary">(.*?)</section>', page, re.S).group(1)
        figures = [
            re.match(r"\s*([\d.,]+)", item).group(1) for item in re.findall(r"<li>(.*?)</li>", summary)
        ]
        # orders, households, cooperatives, producer families, kilos (2 + 1,5 + 3 + 1)
        assert figures == ["3", "2", "2", "3", "7,5"], summary
        assert "kg" in summary
        for person in people:
            for value in person.values():
                assert value not in page, f"{value} is shown on the public page"
        assert 'class="add-to-cart"' not in page and 'id="cesta"' not in page


# --- what can be bought, at what price --------------------------------------------------------


def test_at_most_so_much_per_buyer_across_her_orders(client, clock, event, goods):
    araza, _cachama, _ = goods
    buyer = signed_in(client)
    # In one basket: refused above the limit.
    shown = messages_shown(add(client, event, araza, 4))
    assert shown == [
        es(
            "At most %(max)s %(unit)s of %(name)s per buyer in this market.",
            max="3",
            unit="kilos",
            name="Arazá",
        )
    ]
    assert not market_cart_lines(buyer, event).exists()
    # Two orders: 2 kg, then 2 kg more is refused at checkout, and nothing of it is written.
    add(client, event, araza, 2)
    assert checkout(client, event).status_code == 302
    add(client, event, araza, 2)
    response = checkout(client, event)
    assert response.status_code == 400
    assert (
        html.escape(
            es(
                "At most %(max)s of %(name)s per buyer in this market; you already ordered some.",
                max="3",
                name="Arazá",
            )
        )
        in response.content.decode()
    )
    assert Order.objects.filter(buyer=buyer).count() == 1
    assert sold(event, araza) == 2 and taken(event) == 1
    # 1 kg more is within the limit.
    client.post(event.url + "cesta/", {"product": araza.pk, "quantity": "1", "action": "set"})
    assert checkout(client, event).status_code == 302
    assert sold(event, araza) == 3
    # Another buyer has her own limit.
    other = signed_in(client)
    add(client, event, araza, 3)
    assert checkout(client, event).status_code == 302
    assert Order.objects.filter(buyer=other).count() == 1


def test_a_product_of_a_cooperative_outside_the_market_cannot_be_added(client, clock, event, goods):
    _araza, _cachama, queso = goods
    buyer = signed_in(client)
    shown = messages_shown(add(client, event, queso, 1))
    assert shown == [es("%(name)s is not offered in this market.", name="Queso campesino")]
    assert not market_cart_lines(buyer, event).exists()


def test_an_offer_of_a_cooperative_that_no_longer_takes_part_cannot_be_bought(client, clock, goods):
    """The Market Builder removed a cooperative (or it lost its verification) after its
    offers were made: its products are no longer on sale in the market."""
    araza, cachama, _ = goods
    event = make_market(
        offers=[(araza, 5000, 20), (cachama, 12000, 30)],
        cooperatives=[araza.cooperative],
        opens_at=T0 - timedelta(days=1),
        closes_at=CLOSES,
    )
    buyer = signed_in(client)
    shown = messages_shown(add(client, event, cachama, 1))
    assert shown == [es("%(name)s is not offered in this market.", name="Cachama")]
    assert not market_cart_lines(buyer, event).exists()
    assert "Cachama" not in client.get(event.url).content.decode()


def test_a_basket_line_no_longer_on_sale_is_refused_at_checkout(client, clock, event, goods):
    araza, _cachama, _ = goods
    buyer = signed_in(client)
    add(client, event, araza, 1)
    araza.cooperative.verification_status = VerificationStatus.REJECTED
    araza.cooperative.save(update_fields=["verification_status"])
    response = checkout(client, event)
    assert response.status_code == 400
    assert html.escape(es("%(name)s is not offered in this market.", name="Arazá")) in (
        response.content.decode()
    )
    assert not Order.objects.filter(buyer=buyer).exists() and sold(event, araza) == 0


def test_the_market_price_is_used_not_the_catalogue_price(client, clock, event, goods):
    araza, cachama, _ = goods
    buyer = signed_in(client)
    add(client, event, araza, 2)
    add(client, event, cachama, "1.5")
    araza.price_cop = 9999  # the catalogue price changes meanwhile
    araza.save(update_fields=["price_cop"])
    basket = client.get(event.url).content.decode().split('id="cesta"')[1]
    assert format_cop(10_000) in html.unescape(basket) and format_cop(18_000) in html.unescape(basket)
    assert checkout(client, event).status_code == 302
    order = Order.objects.get(buyer=buyer)
    prices = dict(order.lines.values_list("product_name", "unit_price_cop"))
    assert prices == {"Arazá": 5000, "Cachama": 12000}
    assert order.total_cop == 2 * 5000 + 18_000
    araza.refresh_from_db()
    # One harvest, one stock: what the market sold left the cooperative's stock too.
    assert araza.stock == 98 and sold(event, araza) == 2


def test_the_catalogue_cart_and_the_market_cart_are_separate(client, clock, event, goods):
    araza, cachama, _ = goods
    buyer = signed_in(client)
    add(client, event, araza, 2)
    catalogue_cart = client.get(reverse("orders:cart")).content.decode()
    assert "Arazá" not in catalogue_cart
    client.post(reverse("orders:cart_add"), {"product": cachama.pk, "quantity": "1"})
    basket = client.get(event.url).content.decode().split('id="cesta"')[1]
    assert "Arazá" in basket and "Cachama" not in basket
    assert list(
        CartLine.objects.filter(cart__user=buyer, cart__channel_key="").values_list(
            "product__name", flat=True
        )
    ) == ["Cachama"]
    assert list(market_cart_lines(buyer, event).values_list("product__name", flat=True)) == ["Arazá"]
    # Ordering in the market leaves the catalogue cart alone.
    assert checkout(client, event).status_code == 302
    assert "Cachama" in client.get(reverse("orders:cart")).content.decode()


# --- delivery -------------------------------------------------------------------------------


def test_delivery_is_refused_when_the_market_offers_none(client, clock, event, goods):
    araza, _cachama, _ = goods
    buyer = signed_in(client)
    add(client, event, araza, 2)
    form = client.get(event.url + "pedido/").content.decode()
    assert 'value="delivery"' not in form
    response = checkout(client, event, delivery_method="delivery", delivery_address="Calle 1 # 2-3")
    assert response.status_code == 400
    assert not Order.objects.exists()
    # The rule is the channel's, not only the form's.
    cart = services.cart_get(user=buyer, channel_key=f"market:{event.pk}")
    with pytest.raises(CheckoutError) as refused:
        services.order_place(
            buyer=buyer,
            cart=cart,
            choice=services.CheckoutChoice(
                delivery_method="delivery", payment_method="cash", delivery_address="Calle 1 # 2-3"
            ),
        )
    assert refused.value.message == es("This market has no delivery; choose a pickup slot.")
    assert not Order.objects.exists() and sold(event, araza) == 0


def test_delivery_adds_the_market_fee_and_needs_the_minimum_order(client, clock, goods):
    araza, cachama, _ = goods
    event = make_market(
        offers=[(araza, 5000, 20), (cachama, 12000, 30)],
        opens_at=T0 - timedelta(days=1),
        closes_at=CLOSES,
        delivery_offered=True,
        delivery_fee_cop=4000,
        delivery_min_order_cop=20_000,
    )
    buyer = signed_in(client)
    add(client, event, araza, 2)  # 10.000: below the minimum for delivery
    response = checkout(client, event, delivery_method="delivery", delivery_address="Calle 8 # 22-10")
    assert response.status_code == 400
    assert (
        html.escape(es("Delivery starts at orders of %(min)s.", min=format_cop(20_000)))
        in response.content.decode()
    )
    assert not Order.objects.exists() and sold(event, araza) == 0

    add(client, event, cachama, 1)  # 22.000
    response = checkout(client, event, delivery_method="delivery", delivery_address="Calle 8 # 22-10")
    assert response.status_code == 302
    order = Order.objects.get(buyer=buyer)
    assert (order.subtotal_cop, order.delivery_fee_cop, order.total_cop) == (22_000, 4000, 26_000)
    assert order.delivery_address == "Calle 8 # 22-10"
    assert order.market_link.slot is None
    assert taken(event) == 0, "a delivery takes no pickup slot"


def test_another_buyers_market_order_is_not_found(client, clock, event, goods):
    araza, _cachama, _ = goods
    signed_in(client)
    add(client, event, araza, 1)
    assert checkout(client, event).status_code == 302
    order = Order.objects.get()
    signed_in(client)
    assert client.get(reverse("orders:detail", args=[order.number])).status_code == 404


def test_the_closed_summary_counts_what_was_really_sold(client, clock, goods):
    """No rejected line; delivered weights where recorded; pounds become kilos; a phone order
    taken by the builder counts the household that ordered, not the builder."""
    from cms.markets import services as market_services
    from orders.models import FulfilmentStatus
    from tests.cms.factories import make_builder

    araza, cachama, _ = goods
    cafe = make_product(araza.cooperative, name="Café", price_cop=9000, stock=Decimal("100"), unit="libra")
    panela = make_product(
        araza.cooperative, name="Panela", price_cop=3000, stock=Decimal("100"), unit="unidad"
    )
    builder = make_builder()
    event = make_market(
        offers=[(araza, 5000, 20), (cachama, 12000, 30), (cafe, 8000, 20), (panela, 2500, 20)],
        closes_at=CLOSES,
        opens_at=T0 - timedelta(days=1),
        owner=builder,
    )
    slot = event.slots.get().pk
    buyer = UserFactory()
    cart = services.cart_get(user=buyer, create=True, channel_key=f"market:{event.pk}")
    for product, quantity in ((araza, "2"), (cachama, "4"), (cafe, "3"), (panela, "5")):
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=quantity)
    order = services.order_place(
        buyer=buyer,
        cart=cart,
        choice=services.CheckoutChoice(delivery_method="pickup", payment_method="cash", slot_id=slot),
    )
    lines = {line.product_id: line for line in order.lines.all()}
    services.line_reject(line=lines[cachama.pk], reason="sin pescado")  # 4 kg never sold
    frutos = lines[araza.pk].fulfilment
    transitions.fulfilment_transition(fulfilment=frutos, to=FulfilmentStatus.CONFIRMED)
    services.line_record_delivery(line=lines[araza.pk], delivered_quantity="2.4")  # weighed: 2,4 kg
    for name, phone in (("Rosalba Ortiz", "3105550101"), ("Marleny Cuéllar", "3105550102")):
        market_services.market_order_assist(
            event=event,
            actor=builder,
            contact_name=name,
            contact_phone=phone,
            quantities={araza.pk: Decimal("1")},
            delivery_method="pickup",
            payment_method="cash",
            slot_id=slot,
        )

    clock.move_to(CLOSES + timedelta(hours=1))
    page = html.unescape(client.get(event.url).content.decode())
    summary = re.search(r'<section class="summary">(.*?)</section>', page, re.S).group(1)
    items = [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]
    figures = [re.match(r"([\d.,]+)", item).group(1) for item in items]
    # orders, households (the buyer and the two women who phoned), cooperatives (the
    # fish cooperative's only line was rejected), producer families, kilos: 2,4 + 1 + 1
    # of arazá + 3 pounds of coffee (1,5 kg) = 5,9; then 5 units of panela.
    assert figures[:3] == ["3", "3", "1"], items
    assert items[-2].startswith("5,9 kg"), items
    assert items[-1] == "5 unidades", items
    assert "Rosalba" not in page and "3105550101" not in page
