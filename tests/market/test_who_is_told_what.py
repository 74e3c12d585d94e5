"""The README's "Who is told what" table, row by row: a market day is played through the real
services, and each row's kind must have reached the people the row names, on their channel,
in their language; its SMS must take the segments the row says (measured on the texts
actually written, with realistic names and places)."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from cms.models import PickupPoint
from cooperatives.models import MembershipRole
from market.messages.sms import sms_segments
from market.models import Message, Municipality
from orders import notifications
from orders import services as order_services
from orders.models import FulfilmentStatus
from orders.payments.offline import fulfilment_mark_paid
from orders.transitions import fulfilment_transition
from tests.cms.factories import make_market
from tests.cms.test_cooperative_market import place_market_order
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product

HALF = Decimal("0.5")
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rows() -> dict[str, dict]:
    """{kind: {"who": ..., "segments": int or None}} from the README's table."""
    text = README.read_text()
    section = text.split("### Who is told what", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[4].startswith("`"):
            continue
        for kind in re.findall(r"`([a-z_]+)`", cells[4]):
            segments = cells[3]
            rows[kind] = {"who": cells[1], "segments": int(segments) if segments.isdigit() else None}
    return rows


def person(phone, **fields):
    return UserFactory(phone=phone, phone_verified=True, message_channels="sms,email", **fields)


@pytest.fixture
def market_day(db):
    """A market in San José del Guaviare with two cooperatives, played from order to payment."""
    now = timezone.now()
    frutos = CooperativeFactory(name="Asociación de Productores Frutos del Guaviare", slug="frutos")
    peces = CooperativeFactory(name="Piscícola La Macarena", slug="macarena")
    for n, coop in enumerate((frutos, peces)):
        MembershipFactory(cooperative=coop, role=MembershipRole.MANAGER, user=person(f"+57310000000{n}"))
    araza = make_product(frutos, name="Arazá", price_cop=6000, stock=None, quantity_step=HALF)
    cachama = make_product(
        peces, name="Cachama fresca", price_cop=14000, stock=None, quantity_step=Decimal("0.5")
    )
    point = PickupPoint.objects.create(
        name="Parque Principal de San José",
        address="Calle 8 # 22-10",
        municipality=Municipality.objects.get(code="95001"),
        instructions="Carpa verde junto a la iglesia",
    )
    starts = (now + timedelta(days=4)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = make_market(
        title="Mercado campesino del Guaviare",
        offers=[(araza, 6000, Decimal("50")), (cachama, 14000, Decimal("40"))],
        slots=[(point, starts, 20)],
        cooperatives=[frutos, peces],
    )
    rosa = person("+573001234567", first_name="Rosa", last_name="Pérez")
    john = person("+573009876543", first_name="John", last_name="Smith")
    Message.objects.all().delete()

    order = place_market_order(rosa, event, [(araza, "2"), (cachama, "1.5")])
    fulfilments = {f.cooperative_id: f for f in order.fulfilments.all()}
    for fulfilment in fulfilments.values():
        fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.CONFIRMED)
    fish = order.lines.get(product=cachama)
    order_services.line_record_delivery(line=fish, delivered_quantity="1.62")
    for fulfilment in fulfilments.values():
        fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.READY)
    for fulfilment in fulfilments.values():
        fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.HANDED_OVER)
    for fulfilment in fulfilments.values():
        fulfilment.refresh_from_db()
        fulfilment_mark_paid(fulfilment=fulfilment, actor=None)

    with transaction.atomic():  # an order in English, cancelled by its buyer
        english = place_market_order(john, event, [(araza, "1")])
        english.language = "en"
        english.save(update_fields=["language"])
    order_services.order_cancel_by_buyer(order=english, buyer=john)

    # A card order whose payment never came expires (as `order_transition` to EXPIRED tells).
    with transaction.atomic():
        notifications.order_expired(place_market_order(rosa, event, [(cachama, "1")]))
    return {"order": order, "english": english, "rosa": rosa, "john": john, "coops": (frutos, peces)}


ORDER_KINDS = {
    "order_placed",
    "fulfilment_new",
    "order_confirmed",
    "order_changed",
    "order_ready",
    "order_delivered",
    "order_cancelled",
    "fulfilment_cancelled",
    "payment_recorded",
    "order_expired",
}


def test_every_order_row_of_the_readme_is_told_and_measured(market_day):
    for kind in sorted(ORDER_KINDS):  # shown when the test fails: what the README should say
        bodies = Message.objects.filter(kind=kind, channel="sms").values_list("body", flat=True)
        print(kind, max((sms_segments(b)[1] for b in bodies), default=None), *bodies[:1], sep=" | ")
    rows = readme_rows()
    missing = ORDER_KINDS - set(rows)
    assert not missing, f"README rows missing for {sorted(missing)}"
    rosa, john = market_day["rosa"], market_day["john"]
    managers = {m.user_id for c in market_day["coops"] for m in c.memberships.all()}
    for kind in ORDER_KINDS:
        sent = list(Message.objects.filter(kind=kind, channel="sms"))
        assert sent, f"{kind}: nobody was told"
        users = {m.user_id for m in sent}
        if kind.startswith("fulfilment_"):
            assert users <= managers, f"{kind} goes to the cooperatives' managers"
        else:
            assert users <= {rosa.pk, john.pk}, f"{kind} goes to the buyer"
        measured = max(sms_segments(m.body)[1] for m in sent)
        assert all(sms_segments(m.body)[0] == "GSM-7" for m in sent if m.language == "es"), kind
        assert rows[kind]["segments"] == measured, (
            f"{kind}: README says {rows[kind]['segments']}, measured {measured}"
        )


def test_the_english_buyer_is_told_in_english(market_day):
    english = market_day["english"]
    (cancelled,) = Message.objects.filter(kind="order_cancelled", about=f"order:{english.pk}", channel="sms")
    assert cancelled.language == "en" and "was cancelled" in cancelled.body
    cooperative = Message.objects.filter(kind="fulfilment_cancelled", channel="sms").first()
    assert cooperative.language == "es" and "cancelado" in cooperative.body


def test_a_weight_change_tells_the_new_total(market_day):
    order = market_day["order"]
    (changed,) = Message.objects.filter(kind="order_changed", about=f"order:{order.pk}", channel="sms")
    assert "1,62" in changed.body and "Nuevo total" in changed.body


# --- Organisations, cooperatives, invitations and codes ------------------------------------

OTHER_KINDS = {
    "organization_registered",
    "organization_approved",
    "organization_refused",
    "cooperative_verified",
    "invitation",
    "login_code",
}


@pytest.fixture
def paperwork(db):
    from cooperatives.models import VerificationStatus
    from cooperatives.services import cooperative_verify, invitation_create
    from market.account_messages import send_login_code
    from market.models import BuyerOrganization, OrganizationStatus
    from market.services import organization_decide, organization_register

    UserFactory(is_staff=True, email="equipo@minga.co")
    hotel = person("+573205550101", first_name="Marta")
    Message.objects.all().delete()
    municipality = Municipality.objects.get(code="95001")
    common = {"kind": "hotel", "billing_address": "Calle 10 # 5-20", "municipality": municipality}
    approved = organization_register(
        user=hotel, legal_name="Hotel Casa del Río S.A.S.", nit="900123456-8", email="h@x.co", **common
    )
    refused = organization_register(
        user=hotel, legal_name="Restaurante La Ceiba", nit="800197268-4", email="r@x.co", **common
    )
    with transaction.atomic():
        approved = BuyerOrganization.objects.get(pk=approved.pk)
        approved.status = OrganizationStatus.APPROVED
        organization_decide(organization=approved)
    with transaction.atomic():
        refused = BuyerOrganization.objects.get(pk=refused.pk)
        refused.status = OrganizationStatus.REJECTED
        organization_decide(organization=refused, reason="El NIT no corresponde al nombre.")
    coop = CooperativeFactory(name="Asociación Frutos del Guaviare", verification_status="pending")
    manager = person("+573115550199")
    MembershipFactory(cooperative=coop, role=MembershipRole.MANAGER, user=manager)
    cooperative_verify(cooperative=coop, status=VerificationStatus.VERIFIED)
    invitation_create(cooperative=coop, email="nueva.socia@example.org", role="member", invited_by=manager)
    send_login_code(phone="+573125550142", code="482913")
    return {"hotel": hotel}


def test_every_other_row_of_the_readme_is_told_and_measured(paperwork):
    for kind in sorted(OTHER_KINDS):  # shown when the test fails: what the README should say
        bodies = Message.objects.filter(kind=kind, channel="sms").values_list("body", flat=True)
        print(kind, max((sms_segments(b)[1] for b in bodies), default=None), *bodies[:1], sep=" | ")
    rows = readme_rows()
    missing = OTHER_KINDS - set(rows)
    assert not missing, f"README rows missing for {sorted(missing)}"
    for kind in sorted(OTHER_KINDS):
        sent = list(Message.objects.filter(kind=kind))
        assert sent, f"{kind}: nobody was told"
        sms = [m for m in sent if m.channel == "sms"]
        measured = max((sms_segments(m.body)[1] for m in sms), default=None)
        said = rows[kind]["segments"]
        assert said == measured, f"{kind}: the README says {said} SMS segments, measured {measured}"
    staff = Message.objects.filter(kind="organization_registered", address="equipo@minga.co")
    assert [m.channel for m in staff] == ["email", "email"]  # one per organisation registered
    assert {m.user_id for m in Message.objects.filter(kind__startswith="organization_a", channel="sms")} == {
        paperwork["hotel"].pk
    }
    assert "NIT no corresponde" in Message.objects.get(kind="organization_refused", channel="sms").body
    assert Message.objects.get(kind="invitation").address == "nueva.socia@example.org"
