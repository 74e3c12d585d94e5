"""Role links in the site header, decided once at sign-in.

A Market Builder works in the Wagtail admin (`/cms/`); the site's header links there for her
(and for staff). Whether she is one is a group lookup, so it is asked once when she signs in
and kept in her session: pages pay no query for it. A person added to, or removed from, the
"Market builders" group sees the change at her next sign-in (the admin checks her rights
itself on every request either way).
"""

from market.models import MARKET_BUILDERS_GROUP

SESSION_KEY = "minga_runs_markets"


def remember_roles(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: note in the session whether she runs markets."""
    session = getattr(request, "session", None)
    if session is None:
        return
    runs_markets = (
        user.is_staff or user.is_superuser or user.groups.filter(name=MARKET_BUILDERS_GROUP).exists()
    )
    session[SESSION_KEY] = bool(runs_markets)
