"""Cooperatives' messages, through the outbox: its managers hear that it is verified (once per
verification, in Spanish, on their channels); an invitation goes to the invited address by
e-mail, with its one-time link, once."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from cooperatives import notifications, services
from cooperatives.models import Cooperative, Invitation, MembershipRole, VerificationStatus
from market.models import Message
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory
from tests.helpers import snippet_post

pytestmark = pytest.mark.django_db

MOBILE = "+573001234567"


def _rows(cooperative, kind="cooperative_verified"):
    rows = Message.objects.about(f"cooperative:{cooperative.pk}").filter(kind=kind).order_by("pk")
    return list(rows.values_list("channel", "address", "language", "state"))


@pytest.fixture
def waiting(db):
    """A cooperative waiting for verification: a manager with a verified mobile who agreed to
    WhatsApp, a manager with only an e-mail, and a plain member."""
    cooperative = CooperativeFactory(name="Asoprocaña", verification_status=VerificationStatus.PENDING)
    MembershipFactory(
        cooperative=cooperative,
        user=UserFactory(
            email="gerente@asoprocana.co",
            phone=MOBILE,
            phone_verified=True,
            whatsapp_consent_at=timezone.now(),
        ),
    )
    MembershipFactory(cooperative=cooperative, user=UserFactory(email="tesorera@asoprocana.co"))
    MembershipFactory(
        cooperative=cooperative, user=UserFactory(email="socio@example.org"), role=MembershipRole.MEMBER
    )
    return cooperative


def test_verification_in_the_admin_tells_each_manager_once(
    client, waiting, django_capture_on_commit_callbacks
):
    cooperative = waiting
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = snippet_post(
            client, cooperative, verification_status=VerificationStatus.VERIFIED, nit="900123456-8"
        )
    assert response.status_code == 302, response.context["form"].errors
    cooperative.refresh_from_db()
    assert cooperative.is_verified() and cooperative.verified_at is not None
    stamped = cooperative.verified_at
    # Managers only, each on her first channel (WhatsApp, then SMS, then e-mail on standby).
    assert _rows(cooperative) == [
        ("whatsapp", MOBILE, "es", "sent"),
        ("sms", MOBILE, "es", "skipped"),
        ("email", "gerente@asoprocana.co", "es", "skipped"),
        ("email", "tesorera@asoprocana.co", "es", "sent"),
    ]
    whatsapp = Message.objects.get(kind="cooperative_verified", channel="whatsapp")
    workspace = "http://testserver" + reverse("cooperatives:workspace_index")
    assert whatsapp.template == "minga_cooperativa_verificada"
    assert whatsapp.variables == ["Asoprocaña", workspace]
    (email,) = mail.outbox
    assert email.to == ["tesorera@asoprocana.co"]
    assert email.subject == "[Minga] Asoprocaña quedó verificada en Minga"
    assert workspace in email.body

    # Saved again, still verified: nobody is told again and the stamp is kept.
    with django_capture_on_commit_callbacks(execute=True):
        assert snippet_post(client, cooperative, known_for="Panela y miel").status_code == 302
    cooperative.refresh_from_db()
    assert cooperative.verified_at == stamped and len(_rows(cooperative)) == 4 and len(mail.outbox) == 1


def test_verified_again_after_a_suspension_is_told_again(waiting):
    cooperative = waiting
    services.cooperative_verify(cooperative=cooperative, status=VerificationStatus.VERIFIED)
    services.cooperative_verify(cooperative=cooperative, status=VerificationStatus.VERIFIED)
    assert len(_rows(cooperative)) == 4
    services.cooperative_verify(cooperative=cooperative, status=VerificationStatus.REJECTED)
    assert Cooperative.objects.get(pk=cooperative.pk).verified_at is None
    assert len(_rows(cooperative)) == 4
    services.cooperative_verify(cooperative=cooperative, status=VerificationStatus.VERIFIED)
    assert len(_rows(cooperative)) == 8


def test_a_verification_that_rolls_back_tells_nobody(waiting):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.cooperative_verify(cooperative=waiting, status=VerificationStatus.VERIFIED)
        raise RuntimeError("the admin request failed")
    assert not Message.objects.exists()


# --- Invitations ----------------------------------------------------------------------------


def test_an_invitation_is_one_email_to_the_address_with_its_link(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with translation.override("es"):
        url = reverse("cooperatives:member_list", args=[cooperative.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "Nueva@Example.org", "role": MembershipRole.MEMBER})
    invitation = Invitation.objects.get()
    rows = list(
        Message.objects.filter(kind="invitation").values_list("channel", "address", "language", "state")
    )
    assert rows == [("email", "nueva@example.org", "es", "sent")]
    with translation.override("es"):
        link = "http://testserver" + reverse("cooperatives:invitation_accept", args=[invitation.token])
    (email,) = mail.outbox
    assert link in email.body and link in email.alternatives[0][0]
    assert email.subject == f"[Minga] Invitación para unirse a {cooperative.name} en Minga"
    # The same event written again: nothing more.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.invitation_sent(invitation)
    assert Message.objects.filter(kind="invitation").count() == 1 and len(mail.outbox) == 1


def test_an_invitation_from_the_english_site_is_in_english(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with translation.override("en"):
        url = reverse("cooperatives:member_list", args=[cooperative.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "ana@example.org", "role": MembershipRole.MANAGER})
    invitation = Invitation.objects.get()
    assert Message.objects.get(kind="invitation").language == "en"
    (email,) = mail.outbox
    assert email.subject == f"[Minga] Invitation to join {cooperative.name} on Minga"
    assert "/en/" in email.body and invitation.token in email.body


def test_a_second_invitation_to_the_same_address_is_its_own_message(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    url = reverse("cooperatives:member_list", args=[cooperative.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "ana@example.org", "role": MembershipRole.MEMBER})
        client.post(url, {"email": "ana@example.org", "role": MembershipRole.MEMBER})
    first, second = Invitation.objects.order_by("pk")
    assert first.revoked_at is not None and second.is_pending()
    assert [m.to for m in mail.outbox] == [["ana@example.org"]] * 2
    assert second.token in mail.outbox[1].body and first.token not in mail.outbox[1].body
