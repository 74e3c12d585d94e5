"""Buyer organisations' messages, through the outbox: staff hear of a registration; the
members hear of the decision (with the reason when refused); each event once, in Spanish."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from market import notifications, services
from market.models import BuyerOrganization, Message, Municipality, OrganizationStatus
from tests.factories import UserFactory
from tests.orders.factories import make_organization

pytestmark = pytest.mark.django_db

MOBILE = "+573001234567"


@pytest.fixture
def staff(db):
    UserFactory(email="antigua@minga.co", is_staff=True, is_active=False)
    return [
        UserFactory(email="revisora@minga.co", is_staff=True),
        UserFactory(email="admin@minga.co", is_staff=True),
    ]


@pytest.fixture
def registrant(db):
    return UserFactory(email="compras@hotelribera.co", phone=MOBILE, phone_verified=True)


def _register(user):
    return services.organization_register(
        user=user,
        kind="hotel",
        legal_name="Hotel Ribera del Pance S.A.S.",
        nit="900123456-8",
        billing_address="Avenida 6N # 23-45",
        municipality=Municipality.objects.get(code="76001"),
        email="compras@hotelribera.co",
    )


def _rows(organization, *kinds):
    rows = Message.objects.about(f"organization:{organization.pk}").order_by("pk")
    if kinds:
        rows = rows.filter(kind__in=kinds)
    return list(rows.values_list("kind", "channel", "address", "language", "state"))


# --- Registered: staff ----------------------------------------------------------------------


def test_a_registration_tells_each_active_staff_member_once_by_email_in_spanish(
    staff, registrant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        organization = _register(registrant)
    assert sorted(_rows(organization)) == [
        ("organization_registered", "email", "admin@minga.co", "es", "sent"),
        ("organization_registered", "email", "revisora@minga.co", "es", "sent"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@minga.co", "revisora@minga.co"]
    message = mail.outbox[0]
    assert message.subject == "[Minga] Organización por revisar: Hotel Ribera del Pance S.A.S."
    edit = "http://testserver" + reverse(
        "wagtailsnippets_market_buyerorganization:edit", args=[organization.pk]
    )
    assert edit in message.body and edit in message.alternatives[0][0]
    assert "900123456-8" in message.body and "compras@hotelribera.co" in message.body
    # The same event written again: nothing more.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.organization_registered(organization)
    assert len(mail.outbox) == 2 and Message.objects.count() == 2


def test_a_registration_that_rolls_back_tells_nobody(staff, registrant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _register(registrant)
        raise RuntimeError("the request failed after the registration")
    assert not Message.objects.exists() and mail.outbox == []


# --- Decided: the members -------------------------------------------------------------------


def _admin_post(client, organization, **changes):
    url = reverse("wagtailsnippets_market_buyerorganization:edit", args=[organization.pk])
    form = client.get(url).context["form"]
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    data.update(changes)
    return client.post(url, data)


@pytest.fixture
def reviewing(client, staff, registrant):
    """A pending organisation of `registrant` (and a colleague with only an e-mail), and a
    staff member signed in to the admin."""
    organization = make_organization(
        member=registrant, status=OrganizationStatus.PENDING, legal_name="Hotel Ribera del Pance S.A.S."
    )
    make_organization(member=UserFactory(email="otra@example.org"), status=OrganizationStatus.PENDING)
    colleague = UserFactory(email="cocina@hotelribera.co")
    organization.members.create(user=colleague, can_order=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return organization


def test_approval_tells_every_member_once_on_her_channels(
    client, reviewing, django_capture_on_commit_callbacks
):
    organization = reviewing
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_post(
            client, organization, status="approved", credit_days="30", credit_limit_cop="500000"
        )
    assert response.status_code == 302, response.context["form"].errors
    organization.refresh_from_db()
    assert organization.is_approved()
    # The registrant by SMS (her e-mail waits as the fallback), the colleague by e-mail.
    assert _rows(organization, "organization_approved") == [
        ("organization_approved", "sms", MOBILE, "es", "sent"),
        ("organization_approved", "email", "compras@hotelribera.co", "es", "skipped"),
        ("organization_approved", "email", "cocina@hotelribera.co", "es", "sent"),
    ]
    sms = Message.objects.get(kind="organization_approved", channel="sms").body
    assert sms.startswith("Minga: Hotel Ribera del Pance S.A.S. fue aprobada.") and len(sms) <= 160
    detail = "http://testserver" + reverse("market:organization_detail", args=[organization.pk])
    assert detail in sms
    (email,) = mail.outbox
    assert email.to == ["cocina@hotelribera.co"]
    assert email.subject == "[Minga] Hotel Ribera del Pance S.A.S. fue aprobada en Minga"
    assert "30" in email.body and detail in email.body
    # Saved again (credit changed, same decision): nobody is told again.
    with django_capture_on_commit_callbacks(execute=True):
        assert _admin_post(client, organization, credit_limit_cop="900000").status_code == 302
    assert len(_rows(organization, "organization_approved")) == 3 and len(mail.outbox) == 1
    # Nothing reached the other organisation's member.
    assert not Message.objects.filter(address="otra@example.org").exists()


def test_a_refusal_needs_a_reason_and_the_members_read_it(
    client, reviewing, django_capture_on_commit_callbacks
):
    organization = reviewing
    response = _admin_post(client, organization, status="rejected")
    assert response.status_code == 200
    assert response.context["form"].errors["decision_reason"] == [
        "Escriba por qué se rechaza la organización: sus miembros lo leerán."
    ]
    organization.refresh_from_db()
    assert (
        organization.status == OrganizationStatus.PENDING
        and not Message.objects.filter(kind="organization_refused").exists()
    )

    reason = "El NIT no corresponde\na la razón social."
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_post(client, organization, status="rejected", decision_reason=reason)
    assert response.status_code == 302, response.context["form"].errors
    rows = _rows(organization, "organization_refused")
    assert [r[1:3] for r in rows] == [
        ("sms", MOBILE),
        ("email", "compras@hotelribera.co"),
        ("email", "cocina@hotelribera.co"),
    ]
    sms = Message.objects.get(kind="organization_refused", channel="sms").body
    assert "no fue aprobada" in sms and "El NIT no corresponde a la razon social." in sms
    (email,) = mail.outbox
    assert "El NIT no corresponde\na la razón social." in email.body
    assert email.subject == "[Minga] Hotel Ribera del Pance S.A.S. no fue aprobada en Minga"

    # Corrected and approved later: a new decision, told once more.
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_post(client, organization, status="approved")
    assert response.status_code == 302, response.context["form"].errors
    assert len(_rows(organization, "organization_approved")) == 3
    assert [m.to for m in mail.outbox] == [["cocina@hotelribera.co"]] * 2


def test_whatsapp_carries_the_decision_line_in_the_approved_template(reviewing, registrant):
    registrant.whatsapp_consent_at = timezone.now()
    registrant.save(update_fields=["whatsapp_consent_at"])
    organization = reviewing
    organization.status = OrganizationStatus.REJECTED
    assert services.organization_decide(organization=organization, reason="Falta el RUT.  Envíelo.")
    message = Message.objects.get(kind="organization_refused", channel="whatsapp")
    assert message.template == "minga_organizacion" and message.error == ""
    assert message.variables[0] == "Hotel Ribera del Pance S.A.S."
    assert message.variables[1] == "No fue aprobada. Motivo: Falta el RUT. Envíelo."
    assert message.body.startswith(
        "Minga revisó el registro de Hotel Ribera del Pance S.A.S.: No fue aprobada."
    )
    # The same decision again: False, nothing written.
    count = Message.objects.count()
    assert not services.organization_decide(organization=organization, reason="Otra vez")
    assert Message.objects.count() == count


def test_a_decision_that_rolls_back_tells_nobody(reviewing):
    organization = reviewing
    with pytest.raises(RuntimeError), transaction.atomic():
        organization.status = OrganizationStatus.APPROVED
        services.organization_decide(organization=organization)
        raise RuntimeError("the admin request failed")
    assert not Message.objects.filter(kind="organization_approved").exists()
    assert BuyerOrganization.objects.get(pk=organization.pk).status == OrganizationStatus.PENDING
