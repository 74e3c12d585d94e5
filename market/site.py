"""The site's own absolute address, for links in messages and e-mails (SITE_URL)."""

from django.conf import settings


def site_url() -> str:
    """The site's absolute address, for links in messages."""
    return settings.SITE_URL.rstrip("/")
