"""The language links in the footer: the same page in the other language, as a plain link.

Every public URL is under `i18n_patterns` (Spanish without a prefix, English under /en/),
so `translate_url` maps the current address to the other language with no query. A
Wagtail page reached that way is its translation when there is one; otherwise the English
home falls back to the Spanish page (see `cms.models.HomePage.route`).
"""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

from market.i18n import url_in_language

register = template.Library()

NAMES = {"es": "Español", "en": "English"}


@register.inclusion_tag("includes/language_links.html", takes_context=True)
def language_links(context):
    request = context.get("request")
    current = get_language()
    path = request.get_full_path() if request is not None else "/"
    links = [
        {
            "code": code,
            "name": NAMES.get(code, code),
            "url": translate_url(path, code),
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
