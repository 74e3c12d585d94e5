"""The one way Minga's e-mails leave: plain text with an HTML alternative, rendered from a pair
of templates in the active language, through Django's mail system, once per event and
recipient (`market.jobs.effect_once`), however often the job that sends it runs."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from market.jobs import effect_once
from market.text import one_line


def site_url() -> str:
    """The site's absolute address, for links in messages."""
    return settings.SITE_URL.rstrip("/")


def email_once(*, key: str, template: str, subject: str, to: list[str], context: dict) -> bool:
    """Send `template` (.txt and .html) to `to`, unless the e-mail with this key already left.

    `key` names the event and the recipient ("<job>:<object>:<recipient>"); True if it was
    sent now. Nobody to write to sends nothing.
    """
    if not to:
        return False
    context = {"site_url": site_url(), **context}
    message = EmailMultiAlternatives(
        subject=one_line(f"[Minga] {subject}"),
        body=render_to_string(f"{template}.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return effect_once(f"{key}:email", message.send)
