"""The language links in the footer: the same page in the other language, as a plain link.

Every public URL is under `i18n_patterns` (Spanish without a prefix, English under /en/),
so `translate_url` maps the current address to the other language with no query. A
Wagtail page reached that way is its translation when there is one; otherwise the English
home falls back to the Spanish page (see `cms.models.HomePage.route`).
"""

import functools

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.encoding import escape_uri_path, iri_to_uri
from django.utils.translation import get_language

from market.i18n import url_in_language

register = template.Library()

NAMES = {"es": "Español", "en": "English"}


@functools.lru_cache(maxsize=4096)
def _translated(path: str, current: str, code: str) -> str:
    """`translate_url` of a path (no query), which resolves it and reverses it: the same
    answer for as long as the process runs (the URLconf does not change), asked on every
    page's footer."""
    return translate_url(path, code)


@register.inclusion_tag("includes/language_links.html", takes_context=True)
def language_links(context):
    request = context.get("request")
    current = get_language()
    # What `request.get_full_path()` gives, in two parts: only the path is translated.
    path = escape_uri_path(request.path) if request is not None else "/"
    query = iri_to_uri(request.META.get("QUERY_STRING", "")) if request is not None else ""
    links = [
        {
            "code": code,
            "name": NAMES.get(code, code),
            "url": _translated(path, current, code) + (f"?{query}" if query else ""),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    return {"links": links}


@register.filter
def in_current_language(url):
    """A page's address in the visitor's language (see `market.i18n.url_in_language`)."""
    return url_in_language(url)


@register.filter
def parent_url(url):
    """The address one level up: "/historias/las-viveristas/" -> "/historias/" (no query)."""
    if not url:
        return url
    head = url.rstrip("/").rsplit("/", 1)[0]
    return head + "/"
