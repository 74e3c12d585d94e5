"""What every page's header needs to know about the signed-in person's cooperatives."""

from django.utils.functional import SimpleLazyObject

from cooperatives.models import Membership

# The answer is kept in the session with the user's id: one query per session, not per page.
MEMBER_SESSION_KEY = "minga_cooperative_member"


def is_cooperative_member(request) -> bool:
    """Whether the signed-in person belongs to a cooperative (shows "My cooperative").
    Read once a session and remembered; `forget_cooperative_member` asks again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    remembered = request.session.get(MEMBER_SESSION_KEY)
    if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == user.pk:
        return bool(remembered[1])
    member = Membership.objects.filter(user=user).exists()
    request.session[MEMBER_SESSION_KEY] = [user.pk, member]
    return member


def forget_cooperative_member(request) -> None:
    """After her memberships change (an invitation accepted): ask again on the next page."""
    request.session.pop(MEMBER_SESSION_KEY, None)


def cooperative_member(request) -> dict:
    """`is_cooperative_member` for templates, read only when a template asks."""
    return {"is_cooperative_member": SimpleLazyObject(lambda: is_cooperative_member(request))}
