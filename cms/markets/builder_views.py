"""The Market Builder's views in the Wagtail admin: her markets, a new market in one form,
adding every product as offers and generating pickup slots on a market, a market's report
(screen, print, CSV), handing orders over, orders taken by phone, and copying a market.

Every view starts with `cms.markets.permissions.builder_market`: the builder who owns the
market, or staff; anyone else gets 404. Wagtail's own admin check (access_admin) runs
first, because the URLs are registered with the `register_admin_urls` hook (in
`cms.wagtail_hooks`). The reads are in `cms.markets.report`, the writes in
`cms.markets.services`, the forms in `cms.markets.builder_forms`.
"""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button

from cms.markets import permissions, services
from cms.markets.builder_forms import (
    AssistedOrderForm,
    MarketCopyForm,
    MarketNewForm,
    OffersAddForm,
    SlotsGenerateForm,
)
from cms.markets.exceptions import MarketError
from cms.markets.report import builder_dashboard, market_report, market_report_csv
from cms.markets.slots import market_slots
from cms.markets.storefront import market_offers
from cms.models import MarketState
from market.spreadsheets import csv_download
from orders.exceptions import AlreadyPlacedError, CheckoutError, InsufficientStockError


class _MarketsCrumbMixin(WagtailAdminTemplateMixin):
    header_icon = "date"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": reverse("cms_market_list"), "label": _("Markets")}]


class _InvalidFormIs400Mixin:
    """A form sent back with errors answers 400, so tests and tools see it was refused."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class MarketListView(_MarketsCrumbMixin, TemplateView):
    """The markets this builder runs (all of them for staff), newest first."""

    template_name = "cms/admin/market_list.html"

    def get_page_title(self):
        return _("Markets")

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items()[:-1] + [{"url": "", "label": _("Markets")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["markets"] = builder_dashboard(self.request.user, limit=None)
        return context


SUBMIT = "action-submit"


def _submitted_message(request, page, submitted: bool) -> None:
    if submitted:
        messages.success(
            request,
            _("“%(title)s” was sent for approval. The Minga team publishes it once it is approved.")
            % {"title": page.title},
        )
    else:
        messages.success(
            request,
            _("Draft “%(title)s” saved. Check the offers and slots, then send it for approval.")
            % {"title": page.title},
        )


class MarketCreateView(_InvalidFormIs400Mixin, _MarketsCrumbMixin, FormView):
    """A new market in one form: cooperatives, every product of theirs as an offer, slots.

    "Create and send for approval" goes to the moderation workflow at once; "Create the
    draft" opens the page editor to change or drop offers first.
    """

    template_name = "cms/admin/market_new.html"
    form_class = MarketNewForm

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_build_markets(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("New market")

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items() + [{"url": "", "label": _("New market")}]

    def form_valid(self, form):
        data = form.cleaned_data
        submit = SUBMIT in self.request.POST
        try:
            page = services.market_create(
                user=self.request.user,
                title=data["title"],
                municipality=data["municipality"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                market_day=data["market_day"],
                cooperatives=data["cooperatives"],
                discount=(data.get("discount") or 0) if data["all_products"] else None,
                pickup_point=data.get("pickup_point"),
                slot_plan=data.get("slot_plan"),
                submit=submit,
            )
        except MarketError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        _submitted_message(self.request, page, submit and page.workflow_in_progress)
        if submit:
            return redirect("cms_market_list")
        return redirect("wagtailadmin_pages:edit", page.pk)


class _MarketView(_MarketsCrumbMixin):
    """A view on one market the user may run (404 otherwise)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.event = permissions.builder_market(request.user, kwargs["page_id"])

    def get_page_subtitle(self):
        return self.event.title

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items() + [
            {"url": reverse("cms_market_report", args=[self.event.pk]), "label": self.event.title},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        context["state"] = MarketState(self.event.state_at(timezone.now()))
        return context


class MarketReportView(_MarketView, TemplateView):
    """Consolidated totals, packing list, slot and delivery lists.

    `?format=csv` downloads the order lines, `?format=print` a page to print.
    """

    template_name = "cms/admin/market_report.html"

    def get_page_title(self):
        return _("Market report")

    def get_header_more_buttons(self):
        url = reverse("cms_market_report", args=[self.event.pk])
        buttons = [
            Button(_("Download CSV"), url=f"{url}?format=csv", icon_name="download", priority=10),
            Button(_("Printable version"), url=f"{url}?format=print", icon_name="doc-full", priority=20),
            Button(
                _("Copy into a new market"),
                url=reverse("cms_market_copy", args=[self.event.pk]),
                icon_name="copy",
                priority=40,
            ),
            Button(
                _("Edit the market page"),
                url=reverse("wagtailadmin_pages:edit", args=[self.event.pk]),
                icon_name="edit",
                priority=50,
            ),
        ]
        if self.event.is_open():
            buttons.append(
                Button(
                    _("Take an order by phone"),
                    url=reverse("cms_market_assist", args=[self.event.pk]),
                    icon_name="plus",
                    priority=30,
                )
            )
        return sorted(buttons)

    def get(self, request, *args, **kwargs):
        report = market_report(self.event)
        fmt = request.GET.get("format")
        if fmt == "csv":
            response, writer = csv_download(f"mercado-{self.event.slug}.csv")
            writer.writerows(market_report_csv(report))
            return response
        if fmt == "print":
            return TemplateResponse(
                request,
                "cms/admin/market_report_print.html",
                {"event": self.event, "report": report, "printed_at": timezone.now()},
            )
        return self.render_to_response(self.get_context_data(report=report))


@require_POST
def market_hand_over(request, page_id: int, number: str):
    """Mark one order handed over (once) and go back to it in the report."""
    event = permissions.builder_market(request.user, page_id)
    try:
        services.market_order_hand_over(event=event, order_number=number, actor=request.user)
    except MarketError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Order %(number)s handed over.") % {"number": number})
    return redirect(reverse("cms_market_report", args=[event.pk]) + f"#pedido-{number}")


class AssistedOrderView(_InvalidFormIs400Mixin, _MarketView, FormView):
    """An order taken by phone or WhatsApp for a buyer without an account."""

    template_name = "cms/admin/market_assist.html"
    form_class = AssistedOrderForm

    def get_page_title(self):
        return _("Take an order by phone")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            event=self.event,
            offers=market_offers(self.event),
            slots=market_slots(self.event),
        )
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            order = services.market_order_assist(
                event=self.event,
                actor=self.request.user,
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                quantities=data["quantities"],
                delivery_method=data["delivery_method"],
                payment_method=data["payment_method"],
                slot_id=data.get("slot") or None,
                delivery_address=data.get("delivery_address", ""),
                notes=data["notes"],
                checkout_key=data.get("checkout_key") or "",
            )
        except AlreadyPlacedError as error:
            messages.info(
                self.request,
                _("Order %(number)s was already placed; it was not placed twice.")
                % {"number": error.order.number},
            )
            return redirect(
                reverse("cms_market_report", args=[self.event.pk]) + f"#pedido-{error.order.number}"
            )
        except InsufficientStockError as error:
            form.add_error(
                None,
                _("Some products ran out. Nothing was reserved.")
                + " "
                + ", ".join(line.product_name for line in error.short_lines),
            )
        except (MarketError, CheckoutError) as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                self.request,
                _("Order %(number)s placed for %(name)s.")
                % {"number": order.number, "name": order.contact_name},
            )
            return redirect(reverse("cms_market_report", args=[self.event.pk]) + f"#pedido-{order.number}")
        return self.form_invalid(form)


class MarketCopyView(_MarketView, FormView):
    """A new draft with the same cooperatives, offers and slots; the builder owns it."""

    template_name = "cms/admin/market_copy.html"
    form_class = MarketCopyForm

    def get_page_title(self):
        return _("Copy into a new market")

    def get_initial(self):
        """The same weekday and times, the first week when the copy would open in the future."""
        weeks = max(1, (timezone.now() - self.event.opens_at).days // 7 + 1)
        shift = timedelta(weeks=weeks)
        return {
            "opens_at": timezone.localtime(self.event.opens_at + shift),
            "closes_at": timezone.localtime(self.event.closes_at + shift),
            "market_day": self.event.market_day + shift,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            submit = SUBMIT in self.request.POST
            copy = services.market_copy(
                event=self.event,
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                market_day=data["market_day"],
                user=self.request.user,
                submit=submit,
            )
        except MarketError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        if submit:
            _submitted_message(self.request, copy, copy.workflow_in_progress)
            return redirect("cms_market_list")
        messages.success(
            self.request, _("Draft copy created. Check the offers and slots, then submit it for publishing.")
        )
        return redirect("wagtailadmin_pages:edit", copy.pk)


class OffersAddView(_InvalidFormIs400Mixin, _MarketView, FormView):
    """Every available product of the participating cooperatives, as offers, in one step."""

    template_name = "cms/admin/market_offers_add.html"
    form_class = OffersAddForm

    def get_page_title(self):
        return _("Offer every product")

    def form_valid(self, form):
        try:
            added = services.market_offers_add_all(
                event=self.event, user=self.request.user, discount=form.cleaned_data.get("discount") or 0
            )
        except MarketError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        if added:
            messages.success(self.request, _("%(count)s offers added to the draft.") % {"count": added})
        else:
            messages.info(self.request, _("Every available product is already offered."))
        return redirect("wagtailadmin_pages:edit", self.event.pk)


class SlotsGenerateView(_InvalidFormIs400Mixin, _MarketView, FormView):
    """Pickup slots at one place on a market day, every N minutes; overlaps left out."""

    template_name = "cms/admin/market_slots_generate.html"
    form_class = SlotsGenerateForm

    def get_page_title(self):
        return _("Make pickup slots")

    def get_initial(self):
        return {"day": self.event.market_day, "slots_every": 60}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            added, skipped = services.market_slots_add(
                event=self.event,
                user=self.request.user,
                pickup_point=data["pickup_point"],
                plan=data["slot_plan"],
            )
        except MarketError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        text = _("%(count)s pickup slots added to the draft.") % {"count": added}
        if skipped:
            text += " " + _("%(count)s left out: the market already has a slot there then.") % {
                "count": skipped
            }
        messages.success(self.request, text)
        return redirect("wagtailadmin_pages:edit", self.event.pk)
