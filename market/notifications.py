"""What people are told about buyer organisations, through the outbox (`market.messages`).

Each function is called inside the transaction of its event (`market.services`): the
messages commit with the registration or the decision, or not at all, and the jobs worker
sends them after the commit, at most once per event, recipient and channel.

* registered: each active staff member with an e-mail address gets the review notice (one
  message each: nobody sees the others' addresses), in Spanish, by e-mail only (it carries
  the organisation's details and the admin link).
* approved or refused: each member of the organisation, on her own channels and in her
  language; a refusal says why. An organisation may be refused, then approved after a
  correction: each decision is its own event ("organization_decided:<pk>:<n>", the n-th
  decision that told anyone), and the same decision saved again tells nobody (the service
  only calls this when the status changed).
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from market.messages.outbox import Notice, notify
from market.messages.recipients import Recipient
from market.models import BuyerOrganization, Message, OrganizationStatus, User
from market.site import absolute

ORGANIZATION_REGISTERED = Notice.named(
    "market", "organization_registered", _("Organisation to review: %(name)s"), sms=""
)
ORGANIZATION_APPROVED = Notice.named(
    "market", "organization_approved", _("%(name)s was approved on Minga"), "minga_organizacion"
)
ORGANIZATION_REFUSED = Notice.named(
    "market", "organization_refused", _("%(name)s was not approved on Minga"), "minga_organizacion"
)
DECISIONS = (ORGANIZATION_APPROVED.kind, ORGANIZATION_REFUSED.kind)


def staff_recipients() -> list[Recipient]:
    """The active staff, who approve organisations in the Wagtail admin, by e-mail (Spanish)."""
    staff = User.objects.filter(is_staff=True, is_active=True).exclude(email="").order_by("email")
    return [
        Recipient(email=user.email, name=user.get_full_name(), language=settings.LANGUAGE_CODE)
        for user in staff
    ]


def member_recipients(organization: BuyerOrganization) -> list[Recipient]:
    """The organisation's active members (the registrant first), each on her own channels."""
    members = User.objects.filter(
        organization_memberships__organization=organization, is_active=True
    ).order_by("organization_memberships__pk")
    return [Recipient.of(user) for user in members]


def organization_registered(organization: BuyerOrganization) -> None:
    """Tell staff that an organisation waits for their review, with the admin link."""
    first = organization.members.select_related("user").order_by("pk").first()
    notify(
        ORGANIZATION_REGISTERED,
        event=f"organization_registered:{organization.pk}",
        about=f"organization:{organization.pk}",
        to=staff_recipients(),
        context={
            "organization": organization,
            "registrant": first.user if first else None,
            "url": absolute(reverse("wagtailsnippets_market_buyerorganization:edit", args=[organization.pk])),
        },
        subject_fields={"name": organization.legal_name},
    )


def organization_decided(organization: BuyerOrganization, *, reason: str = "") -> None:
    """Tell the members that staff approved or refused the organisation (`reason`: why not)."""
    approved = organization.status == OrganizationStatus.APPROVED
    notice = ORGANIZATION_APPROVED if approved else ORGANIZATION_REFUSED
    about = f"organization:{organization.pk}"
    earlier = Message.objects.filter(about=about, kind__in=DECISIONS).values("event").distinct().count()
    notify(
        notice,
        event=f"organization_decided:{organization.pk}:{earlier + 1}",
        about=about,
        to=member_recipients(organization),
        context={
            "organization": organization,
            "reason": reason.strip(),
            "reason_line": " ".join(reason.split()),
            "decision_line": _DecisionLine(approved, reason),
            "url": absolute(reverse("market:organization_detail", args=[organization.pk])),
        },
        subject_fields={"name": organization.legal_name},
    )


class _DecisionLine:
    """The WhatsApp template's {{2}}, rendered in the recipient's language when it is read."""

    def __init__(self, approved: bool, reason: str):
        self.approved, self.reason = approved, " ".join(reason.split())

    def __str__(self) -> str:
        from django.utils.translation import gettext

        if self.approved:
            return gettext("It was approved: you may now order in its name.")
        return gettext("It was not approved. Reason: %(reason)s") % {"reason": self.reason}
