"""The one membership check for the cooperative workspace.

Anyone who is not a member of the cooperative in the URL gets 404, so the workspace
never confirms that a cooperative or object exists to an outsider.
"""

from django.http import Http404

from cooperatives.models import Cooperative, Membership, MembershipRole


def workspace_membership(user, cooperative_slug: str, *, manage: bool = False) -> Membership:
    """Return the user's membership of the cooperative, or raise Http404.

    With `manage=True` only a manager passes.
    """
    if not user.is_authenticated:
        raise Http404
    qs = Membership.objects.select_related("cooperative__municipality__department").filter(
        user=user, cooperative__slug=cooperative_slug
    )
    if manage:
        qs = qs.filter(role=MembershipRole.MANAGER)
    membership = qs.first()
    if membership is None:
        raise Http404
    return membership


def request_membership(request, cooperative_slug: str) -> Membership:
    """Every member reads; a request that is not a read is for managers only (404 otherwise)."""
    return workspace_membership(request.user, cooperative_slug, manage=request.method not in ("GET", "HEAD"))


def user_cooperatives(user):
    if not user.is_authenticated:
        return Cooperative.objects.none()
    return Cooperative.objects.filter(memberships__user=user).order_by("name")
