"""What waits for platform staff on the Wagtail dashboard: cooperatives to verify and buyer
organisations to approve, with how many there are, the oldest few, and links to act.

Four queries whatever the number waiting (two counts, two short lists).
"""

from django.urls import reverse
from wagtail.admin.ui.components import Component

from cooperatives.models import Cooperative, VerificationStatus
from market.models import BuyerOrganization, OrganizationStatus

SHOWN = 5


def _snippet_url(model, view: str, *args) -> str:
    return reverse(f"wagtailsnippets_{model._meta.app_label}_{model._meta.model_name}:{view}", args=args)


def waiting_for_review(user) -> list[dict]:
    """Each kind of request `user` may decide, with its count, oldest items and list link."""
    kinds = []
    if user.has_perm("cooperatives.change_cooperative"):
        pending = Cooperative.objects.filter(verification_status=VerificationStatus.PENDING)
        kinds.append(
            {
                "key": "cooperatives",
                "count": pending.count(),
                "items": [
                    {"name": c.name, "url": _snippet_url(Cooperative, "edit", c.pk), "since": c.created_at}
                    for c in pending.order_by("created_at", "pk")[:SHOWN]
                ],
                "list_url": _snippet_url(Cooperative, "list")
                + f"?verification_status={VerificationStatus.PENDING}",
            }
        )
    if user.has_perm("market.change_buyerorganization"):
        pending = BuyerOrganization.objects.filter(status=OrganizationStatus.PENDING)
        kinds.append(
            {
                "key": "organizations",
                "count": pending.count(),
                "items": [
                    {
                        "name": o.legal_name,
                        "url": _snippet_url(BuyerOrganization, "edit", o.pk),
                        "since": o.created_at,
                    }
                    for o in pending.order_by("created_at", "pk")[:SHOWN]
                ],
                "list_url": _snippet_url(BuyerOrganization, "list") + f"?status={OrganizationStatus.PENDING}",
            }
        )
    return kinds


class ReviewPanel(Component):
    """The dashboard panel; shown only to those who may decide at least one kind."""

    name = "minga_waiting_for_review"
    template_name = "cms/admin/review_panel.html"
    order = 50

    def __init__(self, kinds: list[dict]):
        self.kinds = kinds

    def get_context_data(self, parent_context):
        return {"kinds": self.kinds}
