"""Addresses in the visitor's language.

Every public URL is under `i18n_patterns`: Spanish without a prefix, English under /en/.
A Wagtail page's own URL carries its page's language; a Spanish page that has no English
translation yet is also served under /en/ (see `cms.models.HomePage.route`), so its links
and redirects must stay there for a visitor reading English.
"""

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_from_path, override


def url_in_language(url: str, language: str | None = None) -> str:
    """`url` (a path of this site) as it reads in `language` (default: the active one)."""
    if not url:
        return url
    target = language or get_language()
    source = get_language_from_path(url) or settings.LANGUAGE_CODE  # no prefix: the default
    if source == target:
        return url
    with override(source):  # `translate_url` reads the address in the active language
        return translate_url(url, target)
