"""Writes that carry a rule or a side effect, for cooperatives and their people."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperatives import notifications
from cooperatives.exceptions import InvitationError
from cooperatives.models import (
    Cooperative,
    Invitation,
    Membership,
    MembershipRole,
    Producer,
    VerificationStatus,
)


def invitation_create(*, cooperative: Cooperative, email: str, role: str, invited_by) -> Invitation:
    """Create an invitation and e-mail its link: the message is written in this transaction
    and leaves once it commits (`cooperatives.notifications.invitation_sent`)."""
    now = timezone.now()
    with transaction.atomic():
        cooperative.invitations.pending(now).filter(email__iexact=email).update(revoked_at=now)
        invitation = Invitation(
            cooperative=cooperative,
            email=email.strip().lower(),
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=invited_by,
            created_at=now,
            expires_at=now + timedelta(days=settings.MINGA_INVITATION_DAYS),
        )
        invitation.full_clean()
        invitation.save()
        notifications.invitation_sent(invitation)
    return invitation


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(revoked_at=timezone.now())


def invitation_accept(*, token: str, user) -> Membership:
    """Turn a pending invitation into a membership. Single use: a second call fails.

    The conditional UPDATE is the lock: of two simultaneous accepts only one matches.
    """
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.select_related("cooperative").filter(token=token).first()
        if invitation is None:
            raise InvitationError(_("This invitation link is not valid."))
        if invitation.email.lower() != user.email.lower():
            raise InvitationError(
                _("This invitation was sent to another e-mail address. Sign in with that address.")
            )
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if not claimed:
            if invitation.accepted_at:
                raise InvitationError(_("This invitation has already been used."))
            if invitation.revoked_at:
                raise InvitationError(_("This invitation was cancelled."))
            raise InvitationError(_("This invitation has expired. Ask for a new one."))
        membership, created = Membership.objects.get_or_create(
            user=user, cooperative=invitation.cooperative, defaults={"role": invitation.role}
        )
        if not created and invitation.role == MembershipRole.MANAGER and not membership.is_manager():
            membership.role = MembershipRole.MANAGER
            membership.save(update_fields=["role"])
    return membership


def producer_save(*, producer: Producer) -> Producer:
    producer.full_clean()
    producer.save()
    return producer


def cooperative_verify(*, cooperative: Cooperative, status: str) -> Cooperative:
    """Save `cooperative` with its verification status (and whatever else staff changed in
    the admin form). Becoming verified stamps `verified_at` and tells its managers, in this
    transaction; saving a verified cooperative again keeps the stamp and tells nobody.

    The row is locked while the old status is read: two staff saving at once tell once.
    """
    with transaction.atomic():
        previous = (
            Cooperative.objects.select_for_update()
            .filter(pk=cooperative.pk)
            .values_list("verification_status", "verified_at")
            .first()
            if cooperative.pk
            else None
        )
        was_verified = previous is not None and previous[0] == VerificationStatus.VERIFIED
        cooperative.verification_status = status
        if status != VerificationStatus.VERIFIED:
            cooperative.verified_at = None
        elif was_verified:
            cooperative.verified_at = previous[1] or timezone.now()
        else:
            cooperative.verified_at = timezone.now()
        cooperative.save()
        if status == VerificationStatus.VERIFIED and not was_verified:
            notifications.cooperative_verified(cooperative)
    return cooperative
