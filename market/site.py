"""The site's own absolute address, for links in messages and e-mails (SITE_URL)."""

from django.conf import settings


def site_url() -> str:
    """The site's absolute address, for links in messages."""
    return settings.SITE_URL.rstrip("/")


def absolute(path: str) -> str:
    """`path` ("/pedidos/…") as a link that works from outside the site (a message)."""
    return site_url() + path
