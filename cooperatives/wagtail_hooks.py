"""Platform staff manage and verify cooperatives in the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cooperatives import services
from cooperatives.models import Cooperative, Membership, Producer


class CooperativeViewSet(SnippetViewSet):
    model = Cooperative
    icon = "group"
    menu_label = _("Cooperatives")
    list_display = ["name", Column("municipality"), "verification_status", "created_at"]
    list_filter = ["verification_status", "legal_form"]
    search_fields = ["name", "nit", "known_for"]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("slug"),
                FieldRowPanel([FieldPanel("legal_form"), FieldPanel("nit")]),
                FieldPanel("municipality"),
            ],
            heading=_("Identity"),
        ),
        FieldPanel("verification_status"),
        FieldPanel("story"),
        FieldPanel("known_for"),
        FieldPanel("logo"),
        FieldRowPanel([FieldPanel("phone"), FieldPanel("whatsapp"), FieldPanel("email")]),
    ]


class MembershipViewSet(SnippetViewSet):
    model = Membership
    icon = "user"
    menu_label = _("Memberships")
    list_display = ["user", "cooperative", "role"]
    list_filter = ["role"]
    panels = [FieldPanel("user"), FieldPanel("cooperative"), FieldPanel("role")]


class ProducerViewSet(SnippetViewSet):
    model = Producer
    icon = "user"
    menu_label = _("Producers")
    list_display = ["name", "cooperative", "village", "is_active"]
    search_fields = ["name", "village"]
    panels = [
        FieldPanel("cooperative"),
        FieldPanel("name"),
        FieldPanel("village"),
        FieldPanel("gender"),
        FieldPanel("consents_to_aggregate"),
        FieldPanel("user"),
        FieldPanel("is_active"),
    ]


class CooperativesGroup(SnippetViewSetGroup):
    items = (CooperativeViewSet, MembershipViewSet, ProducerViewSet)
    menu_icon = "group"
    menu_label = _("Cooperatives")
    menu_name = "cooperatives"


register_snippet(CooperativesGroup)


@hooks.register("after_edit_snippet")
@hooks.register("after_create_snippet")
def record_verification(request, instance):
    if isinstance(instance, Cooperative):
        services.cooperative_verify(cooperative=instance, status=instance.verification_status)
