"""A market's messages through the outbox (`cms.markets.notifications`, run by
`manage.py close_markets`): each cooperative's list at the close, each buyer's pickup
reminder, "Avísenme cuando abra", and the request to confirm quantities before the opening.
Who gets each, on which channel, in her language, exactly once."""

from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cms.markets.closing import REMINDER_HOUR, markets_run_due
from cms.markets.services import market_order_assist
from cms.models import MarketConfirmAsk, MarketEventPage, MarketOrder, MarketStock, MarketWatch
from cooperatives.models import MembershipRole, VerificationStatus
from market.i18n import url_in_language
from market.messages.sending import message_deliver
from market.messages.sms import sms_segments
from market.models import Message, MessageChannel, MessageState
from orders.models import Order
from tests.cms.factories import make_builder, make_market, pickup_point
from tests.cms.test_cooperative_market import place_market_order
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.helpers import message_texts, race

WHATSAPP_PHONE = "+573001112233"
CONTACT_PHONE = "+573105550101"


def _whatsapp_user(phone=WHATSAPP_PHONE, **fields):
    return UserFactory(phone=phone, phone_verified=True, whatsapp_consent_at=timezone.now(), **fields)


def _flush():
    """Send what is queued now (the orders' own messages), then forget it."""
    for pk in Message.objects.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        message_deliver(message_id=pk)
    mail.outbox.clear()


def _run(capture):
    with capture(execute=True):
        call_command("close_markets", stdout=StringIO())


def _sent(kind: str) -> dict[str, Message]:
    """{address: the message sent} for one kind; fails if anyone got two."""
    rows = list(Message.objects.filter(kind=kind, state=MessageState.SENT))
    by_address = {m.address: m for m in rows}
    assert len(by_address) == len(rows), f"someone got {kind} twice"
    return by_address


def _build(now=None):
    now = now or timezone.now()
    frutos = CooperativeFactory(name="Frutos del Guaviare", slug="frutos")
    lucia = _whatsapp_user(email="lucia@example.org", first_name="Lucía")
    MembershipFactory(cooperative=frutos, role=MembershipRole.MANAGER, user=lucia)
    MembershipFactory(cooperative=frutos, role=MembershipRole.MANAGER, user__email="marta@example.org")
    MembershipFactory(cooperative=frutos, role=MembershipRole.MEMBER, user__email="socia@example.org")
    araza = make_product(frutos, name="Arazá", price_cop=6000, stock=None)
    # A morning slot two days on: its window never straddles midnight, whatever the hour now.
    starts = (now + timedelta(days=2)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = make_market(
        title="Mercado del Guaviare",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=1),
        offers=[(araza, 5000, 40)],
        slots=[(pickup_point(), starts, 20)],
    )
    rosa = _whatsapp_user(phone="+573001112244", email="rosa@example.org")
    luz = UserFactory(email="luz@example.org")
    ana = UserFactory(email="ana@example.org")
    orders = {
        "rosa": place_market_order(rosa, event, [(araza, 2)]),
        "luz": place_market_order(luz, event, [(araza, 1)]),
        "ana": place_market_order(ana, event, [(araza, 1)]),
    }
    Order.objects.filter(pk=orders["ana"].pk).update(language="en")
    builder = make_builder(email="builder@example.org")
    orders["phone"] = market_order_assist(
        event=event,
        actor=builder,
        contact_name="Rosalba Ortiz",
        contact_phone=CONTACT_PHONE,
        quantities={araza.pk: Decimal("1")},
        delivery_method="pickup",
        payment_method="cash",
        slot_id=event.slots.get().pk,
    )
    _flush()
    return {"event": event, "cooperative": frutos, "product": araza, "orders": orders, "builder": builder}


@pytest.fixture
def world(db):
    return _build()


# --- The close: the cooperative's list and every buyer's reminder ------------------------------


def test_at_the_close_each_manager_and_each_buyer_is_told_once_on_her_channel(
    world, django_capture_on_commit_callbacks
):
    event = world["event"]
    with time_machine.travel(event.closes_at + timedelta(minutes=2), tick=False):
        _run(django_capture_on_commit_callbacks)
        _run(django_capture_on_commit_callbacks)  # the scheduler's next minute: nothing more

    lists = _sent("market_list")
    assert set(lists) == {WHATSAPP_PHONE, "marta@example.org"}, "managers only, not members"
    lucia = lists[WHATSAPP_PHONE]
    assert lucia.channel == MessageChannel.WHATSAPP and lucia.template == "minga_lista_mercado"
    assert lucia.variables[:2] == ["Frutos del Guaviare", "Mercado del Guaviare"]
    assert f"/espacio/frutos/mercados/{event.pk}/empaque/" in lucia.variables[2]
    marta = lists["marta@example.org"]
    assert marta.channel == MessageChannel.EMAIL
    assert "Arazá: 5 kilos" in marta.body and "Rosalba Ortiz" in marta.body and CONTACT_PHONE in marta.body
    assert Message.objects.filter(event=lucia.event).exclude(state=MessageState.SKIPPED).count() == 2

    reminders = {
        m.address: m for m in Message.objects.filter(kind="pickup_reminder", state=MessageState.SENT)
    }
    assert set(reminders) == {"+573001112244", "luz@example.org", "ana@example.org", CONTACT_PHONE}
    rosa = reminders["+573001112244"]
    assert rosa.channel == MessageChannel.WHATSAPP and rosa.template == "minga_recordatorio_recogida"
    assert rosa.variables[1] == world["orders"]["rosa"].number and "Parque principal" in rosa.variables[2]
    luz = reminders["luz@example.org"]
    assert luz.channel == MessageChannel.EMAIL and "Parque principal" in luz.body
    ana = reminders["ana@example.org"]
    assert ana.language == "en" and "your pickup time" in ana.subject and "Hello" in ana.body
    phone = reminders[CONTACT_PHONE]
    assert phone.channel == MessageChannel.SMS and phone.user is None
    assert phone.body.startswith("Minga, su pedido") and "Rosalba" not in phone.body
    assert world["orders"]["phone"].number in phone.body and "Parque principal" in phone.body
    assert sms_segments(phone.body) == ("GSM-7", 1), phone.body
    assert not Message.objects.filter(kind="pickup_reminder", address="builder@example.org").exists()

    # The e-mails left once each: Marta's list, Luz's and Ana's reminders.
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "luz@example.org", "marta@example.org"]
    assert not MarketOrder.objects.filter(event=event, reminder_sent_at__isnull=True).exists()


def test_a_market_that_closes_days_before_its_day_reminds_on_the_day_before(
    world, django_capture_on_commit_callbacks
):
    event = world["event"]
    market_day = timezone.localdate(event.closes_at) + timedelta(days=4)
    MarketEventPage.objects.filter(pk=event.pk).update(market_day=market_day)
    with time_machine.travel(event.closes_at + timedelta(minutes=2), tick=False):
        _run(django_capture_on_commit_callbacks)
    assert len(_sent("market_list")) == 2
    assert not Message.objects.filter(kind="pickup_reminder").exists()

    day_before = datetime.combine(
        market_day - timedelta(days=1), REMINDER_HOUR, tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(day_before - timedelta(minutes=1), tick=False):
        _run(django_capture_on_commit_callbacks)
    assert not Message.objects.filter(kind="pickup_reminder").exists()
    with time_machine.travel(day_before + timedelta(minutes=1), tick=False):
        _run(django_capture_on_commit_callbacks)
        _run(django_capture_on_commit_callbacks)
    assert len(_sent("pickup_reminder")) == 4
    assert len(_sent("market_list")) == 2


def test_a_cancelled_phone_order_gets_no_reminder(world, django_capture_on_commit_callbacks):
    from orders import services as order_services

    order_services.order_cancel_by_buyer(order=world["orders"]["phone"], buyer=world["builder"])
    _flush()
    with time_machine.travel(world["event"].closes_at + timedelta(minutes=2), tick=False):
        _run(django_capture_on_commit_callbacks)
    assert CONTACT_PHONE not in _sent("pickup_reminder")
    assert len(_sent("pickup_reminder")) == 3


# --- Before the opening: "Avísenme cuando abra" and the quantities to confirm -----------------


@pytest.fixture
def upcoming(db):
    now = timezone.now()
    frutos = CooperativeFactory(name="Frutos del Guaviare", slug="frutos")
    lucia = _whatsapp_user(email="lucia@example.org")
    MembershipFactory(cooperative=frutos, role=MembershipRole.MANAGER, user=lucia)
    MembershipFactory(cooperative=frutos, role=MembershipRole.MANAGER, user__email="marta@example.org")
    cacao = CooperativeFactory(name="Cacaoteros del Ariari", slug="ariari")
    MembershipFactory(cooperative=cacao, role=MembershipRole.MANAGER, user__email="cacao@example.org")
    pending = CooperativeFactory(name="Pesca sin verificar", slug="pesca")
    MembershipFactory(cooperative=pending, role=MembershipRole.MANAGER, user__email="pesca@example.org")
    araza = make_product(frutos, name="Arazá", price_cop=6000, stock=None)
    copoazu = make_product(frutos, name="Copoazú", price_cop=7000, stock=None)
    cacao_product = make_product(cacao, name="Cacao", price_cop=9000, stock=None)
    fish = make_product(pending, name="Cachama", price_cop=14000, stock=None)
    event = make_market(
        title="Mercado del Guaviare",
        opens_at=now + timedelta(hours=30),
        closes_at=now + timedelta(days=3),
        offers=[(araza, 5000, 20), (copoazu, 6000, 10), (cacao_product, 8000, 10), (fish, 12000, 5)],
    )
    # The cacao growers already confirmed; the fishers are not verified (yet).
    MarketStock.objects.filter(event=event, product=cacao_product).update(confirmed=Decimal("8"))
    type(pending).objects.filter(pk=pending.pk).update(verification_status=VerificationStatus.PENDING)
    mail.outbox.clear()
    return {"event": event, "frutos": frutos}


def test_cooperatives_with_quantities_to_confirm_are_asked_once(upcoming, django_capture_on_commit_callbacks):
    event = upcoming["event"]
    _run(django_capture_on_commit_callbacks)
    _run(django_capture_on_commit_callbacks)
    asked = _sent("market_confirm")
    assert set(asked) == {WHATSAPP_PHONE, "marta@example.org"}, (
        "Frutos only: Cacao confirmed, Pesca unverified"
    )
    lucia = asked[WHATSAPP_PHONE]
    assert lucia.channel == MessageChannel.WHATSAPP and lucia.template == "minga_confirme_cantidades"
    assert lucia.event == f"market_confirm:{event.pk}:{upcoming['frutos'].pk}"
    assert lucia.variables[3] == f"http://testserver/espacio/frutos/mercados/{event.pk}/"
    marta = asked["marta@example.org"]
    assert "Arazá" in marta.body and "Copoazú" in marta.body and "Cacao" not in marta.body
    assert MarketConfirmAsk.objects.filter(event=event).count() == 1
    assert [m.to for m in mail.outbox] == [["marta@example.org"]]


def test_a_market_opening_later_than_the_setting_asks_nobody_yet(
    upcoming, settings, django_capture_on_commit_callbacks
):
    settings.MINGA_CONFIRM_ASK_HOURS = 24
    _run(django_capture_on_commit_callbacks)
    assert not Message.objects.filter(kind="market_confirm").exists()
    settings.MINGA_CONFIRM_ASK_HOURS = 48
    _run(django_capture_on_commit_callbacks)
    assert len(_sent("market_confirm")) == 2


def _watch_url(event, language="es"):
    return url_in_language(event.url + "avisenme/", language)


def test_everyone_watching_is_told_once_when_the_market_opens(
    client, upcoming, django_capture_on_commit_callbacks
):
    event = upcoming["event"]
    whatsapp_person = _whatsapp_user(phone="+573001112255", email="wa@example.org")
    email_person = UserFactory(email="correo@example.org")
    for person in (whatsapp_person, email_person):
        client.force_login(person)
        assert client.post(_watch_url(event)).status_code == 302
        client.logout()
    assert client.post(_watch_url(event), {"phone": "310 555 0199"}).status_code == 302
    client.cookies.clear()
    english = client.post(_watch_url(event, "en"), {"phone": "3105550177", "whatsapp": "on"})
    assert english.status_code == 302
    assert MarketWatch.objects.filter(event=event).count() == 4

    _run(django_capture_on_commit_callbacks)  # not open yet
    assert not Message.objects.filter(kind="market_open").exists()
    with time_machine.travel(event.opens_at + timedelta(seconds=30), tick=False):
        _run(django_capture_on_commit_callbacks)
        _run(django_capture_on_commit_callbacks)
    told = _sent("market_open")
    assert set(told) == {"+573001112255", "correo@example.org", "+573105550199", "+573105550177"}
    assert told["+573001112255"].channel == MessageChannel.WHATSAPP
    assert told["+573001112255"].template == "minga_mercado_abre"
    assert told["correo@example.org"].channel == MessageChannel.EMAIL
    sms = told["+573105550199"]
    assert sms.channel == MessageChannel.SMS and sms.body.startswith(
        "Minga: ya abrio Mercado del Guaviare. Pida"
    )
    assert event.url in sms.body and sms_segments(sms.body)[1] == 1, sms.body
    english_one = told["+573105550177"]
    assert english_one.channel == MessageChannel.WHATSAPP and english_one.language == "en"
    assert english_one.body.startswith("The market Mercado del Guaviare is open")
    assert "/en/" in english_one.variables[2]
    assert {m.event for m in told.values()} == {f"market_open:{event.pk}"}
    assert not MarketWatch.objects.filter(event=event, told_at__isnull=True).exists()
    assert [m.to for m in mail.outbox if m.to == ["correo@example.org"]] == [["correo@example.org"]]


# --- The "Avísenme" form --------------------------------------------------------------------


def test_the_form_takes_a_mobile_once_and_refuses_what_cannot_get_a_text(client, upcoming):
    event = upcoming["event"]
    page = client.get(event.url).content.decode()
    assert 'id="avisenme"' in page and 'name="phone"' in page and 'name="whatsapp"' in page

    bad = client.post(_watch_url(event), {"phone": "12345"})
    assert bad.status_code == 400
    assert "no es un número de celular" in bad.content.decode()
    landline = client.post(_watch_url(event), {"phone": "601 234 5678"})
    assert landline.status_code == 400 and "Este es un teléfono fijo" in landline.content.decode()
    empty = client.post(_watch_url(event), {"phone": ""})
    assert empty.status_code == 400
    assert not MarketWatch.objects.exists()

    done = client.post(_watch_url(event), {"phone": "300 765 4321"}, follow=True)
    assert "Listo: le avisaremos cuando abra este mercado." in message_texts(done)
    assert "Le avisaremos al 300\u00a0765\u00a04321 cuando abra este mercado." in done.content.decode()
    watch = MarketWatch.objects.get()
    assert watch.phone == "+573007654321" and not watch.whatsapp and watch.user is None
    assert watch.language == "es"

    client.cookies.clear()  # another visit, the same number, now with WhatsApp
    again = client.post(_watch_url(event), {"phone": "+57 300 765 4321", "whatsapp": "on"}, follow=True)
    assert "Ya lo tenemos: le avisaremos cuando abra este mercado." in message_texts(again)
    assert MarketWatch.objects.count() == 1 and MarketWatch.objects.get().whatsapp


def test_a_signed_in_person_asks_with_one_tap(client, upcoming):
    event = upcoming["event"]
    person = UserFactory(email="persona@example.org")
    client.force_login(person)
    page = client.get(event.url).content.decode()
    assert 'id="avisenme"' in page and 'name="phone"' not in page
    client.post(_watch_url(event))
    again = client.post(_watch_url(event), follow=True)
    assert "Ya lo tenemos: le avisaremos cuando abra este mercado." in message_texts(again)
    assert MarketWatch.objects.get().user == person
    assert "Le avisaremos cuando abra este mercado." in client.get(event.url).content.decode()


def test_an_open_or_closed_market_offers_no_form_and_takes_no_watch(client, world):
    event = world["event"]
    assert 'id="avisenme"' not in client.get(event.url).content.decode()
    refused = client.post(_watch_url(event), {"phone": "300 765 4321"}, follow=True)
    assert "Este mercado ya no está por abrir." in message_texts(refused)
    with time_machine.travel(event.closes_at + timedelta(minutes=1), tick=False):
        assert 'id="avisenme"' not in client.get(event.url).content.decode()
        client.post(_watch_url(event), {"phone": "300 765 4321"})
    assert not MarketWatch.objects.exists()


# --- Two processes at once --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_write_and_send_each_message_once():
    world = _build()
    event = world["event"]
    soon = make_market(
        title="Mercado de Anorí",
        opens_at=timezone.now() + timedelta(hours=30),
        closes_at=timezone.now() + timedelta(days=3),
        offers=[(make_product(world["cooperative"], name="Copoazú", price_cop=7000, stock=None), 6000, 10)],
    )
    for phone in ("+573105550111", "+573105550122"):
        MarketWatch.objects.create(event=soon, phone=phone)
    mail.outbox.clear()
    after = event.closes_at + timedelta(minutes=1)
    with time_machine.travel(after, tick=True):
        _outcomes, errors = race(lambda: markets_run_due(), times=2)
    assert errors == []
    assert len(_sent("market_list")) == 2 and len(_sent("pickup_reminder")) == 4
    assert len(_sent("market_confirm")) == 2
    with time_machine.travel(soon.opens_at + timedelta(minutes=1), tick=True):
        _outcomes, errors = race(lambda: markets_run_due(), times=2)
    assert errors == []
    assert set(_sent("market_open")) == {"+573105550111", "+573105550122"}
    # Each e-mail left once: as many as the outbox's sent e-mail rows, none twice.
    emails = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(emails) == len(set(emails))
    market_kinds = ("market_list", "pickup_reminder", "market_confirm", "market_open")
    sent_emails = Message.objects.filter(channel=MessageChannel.EMAIL, state=MessageState.SENT)
    assert len(emails) == sent_emails.filter(kind__in=market_kinds).count() == 4


# --- The README's "Who is told what" rows of a market -----------------------------------------

MARKET_KINDS = {"market_list", "pickup_reminder", "delivery_reminder", "market_open", "market_confirm"}


def test_the_readme_rows_of_a_market_are_true(db, django_capture_on_commit_callbacks):
    """Realistic names and places (as tests/market/test_who_is_told_what.py), everyone on SMS:
    each kind reaches the people its README row names, in the segments it says."""
    from cms.models import PickupPoint
    from market.models import Municipality
    from tests.market.test_who_is_told_what import readme_rows

    now = timezone.now()
    frutos = CooperativeFactory(name="Asociación de Productores Frutos del Guaviare", slug="frutos")
    manager = UserFactory(phone="+573100000000", phone_verified=True, message_channels="sms,email")
    MembershipFactory(cooperative=frutos, role=MembershipRole.MANAGER, user=manager)
    araza = make_product(frutos, name="Arazá", price_cop=6000, stock=None)
    point = PickupPoint.objects.create(
        name="Parque Principal de San José",
        address="Calle 8 # 22-10",
        municipality=Municipality.objects.get(code="95001"),
    )
    closes = now + timedelta(hours=30)
    starts = (closes + timedelta(days=1)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = make_market(
        title="Mercado campesino del Guaviare",
        opens_at=now + timedelta(hours=20),
        closes_at=closes,
        offers=[(araza, 6000, Decimal("50"))],
        slots=[(point, starts, 20)],
        delivery_offered=True,
    )
    MarketWatch.objects.create(event=event, phone="+573001234567")
    _run(django_capture_on_commit_callbacks)  # asked to confirm
    with time_machine.travel(event.opens_at + timedelta(minutes=1), tick=False):
        _run(django_capture_on_commit_callbacks)  # opened
        rosa = UserFactory(phone="+573001112222", phone_verified=True, message_channels="sms")
        luz = UserFactory(phone="+573001113333", phone_verified=True, message_channels="sms")
        place_market_order(rosa, event, [(araza, 2)])
        place_market_order(luz, event, [(araza, 1)], delivery_method="delivery")
        market_order_assist(
            event=event,
            actor=make_builder(),
            contact_name="Rosalba Ortiz",
            contact_phone=CONTACT_PHONE,
            quantities={araza.pk: Decimal("1")},
            delivery_method="pickup",
            payment_method="cash",
            slot_id=event.slots.get().pk,
        )
    with time_machine.travel(event.closes_at + timedelta(minutes=1), tick=False):
        _run(django_capture_on_commit_callbacks)  # closed

    rows = readme_rows()
    for kind in sorted(MARKET_KINDS):  # shown when the test fails: what the README should say
        bodies = Message.objects.filter(kind=kind, channel="sms").values_list("body", flat=True)
        print(kind, max((sms_segments(b)[1] for b in bodies), default=None), *bodies[:1], sep=" | ")
    assert not MARKET_KINDS - set(rows), f"README rows missing for {sorted(MARKET_KINDS - set(rows))}"
    expected = {
        "market_list": {manager.phone},
        "market_confirm": {manager.phone},
        "market_open": {"+573001234567"},
        "pickup_reminder": {rosa.phone, CONTACT_PHONE},
        "delivery_reminder": {luz.phone},
    }
    for kind, addresses in expected.items():
        sent = list(Message.objects.filter(kind=kind, channel="sms"))
        assert {m.address for m in sent} == addresses, kind
        assert all(sms_segments(m.body)[0] == "GSM-7" for m in sent), kind
        measured = max(sms_segments(m.body)[1] for m in sent)
        assert rows[kind]["segments"] == measured, (
            f"{kind}: README says {rows[kind]['segments']}, measured {measured}"
        )
