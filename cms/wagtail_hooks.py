"""Markets in the Wagtail admin: pickup points as a snippet, and the Market Builder's views
(a "Markets" menu, a report button on each market, the report's URLs).

Who may do what is set by migration cms/0004 (the "Market builders" group) and checked by
`cms.markets.permissions`.
"""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms import admin_review
from cms.markets import admin_privacy, builder_views, permissions
from cms.markets.product_chooser import market_product_chooser
from cms.markets.report import builder_dashboard
from cms.models import MarketEventPage, PickupPoint


class PickupPointViewSet(SnippetViewSet):
    model = PickupPoint
    icon = "site"
    menu_label = _("Pickup points")
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "address", Column("municipality", label=_("Municipality"))]
    search_fields = ["name", "address"]
    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("municipality", heading=_("Municipality")),
        FieldPanel("instructions"),
    ]


register_snippet(PickupPointViewSet)


@hooks.register("register_admin_viewset")
def register_market_product_chooser():
    return market_product_chooser


@hooks.register("register_admin_urls")
def register_market_urls():
    return [
        path("mercados/", builder_views.MarketListView.as_view(), name="cms_market_list"),
        path("mercados/nuevo/", builder_views.MarketCreateView.as_view(), name="cms_market_new"),
        path(
            "mercados/<int:page_id>/ofertas/",
            builder_views.OffersAddView.as_view(),
            name="cms_market_offers_add",
        ),
        path(
            "mercados/<int:page_id>/franjas/",
            builder_views.SlotsGenerateView.as_view(),
            name="cms_market_slots_generate",
        ),
        path(
            "mercados/<int:page_id>/informe/",
            builder_views.MarketReportView.as_view(),
            name="cms_market_report",
        ),
        path(
            "mercados/<int:page_id>/pedidos/<str:number>/entregado/",
            builder_views.market_hand_over,
            name="cms_market_hand_over",
        ),
        path(
            "mercados/<int:page_id>/pedido-asistido/",
            builder_views.AssistedOrderView.as_view(),
            name="cms_market_assist",
        ),
        path(
            "mercados/<int:page_id>/copiar/", builder_views.MarketCopyView.as_view(), name="cms_market_copy"
        ),
    ]


class MarketsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_build_markets(request.user)


@hooks.register("register_admin_menu_item")
def register_markets_menu_item():
    return MarketsMenuItem(
        _("Markets"), reverse("cms_market_list"), name="markets", icon_name="date", order=150
    )


class MarketReportButton(PageMenuItem):
    label = _("Market report")
    icon_name = "list-ul"
    url_name = "cms_market_report"

    def is_shown(self, user):
        if self.page.specific_class is not MarketEventPage:
            return False
        if not permissions.can_run_market(user, self.page):
            return False
        # A translation's orders are its original's: the report is on the original.
        return not self.page.specific_deferred.is_translation


@hooks.register("register_page_listing_more_buttons")
def market_report_listing_button(page, user, next_url=None):
    yield MarketReportButton(page=page, priority=5)


@hooks.register("register_page_header_buttons")
def market_report_header_button(page, user, next_url=None, view_name=None):
    yield MarketReportButton(page=page, priority=5)


@hooks.register("construct_explorer_page_queryset")
def explorer_without_others_markets(parent_page, pages, request):
    return admin_privacy.pages_without_others_markets(pages, request.user)


@hooks.register("construct_page_chooser_queryset")
def chooser_without_others_markets(pages, request):
    return admin_privacy.pages_without_others_markets(pages, request.user)


class BuilderMarketsPanel(Component):
    """Her Wagtail home: "Nuevo mercado", and her latest markets with their state, orders,
    and the cooperatives that have not confirmed their quantities yet."""

    name = "builder_markets"
    order = 50
    template_name = "cms/admin/home_markets_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        return {"markets": builder_dashboard(self.request.user), "request": self.request}


@hooks.register("construct_homepage_panels")
def add_builder_markets_panel(request, panels):
    if permissions.can_build_markets(request.user):
        panels.insert(0, BuilderMarketsPanel(request))


@hooks.register("construct_homepage_panels")
def staff_review_panel(request, panels):
    """Staff see first what waits for them: cooperatives to verify, organisations to approve."""
    kinds = admin_review.waiting_for_review(request.user)
    if kinds:
        panels.append(admin_review.ReviewPanel(kinds))
