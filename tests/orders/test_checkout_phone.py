"""A buyer with no mobile on her account may give one at checkout for this order's messages:
they go there by SMS first, and to her e-mail if the SMS fails. A landline or a malformed
number is refused with the reason, and nothing she chose is lost."""

import html
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from market.models import Message
from orders import services
from orders.models import Order
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product

LABEL_MSGID = "Mobile number to tell you about your order"
LANDLINE_MSGID = "This is a landline: it cannot receive text messages. Write a mobile number."
MALFORMED_MSGID = "This is not a mobile number. Write the 10 digits, e.g. 300 123 4567."


def es(msgid: str) -> str:
    with translation.override("es"):
        return gettext(msgid)


@pytest.fixture
def yuca(db):
    return make_product(
        CooperativeFactory(name="ASOYUPGUZ", offers_delivery=True, delivery_fee_cop=5000),
        name="Yuca",
        price_cop=2500,
        stock=Decimal("50"),
    )


@pytest.fixture
def rosa(client, yuca):
    """A buyer with an e-mail and no mobile, with yuca in her catalogue cart."""
    user = UserFactory(email="rosa@example.org")
    cart = services.cart_get(user=user, create=True)
    services.cart_set_quantity(cart=cart, product_id=yuca.pk, raw_quantity="2")
    client.force_login(user)
    return user


def _post(client, **data):
    payload = {
        "buyer": "self",
        "delivery_method": "delivery",
        "delivery_address": "Vereda El Diviso, finca La Esperanza",
        "payment_method": "cash",
        "notes": "Llamar al llegar",
    }
    payload.update(data)
    return client.post(reverse("orders:checkout"), payload)


def test_the_field_is_offered_in_spanish_only_to_a_buyer_without_a_mobile(client, rosa):
    label = es(LABEL_MSGID)
    assert label == "Celular para avisarle de su pedido"
    page = client.get(reverse("orders:checkout")).content.decode()
    assert label in page and 'type="tel"' in page and 'name="contact_phone"' in page

    rosa.phone, rosa.phone_verified = "+573001234567", True
    rosa.save(update_fields=["phone", "phone_verified"])
    page = client.get(reverse("orders:checkout")).content.decode()
    assert label not in page and 'name="contact_phone"' not in page


def test_a_mobile_given_at_checkout_gets_the_order_by_sms_with_her_email_as_fallback(
    client, rosa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, contact_phone="300 123 4567")
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.contact_phone == "+573001234567"
    rows = list(
        Message.objects.about(f"order:{order.pk}")
        .order_by("pk")
        .values_list("kind", "channel", "address", "language", "state")
    )
    # The console provider "sent" the SMS; the e-mail waited as the fallback and was not needed.
    assert rows == [
        ("order_placed", "sms", "+573001234567", "es", "sent"),
        ("order_placed", "email", "rosa@example.org", "es", "skipped"),
    ]
    sms = Message.objects.get(channel="sms").body
    assert sms.startswith("Minga: recibimos su pedido") and order.number in sms
    assert mail.outbox == []
    # Her account is not changed: the number is this order's, not a login.
    rosa.refresh_from_db()
    assert rosa.phone in ("", None)


def test_without_a_number_she_is_told_by_email_as_before(client, rosa, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client).status_code == 302
    order = Order.objects.get()
    assert order.contact_phone == ""
    assert list(Message.objects.about(f"order:{order.pk}").values_list("channel", "address")) == [
        ("email", "rosa@example.org")
    ]
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]


@pytest.mark.parametrize(
    ("typed", "msgid"),
    [
        ("601 456 7890", LANDLINE_MSGID),  # Bogotá, a fixed line
        ("(602) 555 1234", LANDLINE_MSGID),  # Cali, a fixed line
        ("12345", MALFORMED_MSGID),
        ("300 123 45", MALFORMED_MSGID),
        ("cero tres", MALFORMED_MSGID),
    ],
)
def test_a_landline_or_a_malformed_number_is_refused_and_nothing_is_lost(client, rosa, yuca, typed, msgid):
    response = _post(client, contact_phone=typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert html.escape(es(msgid)) in page
    assert not Order.objects.exists()
    assert yuca.__class__.objects.get(pk=yuca.pk).stock == Decimal("50")
    # Everything she typed is still there to correct the number and send again.
    form = response.context["form"]
    assert form["contact_phone"].value() == typed
    assert form["delivery_address"].value() == "Vereda El Diviso, finca La Esperanza"
    assert form["notes"].value() == "Llamar al llegar"
    assert form["delivery_method"].value() == "delivery"
    assert services.cart_get(user=rosa).lines.count() == 1
    # Corrected, it goes through.
    assert _post(client, contact_phone="3001234567").status_code == 302
    assert Order.objects.get().contact_phone == "+573001234567"


def test_a_buyer_with_a_mobile_cannot_post_another_number(client, rosa):
    rosa.phone, rosa.phone_verified = "+573001234567", True
    rosa.save(update_fields=["phone", "phone_verified"])
    assert _post(client, contact_phone="3109876543").status_code == 302
    order = Order.objects.get()
    assert order.contact_phone == ""
    assert set(Message.objects.about(f"order:{order.pk}").values_list("channel", "address")) == {
        ("sms", "+573001234567"),
        ("email", "rosa@example.org"),
    }


# --- The market's checkout ----------------------------------------------------------------


@pytest.fixture
def market(db):
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        araza = make_product(
            CooperativeFactory(name="Frutos del Guaviare"), name="Arazá", stock=Decimal("100")
        )
        event = make_market(
            offers=[(araza, 5000, 20, 3)],
            opens_at=timezone.now() - timedelta(days=1),
            closes_at=timezone.now() + timedelta(hours=6),
        )
        yield event, araza


def _market_checkout(client, event, **data):
    form = {
        "buyer": "self",
        "delivery_method": "pickup",
        "payment_method": "cash",
        "slot": event.slots.get().pk,
    }
    form.update(data)
    return client.post(event.url + "pedido/", form)


def test_the_market_checkout_asks_too_and_keeps_the_per_buyer_limit(client, market):
    event, araza = market
    buyer = UserFactory(email="luz@example.org")
    client.force_login(buyer)
    client.post(event.url + "cesta/", {"product": araza.pk, "quantity": "2", "action": "add"})
    assert es(LABEL_MSGID) in client.get(event.url + "pedido/").content.decode()

    response = _market_checkout(client, event, contact_phone="601 456 7890")
    assert response.status_code == 400
    assert html.escape(es(LANDLINE_MSGID)) in response.content.decode()
    assert response.context["form"]["slot"].value() == str(event.slots.get().pk)
    assert not Order.objects.exists()

    assert _market_checkout(client, event, contact_phone="+57 300 123 4567").status_code == 302
    order = Order.objects.get()
    assert order.contact_phone == "+573001234567"
    assert set(Message.objects.about(f"order:{order.pk}").values_list("channel", "address")) == {
        ("sms", "+573001234567"),
        ("email", "luz@example.org"),
    }
    # A number for her messages does not make her a Market Builder's phone order: at most
    # 3 kg of arazá per buyer still holds across her orders.
    client.post(event.url + "cesta/", {"product": araza.pk, "quantity": "2", "action": "add"})
    response = _market_checkout(client, event, contact_phone="3001234567")
    assert response.status_code == 400
    assert Order.objects.count() == 1
