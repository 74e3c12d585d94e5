"""Whether the site's header offers "Mi cooperativa": noted in her session when she signs in,
and when she joins a cooperative by accepting an invitation, so pages pay no query for it.

A person with no membership is not sent to an empty workspace. Removed from her cooperative,
she keeps the link until her next sign-in, and the workspace itself answers 404 or its empty
list, as it checks her memberships on every request.
"""

from cooperatives.models import Membership

SESSION_KEY = "minga_in_cooperative"


def note_membership(request, user) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_KEY] = Membership.objects.filter(user=user).exists()


def remember_membership(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver."""
    note_membership(request, user)
