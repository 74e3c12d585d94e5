"""The cooperative's side of the peasant markets, in its workspace.

A manager or member sees the markets the cooperative takes part in and, in each, only
the cooperative's own offers: market price, quantity planned by the Market Builder, the
quantity it confirmed, and what is sold. Before the market opens a manager confirms or
lowers each quantity (`cms.markets.services.offer_confirm`, which also refuses another
cooperative's product); from the opening on the page is read-only. Once the market
closed, the page shows what to bring and links a printable packing list per buyer.

Every view starts with `request_membership` (404 to anyone outside the cooperative),
and finds the market through the cooperative, so a market it does not take part in is a
404 too. Members read; a POST is for managers only and a member's POST is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.markets import services
from cms.markets.cooperative import (
    cooperative_consolidated,
    cooperative_market,
    cooperative_markets_by_state,
    cooperative_offers,
    cooperative_packing,
)
from cms.markets.exceptions import MarketError
from cms.models import MarketState
from cooperatives.permissions import request_membership
from market.units import QuantityError, format_quantity, parse_quantity, unit_name


class OfferConfirmForm(forms.Form):
    """One offer's confirmed quantity. Only the product id and the quantity are read."""

    product = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.CharField(
        label=gettext_lazy("Confirmed quantity"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"}),
    )

    def clean_quantity(self):
        try:
            return parse_quantity(self.cleaned_data["quantity"], allow_zero=True)
        except QuantityError as error:
            raise forms.ValidationError(error.message) from None


def _own_market(cooperative, page_id):
    event = cooperative_market(cooperative, page_id)
    if event is None:
        raise Http404
    return event


@login_required
def market_list(request, slug):
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    return render(
        request,
        "cms/workspace_markets.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "markets": cooperative_markets_by_state(cooperative, timezone.now()),
        },
    )


@login_required
def market_detail(request, slug, page_id):
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    event = _own_market(cooperative, page_id)
    state = event.state_at(timezone.now())
    offers = cooperative_offers(event=event, cooperative=cooperative)
    error, failed_product, status = "", None, 200
    if request.method == "POST":
        form = OfferConfirmForm(request.POST)
        if form.is_valid():
            try:
                stock = services.offer_confirm(
                    event=event,
                    cooperative=cooperative,
                    product_id=form.cleaned_data["product"],
                    quantity=form.cleaned_data["quantity"],
                    actor=request.user,
                )
            except MarketError as problem:
                error = problem.message
            else:
                messages.success(
                    request,
                    _("%(name)s: you will bring %(quantity)s %(unit)s.")
                    % {
                        "name": stock.product.name,
                        "quantity": format_quantity(stock.confirmed),
                        "unit": unit_name(stock.product.unit, stock.confirmed),
                    },
                )
                return redirect("cms:workspace_market", slug, event.pk)
        else:
            error = " ".join(e for errors in form.errors.values() for e in errors)
        failed_product = form.data.get("product")
        status = 400
        for row in offers:
            if str(row.product.pk) == failed_product:
                row.error = error
                row.form_value = form.data.get("quantity", "")
    closed = state == MarketState.CLOSED
    return render(
        request,
        "cms/workspace_market.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "event": event,
            "state": state,
            "offers": offers,
            "can_confirm": membership.is_manager() and state == MarketState.UPCOMING,
            "error": error,
            "consolidated": cooperative_consolidated(event=event, cooperative=cooperative)
            if closed
            else None,
        },
        status=status,
    )


@login_required
def market_packing(request, slug, page_id):
    """A printable packing list: one block per buyer, with only this cooperative's lines."""
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    event = _own_market(cooperative, page_id)
    return render(
        request,
        "cms/workspace_market_packing.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "event": event,
            "state": event.state_at(timezone.now()),
            "consolidated": cooperative_consolidated(event=event, cooperative=cooperative),
            "fulfilments": cooperative_packing(event=event, cooperative=cooperative),
        },
    )
