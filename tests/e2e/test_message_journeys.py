"""Messages in a real browser, on a phone, through the real `twilio` SDK and a local stub of
Twilio's Messages API (`tests/twilio_stub.py`): nothing reaches the internet.

The live server is pytest-django's, in this process (a thread), so the settings the stub's
fixture changes (MINGA_SMS_PROVIDER=twilio, TWILIO_API_BASE at the stub, its account and
token) are the live server's too; jobs run inline (tests/settings.py), so a message leaves
when its page's transaction commits, before the page answers. SITE_URL points at the live
server, so the links in the texts open in the browser.

1. A buyer with no e-mail signs up with her mobile and the code the stub received, orders in
   an open market with a pickup slot, sees the slot's place and window on her order page,
   and the stub received her order's text (number, place, window, link to the order).
2. A Market Builder takes an order by phone in the Wagtail admin: the stub received the
   person's text at the number given.
3. A cooperative manager follows the text the stub received to her order page: it and its
   packing lists show the slot's place and window.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import MarketOrder
from cooperatives.models import MembershipRole
from market.models import Message, User
from orders import services as order_services
from orders.models import Order
from tests.cms.factories import make_builder
from tests.e2e.helpers import fits_the_phone, san_jose_market, sign_in, text
from tests.factories import MembershipFactory, UserFactory

ORDER_URL = re.compile(r"/pedidos/(?P<number>[^/]+)/$")
CODE = re.compile(r"\b(\d{6})\b")
PLACE = "Parque Principal de San José del Guaviare"
ADDRESS = "Calle 8 con Carrera 22"


@pytest.fixture
def stub(twilio_stub, e2e_server, settings):
    """The Twilio stub, and links in texts that lead to the live server."""
    settings.SITE_URL = e2e_server
    return twilio_stub


def window(slot) -> str:
    """The slot's window as pages and texts say it: "de 9:00 a 10:00 a. m." (U+00A0 folded)."""
    start, end = (timezone.localtime(t) for t in (slot.starts_at, slot.ends_at))
    meridiem = "a. m." if end.hour < 12 else "p. m."
    return f"de {start:%-H:%M} a {end:%-H:%M} {meridiem}"


def only_text_to(stub, number: str) -> dict:
    """The one message the stub received for `number`, by SMS, from the app's sender."""
    received = stub.sent_to(number)
    assert len(received) == 1, received
    message = received[0]
    assert message["from"] == "+15005550006" and message["status_callback"]
    return message


def sms_row(sid: str) -> Message:
    """The outbox row the stub's message came from: sent, with Twilio's id."""
    row = Message.objects.get(provider_id=sid)
    assert row.channel == "sms" and row.state == "sent"
    return row


def _add(page, name: str, quantity: str) -> None:
    card = page.locator("article.card", has=page.locator("h3", has_text=name))
    card.locator('input[name="quantity"]').fill(quantity)
    with page.expect_navigation():
        card.locator('button[type="submit"]').click()
    expect(card.locator("p.note")).to_contain_text(name)  # said next to the product


# --- 1. Sign up with a mobile and a code, order, get the text -------------------------------------


def test_a_buyer_signs_up_with_her_mobile_orders_and_gets_the_text(phone, stub):
    market, _cachama, _yuca = san_jose_market()
    _early, late = market.slots.order_by("starts_at")
    mobile = "+573125550142"

    # She has no e-mail: she signs up with her mobile only.
    phone.goto("/cuenta/registro/celular/")
    phone.locator('input[name="first_name"]').fill("Yolanda")
    phone.locator('input[name="phone"]').fill("312 555 0142")
    with phone.expect_navigation():
        phone.locator('main form button[type="submit"]').click()
    expect(phone.locator('input[name="code"]')).to_be_visible()
    assert fits_the_phone(phone)

    # The code came by SMS through Twilio (the stub), to her number in E.164.
    code_text = only_text_to(stub, mobile)
    assert code_text["body"].startswith("Su codigo de Minga es ")
    code = CODE.search(code_text["body"])[1]
    assert sms_row(code_text["sid"]).kind == "login_code"
    phone.locator('input[name="code"]').fill(code)
    with phone.expect_navigation():
        phone.locator('input[name="code"]').press("Enter")
    expect(phone.locator("ul.messages")).to_contain_text(f"Su celular {mobile} quedó verificado")
    phone.screenshot(path="test-artifacts/e2e/phone-signup-signed-in.png", full_page=True)
    buyer = User.objects.get(phone=mobile)
    assert buyer.email is None and buyer.phone_verified and buyer.first_name == "Yolanda"

    # She orders in the open market and picks the 9:00 slot.
    phone.goto(market.url)
    expect(phone.locator("h1")).to_have_text(market.title)
    _add(phone, "Yuca fresca", "3")
    phone.locator('#cesta a[href$="/pedido/"]').click()
    phone.wait_for_url(re.compile(r"/pedido/$"))
    phone.locator(f'input[name="slot"][value="{late.pk}"]').check()
    phone.locator('input[name="payment_method"][value="cash"]').check()
    with phone.expect_navigation():
        phone.locator('main form.stack button[type="submit"]').click()

    # Her order page: the slot's place, day and window.
    match = ORDER_URL.search(phone.url)
    assert match, phone.url
    number = match["number"]
    expect(phone.locator("h1")).to_contain_text(number)
    handover = phone.locator("main .handover")
    expect(handover.locator(".handover-title")).to_have_text(f"Recogida en {PLACE}")
    assert window(late) in text(handover.locator(".handover-when").inner_text())
    expect(handover.locator(".handover-where")).to_contain_text(ADDRESS)
    assert fits_the_phone(phone)
    order = Order.objects.get(number=number)
    assert order.buyer == buyer and MarketOrder.objects.get(order=order).slot == late

    # Two texts in all to her number: the code, then her order's, naming it, the place and
    # the window, with the link to her order.
    assert [m["to"] for m in stub.messages] == [mobile, mobile]
    placed = stub.messages[-1]
    body = text(placed["body"])
    assert body.startswith(f"Minga: recibimos su pedido {number} por $")
    assert PLACE in body and window(late) in body
    assert sms_row(placed["sid"]).kind == "order_placed"
    link = re.search(r"https?://\S+", body)[0]
    phone.goto(link)
    expect(phone.locator("h1")).to_contain_text(number)


# --- 2. A phone order taken by a Market Builder reaches the person ---------------------------------


def test_a_phone_order_taken_by_a_market_builder_reaches_the_person(phone, stub):
    market, cachama, yuca = san_jose_market()
    early, _late = market.slots.order_by("starts_at")
    builder = make_builder(first_name="Sandra Milena", last_name="Cárdenas")
    market.owner = builder
    market.save(update_fields=["owner"])

    sign_in(phone, builder)
    phone.goto("/cms/mercados/")
    phone.locator("main a", has_text="Tomar un pedido por teléfono").first.click()
    phone.wait_for_url(re.compile(rf"/mercados/{market.pk}/"))
    phone.locator('input[name="contact_name"]').fill("Doña Carmen Ríos")
    phone.locator('input[name="contact_phone"]').fill("310 123 4567")
    phone.locator(f'input[name="qty_{yuca.pk}"]').fill("5")
    phone.locator(f'input[name="qty_{cachama.pk}"]').fill("1")
    phone.locator(f'input[name="slot"][value="{early.pk}"]').check()
    phone.locator('input[name="payment_method"][value="cash"]').check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Hacer el pedido").click()

    order = Order.objects.get()
    number = order.number
    assert (order.contact_name, order.contact_phone, order.buyer) == (
        "Doña Carmen Ríos",
        "+573101234567",
        builder,
    )
    expect(phone.locator(".messages")).to_contain_text(f"{number}")
    expect(phone.locator(".messages")).to_contain_text("Doña Carmen Ríos")

    # The person, who has no account, got the text at the number the builder typed; the
    # builder herself got nothing about it.
    received = only_text_to(stub, "+573101234567")
    body = text(received["body"])
    assert body.startswith(f"Minga: recibimos su pedido {number} por $")
    assert PLACE in body and window(early) in body
    row = sms_row(received["sid"])
    assert row.kind == "order_placed" and row.user is None
    assert not Message.objects.filter(user=builder).exists()
    # 5 kg x 1.600 + 1 kg x 12.500 = 20.500
    assert order.total_cop == Decimal("20500") and "20.500" in body


# --- 3. The cooperative's order page and packing lists show the slot -------------------------------


def test_the_cooperative_follows_its_text_to_the_order_and_packing_list(phone, stub):
    market, cachama, _yuca = san_jose_market()
    _early, late = market.slots.order_by("starts_at")
    fish = cachama.cooperative
    manager = UserFactory(
        first_name="Luz Mery", last_name="Rojas", phone="+573205550177", phone_verified=True
    )
    MembershipFactory(user=manager, cooperative=fish, role=MembershipRole.MANAGER)
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")
    cart = order_services.cart_get(user=buyer, create=True, channel_key=f"market:{market.pk}")
    order_services.cart_set_quantity(cart=cart, product_id=cachama.pk, raw_quantity="2")
    order = order_services.order_place(
        buyer=buyer,
        cart=cart,
        choice=order_services.CheckoutChoice(
            delivery_method="pickup", payment_method="cash", slot_id=late.pk
        ),
    )
    fulfilment = order.fulfilments.get()

    # The manager's text (her first channel: SMS) names the order, the place and the window.
    received = only_text_to(stub, manager.phone)
    body = text(received["body"])
    assert body.startswith(f"Minga: nuevo pedido {order.number} por $")
    assert PLACE in body and window(late) in body
    assert sms_row(received["sid"]).kind == "fulfilment_new"

    # She signs in and follows the link in the text to the cooperative's order page.
    sign_in(phone, manager)
    phone.goto(re.search(r"https?://\S+", body)[0])
    phone.wait_for_url(re.compile(rf"/espacio/{fish.slug}/pedidos/{fulfilment.pk}/$"))
    expect(phone.locator("main")).to_contain_text(order.number)
    handover = phone.locator("main .handover")
    expect(handover.locator(".handover-title")).to_have_text(f"Recogida en {PLACE}")
    assert window(late) in text(handover.locator(".handover-when").inner_text())
    expect(handover.locator(".handover-where")).to_contain_text(ADDRESS)
    assert fits_the_phone(phone)
    phone.screenshot(path="test-artifacts/e2e/cooperative-order-slot.png", full_page=True)

    # The order's packing list.
    phone.goto(f"/espacio/{fish.slug}/pedidos/{fulfilment.pk}/empaque/")
    handover = phone.locator("main .handover")
    expect(handover.locator(".handover-title")).to_have_text(f"Recogida en {PLACE}")
    assert window(late) in text(handover.locator(".handover-when").inner_text())
    expect(phone.locator("main")).to_contain_text("Cachama fresca")
    phone.screenshot(path="test-artifacts/e2e/cooperative-packing-slot.png", full_page=True)

    # The market's packing list, one block per buyer: her slot in short.
    phone.goto(f"/espacio/{fish.slug}/mercados/{market.pk}/empaque/")
    block = phone.locator("main .handover-short")
    expect(block).to_contain_text(PLACE)
    assert window(late) in text(block.inner_text())
    expect(phone.locator("main")).to_contain_text("Marleny")
