"""Platform staff manage and verify cooperatives in the Wagtail admin.

Verifying is an edit of the cooperative's status. The edit form saves through
`cooperatives.services.cooperative_verify`, inside the transaction Wagtail's edit action
opens, so that the status change and the managers' messages commit together (the
`after_edit_snippet` hook runs after that transaction, when the old status is gone).
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cooperatives import services
from cooperatives.models import Cooperative, Membership, Producer, VerificationStatus
from market.admin_columns import NitColumn
from market.nit import normalize_nit


class CooperativeForm(WagtailAdminModelForm):
    def clean_nit(self):
        # Stored as 900123456-8 whatever way it was typed, so the unique constraint holds.
        nit = self.cleaned_data.get("nit")
        return normalize_nit(nit) if nit else ""

    def clean(self):
        cleaned = super().clean()
        verifying = (
            cleaned.get("verification_status") == VerificationStatus.VERIFIED
            and "verification_status" in self.changed_data
        )
        if verifying and not cleaned.get("nit") and "nit" not in self.errors:
            # Buyers invoice a verified cooperative: it needs its tax id before it is public.
            self.add_error("nit", _("Enter the cooperative's NIT before verifying it."))
        return cleaned

    def save(self, commit=True):
        cooperative = super().save(commit=False)
        if commit:
            services.cooperative_verify(cooperative=cooperative, status=cooperative.verification_status)
            self.save_m2m()
        return cooperative


class CooperativeViewSet(SnippetViewSet):
    model = Cooperative
    icon = "group"
    menu_label = _("Cooperatives")
    list_display = [
        "name",
        NitColumn("nit", label=_("NIT")),
        Column("municipality", label=_("Municipality")),
        "verification_status",
        "created_at",
    ]
    list_filter = ["verification_status", "legal_form"]
    search_fields = ["name", "nit", "known_for"]
    edit_handler = ObjectList(
        [
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
        ],
        base_form_class=CooperativeForm,
    )


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
