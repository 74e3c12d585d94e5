"""Platform staff approve buyer organisations and grant credit terms in the Wagtail admin, and
see the background jobs that are stuck or failed (Settings → Background jobs, `market.jobs`).

Approving or refusing is an edit of the organisation's status. The edit form saves through
`market.services.organization_decide`, inside the transaction Wagtail's edit action opens:
the status change and the members' messages commit together (a `post_save` receiver would
not know the reason, and the `after_edit_snippet` hook runs after that transaction).
"""

from django import forms
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from market import services
from market.admin_columns import MoneyColumn, NitColumn
from market.jobs import admin_views as jobs_admin_views
from market.models import BuyerOrganization, DeliveryAddress, OrganizationMember, OrganizationStatus


class BuyerOrganizationForm(WagtailAdminModelForm):
    """The organisation as staff edit it, with the reason its members read when it is refused."""

    decision_reason = forms.CharField(
        label=_("Reason for refusing"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the organisation's members when you change its status to Rejected."),
    )

    def clean(self):
        cleaned = super().clean()
        refusing = cleaned.get("status") == OrganizationStatus.REJECTED and "status" in self.changed_data
        if refusing and not (cleaned.get("decision_reason") or "").strip():
            self.add_error(
                "decision_reason", _("Write why the organisation is refused: its members will read it.")
            )
        return cleaned

    def save(self, commit=True):
        organization = super().save(commit=False)
        if commit:
            services.organization_decide(
                organization=organization, reason=self.cleaned_data.get("decision_reason") or ""
            )
            self.save_m2m()
        return organization


class BuyerOrganizationViewSet(SnippetViewSet):
    model = BuyerOrganization
    icon = "site"
    menu_label = _("Buyer organisations")
    list_display = [
        "legal_name",
        "kind",
        NitColumn("nit", label=_("NIT")),
        "status",
        "credit_days",
        MoneyColumn("credit_limit_cop", label=_("Credit limit")),
    ]
    list_filter = ["status", "kind", "credit_days"]
    search_fields = ["legal_name", "nit"]
    edit_handler = ObjectList(
        [
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
                    FieldPanel("decision_reason"),
                    FieldRowPanel([FieldPanel("credit_days"), FieldPanel("credit_limit_cop")]),
                ],
                heading=_("Approval and credit"),
            ),
        ],
        base_form_class=BuyerOrganizationForm,
    )


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


@hooks.register("register_admin_urls")
def register_jobs_urls():
    return [
        path("trabajos/", jobs_admin_views.JobListView.as_view(), name="market_jobs"),
        path("trabajos/<uuid:task_id>/reintentar/", jobs_admin_views.job_retry, name="market_job_retry"),
    ]


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_staff


@hooks.register("register_settings_menu_item")
def register_jobs_menu_item():
    return StaffMenuItem(
        _("Background jobs"), reverse("market_jobs"), name="jobs", icon_name="cogs", order=900
    )


@hooks.register("register_admin_urls")
def register_message_urls():
    from market.messages import admin_views as views

    return [
        path("mensajes/", views.MessageListView.as_view(), name="market_messages"),
        path("mensajes/<int:pk>/reenviar/", views.message_resend_view, name="market_message_resend"),
    ]


@hooks.register("register_settings_menu_item")
def register_messages_menu_item():
    url = reverse("market_messages")
    return StaffMenuItem(_("Messages"), url, name="messages", icon_name="mail", order=910)


@hooks.register("insert_global_admin_js")
def datetimepicker_in_spanish():
    """The date picker's hidden "Save Selected" button, labelled in the admin's language."""
    return format_html(
        '<script src="{}" data-save-label="{}"></script>',
        static("js/admin_datetimepicker_es.js"),
        _("Save the selection"),
    )
