"""What people are told about cooperatives, through the outbox (`market.messages`).

Each function is called inside the transaction of its event (`cooperatives.services`): the
messages commit with it or not at all, and the jobs worker sends them after the commit, at
most once per event, recipient and channel.

* verified: each manager of the cooperative, on her own channels and in her language. A
  cooperative verified, then suspended and verified again is told again: the event is the
  verification itself ("cooperative_verified:<pk>:<verified_at>").
* invitation: the invited address, by e-mail (an invitation goes to an address, whoever
  owns it), with its one-time link, in the language of the manager who invited.
"""

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cooperatives.models import Cooperative, Invitation, MembershipRole
from market.messages.outbox import Notice, notify
from market.messages.recipients import Recipient
from market.models import User
from market.site import absolute

COOPERATIVE_VERIFIED = Notice.named(
    "cooperatives", "cooperative_verified", _("%(name)s is verified on Minga"), "minga_cooperativa_verificada"
)
INVITATION = Notice.named("cooperatives", "invitation", _("Invitation to join %(name)s on Minga"), sms="")


def manager_recipients(cooperative_id: int, *, language: str = "") -> list[Recipient]:
    """The cooperative's active managers, each on her own channels (in `language` if given,
    else her own)."""
    return managers_by_cooperative([cooperative_id], language=language).get(cooperative_id, [])


def managers_by_cooperative(cooperative_ids, *, language: str = "") -> dict[int, list[Recipient]]:
    """`manager_recipients` of several cooperatives in one query: {cooperative pk: recipients}."""
    managers = (
        User.objects.filter(
            memberships__cooperative_id__in=list(cooperative_ids),
            memberships__role=MembershipRole.MANAGER,
            is_active=True,
        )
        .annotate(managed_cooperative=F("memberships__cooperative_id"))
        .order_by("pk")
    )
    found: dict[int, list[Recipient]] = {}
    for user in managers:
        found.setdefault(user.managed_cooperative, []).append(Recipient.of(user, language=language))
    return found


def cooperative_verified(cooperative: Cooperative) -> None:
    """Tell the managers that their cooperative is verified: its products are public now."""
    with translation.override(settings.LANGUAGE_CODE):
        url = absolute(reverse("cooperatives:workspace_index"))
    notify(
        COOPERATIVE_VERIFIED,
        event=f"cooperative_verified:{cooperative.pk}:{cooperative.verified_at:%Y%m%dT%H%M%S%f}",
        about=f"cooperative:{cooperative.pk}",
        to=manager_recipients(cooperative.pk),
        context={"cooperative": cooperative, "url": url},
        subject_fields={"name": cooperative.name},
    )


def invitation_sent(invitation: Invitation) -> None:
    """E-mail the invitation's one-time link to the invited address."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        url = absolute(reverse("cooperatives:invitation_accept", args=[invitation.token]))
    notify(
        INVITATION,
        event=f"invitation:{invitation.pk}",
        about=f"cooperative:{invitation.cooperative_id}",
        to=[Recipient(email=invitation.email, language=language)],
        context={"invitation": invitation, "url": url, "cooperative": invitation.cooperative},
        subject_fields={"name": invitation.cooperative.name},
    )
