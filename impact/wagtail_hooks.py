"""Programmes and their indicators, edited by staff in the Wagtail admin (a snippet with
the indicators inline); each row links to the programme's report."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from impact.models import Programme


class ProgrammeViewSet(SnippetViewSet):
    model = Programme
    icon = "table"
    menu_label = _("Programmes")
    menu_order = 220
    add_to_admin_menu = True
    list_display = [
        "name",
        "funder",
        "starts_on",
        "ends_on",
        Column("report", label=_("Report"), accessor="report_url"),
    ]
    search_fields = ["name", "funder"]


register_snippet(ProgrammeViewSet)
