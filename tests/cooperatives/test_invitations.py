"""Managers invite people by e-mail; the link works once, for that address, for 14 days.

Messages are read in English (`/en/` URLs) so that the assertions do not depend on the
wording of the Spanish catalogue; the e-mail subject is checked in Spanish, the
default language, against the compiled catalogue.
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from cooperatives.models import Invitation, Membership, MembershipRole
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.helpers import message_texts

SUBJECT_MSGID = "Invitation to join %(name)s on Minga"


def url(name, *args, language="en"):
    with translation.override(language):
        return reverse(f"cooperatives:{name}", args=args)


def invite(client, cooperative, email, role=MembershipRole.MEMBER, *, language="es", capture):
    with capture(execute=True):
        return client.post(
            url("member_list", cooperative.slug, language=language), {"email": email, "role": role}
        )


def accept(client, invitation):
    return client.post(url("invitation_accept", invitation.token))


# --- Sending -------------------------------------------------------------------------------


def test_manager_invites_by_email_and_one_email_carries_the_accept_link(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    before = timezone.now()

    response = invite(
        client,
        cooperative,
        "Nueva.Socia@Example.org",
        MembershipRole.MANAGER,
        capture=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    assert response["Location"] == url("member_list", cooperative.slug, language="es")
    invitation = Invitation.objects.get(cooperative=cooperative)
    assert invitation.email == "nueva.socia@example.org"
    assert invitation.role == MembershipRole.MANAGER
    assert invitation.invited_by == manager
    assert invitation.is_pending()
    expected_days = timedelta(days=settings.MINGA_INVITATION_DAYS)
    assert before + expected_days <= invitation.expires_at <= timezone.now() + expected_days

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["nueva.socia@example.org"]
    link = "http://testserver" + url("invitation_accept", invitation.token, language="es")
    assert link in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert link in html
    assert cooperative.name in email.subject


def test_invitation_subject_is_in_spanish_for_a_spanish_request(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    with translation.override("es"):
        spanish = translation.gettext(SUBJECT_MSGID)
    assert spanish != SUBJECT_MSGID, "the Spanish catalogue has no translation of the subject"
    client.force_login(manager)

    invite(client, cooperative, "ana@example.org", capture=django_capture_on_commit_callbacks)

    assert [m.subject for m in mail.outbox] == ["[Minga] " + spanish % {"name": cooperative.name}]


def test_invitation_email_waits_for_the_commit(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url("member_list", cooperative.slug), {"email": "ana@example.org", "role": "member"})
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_member_cannot_invite(client, cooperative, member, django_capture_on_commit_callbacks):
    client.force_login(member)

    response = invite(client, cooperative, "otra@example.org", capture=django_capture_on_commit_callbacks)

    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_invalid_email_is_refused_without_writing(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    response = invite(client, cooperative, "no-es-un-correo", capture=django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_reinviting_the_same_email_revokes_the_pending_invitation(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    invite(client, cooperative, "ana@example.org", capture=django_capture_on_commit_callbacks)
    first = Invitation.objects.get()

    invite(
        client,
        cooperative,
        "ANA@example.org",
        MembershipRole.MANAGER,
        capture=django_capture_on_commit_callbacks,
    )

    first.refresh_from_db()
    second = Invitation.objects.exclude(pk=first.pk).get()
    assert first.revoked_at is not None
    assert second.is_pending()
    assert second.role == MembershipRole.MANAGER
    assert list(cooperative.invitations.pending()) == [second]
    assert len(mail.outbox) == 2

    invitee = UserFactory(email="ana@example.org")
    client.force_login(invitee)
    response = accept(client, first)
    assert "This invitation was cancelled." in message_texts(response)
    assert not Membership.objects.filter(user=invitee).exists()
    accept(client, second)
    assert Membership.objects.get(user=invitee).role == MembershipRole.MANAGER


def test_reinviting_does_not_touch_other_cooperatives_invitations(
    client, cooperative, manager, django_capture_on_commit_callbacks
):
    elsewhere = InvitationFactory(email="ana@example.org")
    client.force_login(manager)

    invite(client, cooperative, "ana@example.org", capture=django_capture_on_commit_callbacks)

    elsewhere.refresh_from_db()
    assert elsewhere.is_pending()


# --- Accepting -----------------------------------------------------------------------------


@pytest.fixture
def invitation(cooperative, manager):
    return InvitationFactory(
        cooperative=cooperative, email="invitada@example.org", role=MembershipRole.MANAGER, invited_by=manager
    )


@pytest.fixture
def invitee(db):
    return UserFactory(email="invitada@example.org")


def test_invitee_accepts_and_becomes_member_with_the_invited_role(client, invitation, invitee):
    client.force_login(invitee)

    assert client.get(url("invitation_accept", invitation.token)).status_code == 200
    response = accept(client, invitation)

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:workspace_home", args=[invitation.cooperative.slug])
    membership = Membership.objects.get(user=invitee)
    assert membership.cooperative == invitation.cooperative
    assert membership.role == MembershipRole.MANAGER
    invitation.refresh_from_db()
    assert invitation.accepted_by == invitee
    assert invitation.accepted_at is not None


def test_second_accept_is_refused_and_creates_no_duplicate(client, invitation, invitee):
    client.force_login(invitee)
    accept(client, invitation)
    invitation.refresh_from_db()
    first_accepted_at = invitation.accepted_at

    response = accept(client, invitation)

    assert response.status_code == 200
    assert "This invitation has already been used." in message_texts(response)
    assert Membership.objects.filter(user=invitee).count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at == first_accepted_at


def test_expired_invitation_is_refused(client, invitation, invitee):
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1), tick=False):
        client.force_login(invitee)
        response = accept(client, invitation)

    assert "This invitation has expired. Ask for a new one." in message_texts(response)
    assert not Membership.objects.filter(user=invitee).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_invitation_still_works_on_its_last_day(client, invitation, invitee):
    with time_machine.travel(invitation.created_at + timedelta(days=13, hours=23), tick=False):
        client.force_login(invitee)
        accept(client, invitation)

    assert Membership.objects.filter(user=invitee, cooperative=invitation.cooperative).exists()


def test_revoked_invitation_is_refused(client, invitation, invitee):
    invitation.revoked_at = timezone.now()
    invitation.save()
    client.force_login(invitee)

    response = accept(client, invitation)

    assert "This invitation was cancelled." in message_texts(response)
    assert not Membership.objects.filter(user=invitee).exists()


def test_user_with_another_email_is_refused_and_the_invitation_stays_usable(
    client, invitation, buyer, invitee
):
    client.force_login(buyer)

    response = accept(client, invitation)

    assert any("another e-mail address" in m for m in message_texts(response))
    assert not Membership.objects.filter(user=buyer).exists()
    invitation.refresh_from_db()
    assert invitation.is_pending()

    client.force_login(invitee)
    accept(client, invitation)
    assert Membership.objects.filter(user=invitee).exists()


def test_email_case_does_not_matter_when_accepting(client, invitation):
    user = UserFactory(email="x@example.org")
    type(user).objects.filter(pk=user.pk).update(email="Invitada@Example.ORG")
    user.refresh_from_db()
    client.force_login(user)

    accept(client, invitation)

    assert Membership.objects.filter(user=user).exists()


def test_unknown_token_is_refused(client, invitee):
    client.force_login(invitee)

    response = client.post(url("invitation_accept", "no-such-token"))

    assert "This invitation link is not valid." in message_texts(response)
    assert not Membership.objects.exists()


def test_anonymous_visitor_is_sent_to_login_first(client, invitation):
    link = url("invitation_accept", invitation.token)

    response = client.post(link)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_a_manager_invitation_promotes_an_existing_member(client, invitation, invitee):
    MembershipFactory(user=invitee, cooperative=invitation.cooperative, role=MembershipRole.MEMBER)
    client.force_login(invitee)

    accept(client, invitation)

    assert Membership.objects.get(user=invitee).role == MembershipRole.MANAGER


def test_accepting_a_member_invitation_never_demotes_a_manager(client, cooperative, invitee):
    MembershipFactory(user=invitee, cooperative=cooperative, role=MembershipRole.MANAGER)
    invitation = InvitationFactory(cooperative=cooperative, email=invitee.email, role=MembershipRole.MEMBER)
    client.force_login(invitee)

    accept(client, invitation)

    assert Membership.objects.get(user=invitee).role == MembershipRole.MANAGER


# --- Revoking ------------------------------------------------------------------------------


def test_manager_can_revoke_and_the_link_stops_working(client, invitation, manager, invitee):
    client.force_login(manager)

    response = client.post(url("invitation_revoke", invitation.cooperative.slug, invitation.pk))

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert list(invitation.cooperative.invitations.pending()) == []

    client.force_login(invitee)
    accept(client, invitation)
    assert not Membership.objects.filter(user=invitee).exists()


def test_member_cannot_revoke(client, invitation, member):
    client.force_login(member)

    response = client.post(url("invitation_revoke", invitation.cooperative.slug, invitation.pk))

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_revoking_an_accepted_invitation_changes_nothing(client, invitation, manager, invitee):
    client.force_login(invitee)
    accept(client, invitation)
    client.force_login(manager)

    client.post(url("invitation_revoke", invitation.cooperative.slug, invitation.pk))

    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Membership.objects.filter(user=invitee).exists()
