"""Platform staff approve buyer organisations and grant credit terms in the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from market.models import BuyerOrganization, DeliveryAddress, OrganizationMember


class BuyerOrganizationViewSet(SnippetViewSet):
    model = BuyerOrganization
    icon = "site"
    menu_label = _("Buyer organisations")
    list_display = ["legal_name", "kind", "nit", "status", "credit_days", "credit_limit_cop"]
    list_filter = ["status", "kind", "credit_days"]
    search_fields = ["legal_name", "nit"]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("legal_name"),
                FieldRowPanel([FieldPanel("kind"), FieldPanel("nit")]),
                FieldPanel("billing_address"),
                FieldPanel("municipality"),
                FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
            ],
            heading=_("Identity"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldRowPanel([FieldPanel("credit_days"), FieldPanel("credit_limit_cop")]),
            ],
            heading=_("Approval and credit"),
        ),
    ]


class OrganizationMemberViewSet(SnippetViewSet):
    model = OrganizationMember
    icon = "user"
    menu_label = _("Organisation members")
    list_display = ["user", "organization", "can_order"]
    panels = [FieldPanel("organization"), FieldPanel("user"), FieldPanel("can_order")]


class DeliveryAddressViewSet(SnippetViewSet):
    model = DeliveryAddress
    icon = "home"
    menu_label = _("Delivery addresses")
    list_display = ["label", "organization", "address"]
    panels = [
        FieldPanel("organization"),
        FieldPanel("label"),
        FieldPanel("address"),
        FieldPanel("municipality"),
        FieldPanel("instructions"),
    ]


class BuyersGroup(SnippetViewSetGroup):
    items = (BuyerOrganizationViewSet, OrganizationMemberViewSet, DeliveryAddressViewSet)
    menu_icon = "site"
    menu_label = _("Buyers")
    menu_name = "buyers"


register_snippet(BuyersGroup)
