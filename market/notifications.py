"""E-mails about buyer organisations, as background tasks (Django's Tasks API, backend "jobs").

Enqueued with `transaction.on_commit`, so a registration that rolls back tells nobody; the
task reloads the organisation, so it works the same inline or in `jobs_worker`. Each message
goes through the effect ledger (`market.jobs.effect_once`): a run taken up again after its
worker died sends only what the first run had not sent.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from market.jobs import effect_once
from market.models import BuyerOrganization, User
from market.text import one_line


def staff_emails() -> list[str]:
    """Addresses of the active staff, who approve organisations in the Wagtail admin."""
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )


@task(backend="jobs")
def organization_registered(organization_id: int) -> None:
    """Tell staff that an organisation waits for their review, with the admin link."""
    organization = (
        BuyerOrganization.objects.select_related("municipality__department")
        .filter(pk=organization_id)
        .first()
    )
    to = staff_emails()
    if organization is None or not to:
        return
    first = organization.members.select_related("user").order_by("pk").first()
    url = settings.SITE_URL.rstrip("/") + reverse(
        "wagtailsnippets_market_buyerorganization:edit", args=[organization.pk]
    )
    with translation.override(settings.LANGUAGE_CODE):
        context = {"organization": organization, "registrant": first.user if first else None, "url": url}
        name = one_line(organization.legal_name)
        subject = "[Minga] " + _("Organisation to review: %(name)s") % {"name": name}
        body = render_to_string("market/email/organization_registered.txt", context)
        # One message each: no staff member sees the others' addresses.
        for address in to:
            message = EmailMessage(subject=subject, body=body, to=[address])
            effect_once(f"organization_registered:{organization.pk}:{address}:email", message.send)
