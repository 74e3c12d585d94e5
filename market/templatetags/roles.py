"""`{% role_links %}`: the header's links to her workspaces ("My cooperative", "Manage my
markets" or "Admin"), decided at sign-in and kept in her session (`market.roles`,
`cooperatives.roles`): no query.

They are hers, so a page kept for every signed-in visitor (`market.page_cache.serve` with
`members`) keeps a placeholder and each request fills it (`role_links_html`, registered in
`market.apps`).
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from market import page_cache
from market.roles import SESSION_KEY as MARKETS_SESSION_KEY

register = template.Library()

# `cooperatives.roles.SESSION_KEY` (that app builds on this one, not the reverse).
COOPERATIVE_SESSION_KEY = "minga_in_cooperative"


@register.simple_tag(takes_context=True)
def role_links(context):
    request = getattr(context, "request", None)
    if request is None:
        return ""
    return page_cache.deferred(request, "roles")


def role_links_html(request, argument: str = "") -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    session = request.session
    links = []
    if session.get(COOPERATIVE_SESSION_KEY):
        links.append(("cooperatives:workspace_index", _("My cooperative")))
    if user.is_staff:
        links.append(("wagtailadmin_home", _("Admin")))
    elif session.get(MARKETS_SESSION_KEY):
        links.append(("wagtailadmin_home", _("Manage my markets")))
    links = [format_html('<a href="{}">{}</a>', reverse(name), label) for name, label in links]
    return mark_safe("\n      ".join(links))  # each part escaped by format_html
