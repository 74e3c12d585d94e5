"""The cooperative's side of orders: its incoming fulfilments, their actions, a packing list
and a CSV export.

Every view starts with `workspace_membership` (404 to anyone outside the cooperative) and
looks objects up through the member's cooperative, so another cooperative's fulfilment is
a 404 as well. Members read; anything that is not a read is for managers only, and a
member's POST is a 404 too. Views stay thin: the services act, and their errors
(TransitionError, CheckoutError, PaymentError) become messages with nothing changed.

A cooperative sees its own `Fulfilment`, its own lines and its own totals, never the
order's total or another cooperative's lines.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cooperatives.permissions import request_membership, workspace_membership
from market.messages.outbox import messages_for
from market.models import MessageState
from market.spreadsheets import csv_download
from orders import services, supply, transitions
from orders.exceptions import CheckoutError, PaymentError, SupplyError, TransitionError
from orders.forms import DeliveryForm, LineRejectForm, RejectForm
from orders.models import (
    ORDER_ENDED,
    Fulfilment,
    FulfilmentStatus,
    LineStatus,
    OrderLine,
)
from orders.packing import packing_list
from orders.payments import offline
from orders.receipt_pdf import packing_list_pdf
from orders.selectors import (
    buyer_label,
    cooperative_fulfilment,
    cooperative_fulfilments,
    cooperative_order_lines_csv,
    cooperative_waiting,
    fulfilment_log,
)
from orders.statements import month_bounds

PAGE_SIZE = 50
_ACTION_ERRORS = (TransitionError, CheckoutError, PaymentError, SupplyError)


def _status_filter(request) -> str:
    status = request.GET.get("status", "")
    return status if status in FulfilmentStatus.values else ""


def _own_fulfilment(cooperative, pk) -> Fulfilment:
    fulfilment = cooperative_fulfilment(cooperative=cooperative, pk=pk)
    if fulfilment is None:
        raise Http404
    return fulfilment


# --- Pages -------------------------------------------------------------------------------


@login_required
def workspace_home(request, slug):
    """The workspace opens on what waits for the cooperative: new orders to confirm, orders
    to get ready and to hand over, with their counts; and this month's statement."""
    membership = request_membership(request, slug)
    start, end = month_bounds(timezone.localdate())
    return render(
        request,
        "orders/workspace_home.html",
        {
            "membership": membership,
            "cooperative": membership.cooperative,
            "waiting": cooperative_waiting(cooperative=membership.cooperative),
            "month": {"from": start.isoformat(), "to": end.isoformat(), "start": start},
        },
    )


@login_required
def fulfilment_list(request, slug):
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    status = _status_filter(request)
    page = Paginator(cooperative_fulfilments(cooperative=cooperative, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for fulfilment in page:
        fulfilment.buyer_label = buyer_label(fulfilment.order)
    return render(
        request,
        "orders/workspace_fulfilment_list.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "page": page,
            "status": status,
            "statuses": FulfilmentStatus.choices,
            "query": f"status={status}" if status else "",
        },
    )


@login_required
def fulfilment_detail(request, slug, pk):
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    fulfilment = _own_fulfilment(cooperative, pk)
    order = fulfilment.order
    next_statuses = transitions.FULFILMENT_TRANSITIONS.get(fulfilment.status, set())
    order_live = order.status not in ORDER_ENDED
    return render(
        request,
        "orders/workspace_fulfilment_detail.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "fulfilment": fulfilment,
            "order": order,
            "events": fulfilment_log(fulfilment),
            "can_confirm": order_live and FulfilmentStatus.CONFIRMED in next_statuses,
            "can_reject": order_live and FulfilmentStatus.REJECTED in next_statuses,
            "can_mark_ready": order_live and FulfilmentStatus.READY in next_statuses,
            "can_hand_over": order_live and FulfilmentStatus.HANDED_OVER in next_statuses,
            "can_record_delivery": order_live
            and fulfilment.status in (FulfilmentStatus.CONFIRMED, FulfilmentStatus.READY),
            "can_reject_lines": order_live and fulfilment.status in transitions.LINE_REJECTABLE,
            "can_mark_paid": offline.fulfilment_may_mark_paid(fulfilment),
            "supply_lines": supply.fulfilment_supply_rows(fulfilment),
            "fulfilment_messages": messages_for(f"fulfilment:{fulfilment.pk}")
            .exclude(state__in=[MessageState.STANDBY, MessageState.SKIPPED])
            .select_related("user"),
        },
    )


@login_required
def fulfilment_packing_list(request, slug, pk, as_pdf=False):
    """What to pack for one order, to print (the page has print styles) or as a PDF."""
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    packing = packing_list(_own_fulfilment(cooperative, pk), cooperative=cooperative)
    if as_pdf:
        response = HttpResponse(packing_list_pdf(packing), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{packing.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
    return render(
        request,
        "orders/workspace_packing_list.html",
        {"membership": membership, "cooperative": cooperative, "packing": packing},
    )


# --- Actions (POST, managers only) -------------------------------------------------------


def _act(request, slug, pk, action: Callable[[Fulfilment], str]):
    """Run `action` on this cooperative's fulfilment `pk` for a manager, then go back to it.

    `action` returns the success message; a domain error becomes an error message, and the
    service raising it has written nothing.
    """
    membership = workspace_membership(request.user, slug, manage=True)
    fulfilment = get_object_or_404(cooperative_fulfilments(cooperative=membership.cooperative), pk=pk)
    try:
        message = action(fulfilment)
    except _ACTION_ERRORS as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    if request.POST.get("next") == "home":  # a button on the workspace's first screen
        return redirect("orders:workspace_home", slug)
    return redirect("orders:fulfilment_detail", slug, pk)


_MOVE_MESSAGES = {
    FulfilmentStatus.CONFIRMED: gettext_lazy(
        "Order confirmed. The buyer is told once every cooperative has."
    ),
    FulfilmentStatus.READY: gettext_lazy("Marked as ready."),
    FulfilmentStatus.HANDED_OVER: gettext_lazy("Marked as handed over."),
}


@login_required
@require_POST
def fulfilment_move(request, slug, pk, to: str):
    """Confirm, mark ready or mark handed over; `to` comes from the URL pattern, not the POST."""

    def move(fulfilment):
        transitions.fulfilment_transition(fulfilment=fulfilment, to=to, actor=request.user)
        return str(_MOVE_MESSAGES[to])

    return _act(request, slug, pk, move)


@login_required
@require_POST
def fulfilment_reject(request, slug, pk):
    form = RejectForm(request.POST)

    def reject(fulfilment):
        if not form.is_valid():
            raise TransitionError(_("Tell the buyer why you reject the order."))
        transitions.fulfilment_transition(
            fulfilment=fulfilment,
            to=FulfilmentStatus.REJECTED,
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
        return _("Order rejected. Its stock is back in your products.")

    return _act(request, slug, pk, reject)


@login_required
@require_POST
def fulfilment_record_delivery(request, slug, pk):
    """The weight actually delivered for one line (variable weight); the bill follows."""
    form = DeliveryForm(request.POST)

    def record(fulfilment):
        if not form.is_valid():
            raise CheckoutError(_("Enter the delivered quantity."))
        line = get_object_or_404(
            OrderLine.objects.exclude(status=LineStatus.REJECTED),
            pk=form.cleaned_data["line"],
            fulfilment=fulfilment,
        )
        services.line_record_delivery(
            line=line, delivered_quantity=form.cleaned_data["delivered_quantity"], actor=request.user
        )
        return _("Delivered quantity of %(name)s saved. The buyer is told the new total.") % {
            "name": line.product_name
        }

    return _act(request, slug, pk, record)


@login_required
@require_POST
def fulfilment_line_reject(request, slug, pk, line_pk):
    """Reject one line the cooperative cannot supply; a line of another fulfilment is a 404."""
    form = LineRejectForm(request.POST)

    def reject_line(fulfilment):
        line = get_object_or_404(OrderLine, pk=line_pk, fulfilment=fulfilment)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        services.line_reject(line=line, actor=request.user, reason=reason)
        return _("%(name)s rejected. Its stock is back in your products and the buyer is told.") % {
            "name": line.product_name
        }

    return _act(request, slug, pk, reject_line)


@login_required
@require_POST
def fulfilment_line_supply(request, slug, pk, line_pk):
    """Which families supplied one line, and how much each (`orders.supply`). A line of
    another fulfilment, or a family of another cooperative, changes nothing."""

    def record(fulfilment):
        line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_pk, fulfilment=fulfilment)
        line.fulfilment = fulfilment
        if request.POST.get("split") == "even":
            families = list(line.product.producers.filter(is_active=True).values_list("pk", flat=True))
            supply.line_supply_split_evenly(line=line, producer_ids=families, actor=request.user)
        else:
            shares = {
                key.removeprefix("family-"): value
                for key, value in request.POST.items()
                if key.startswith("family-")
            }
            supply.line_supply_record(line=line, shares=shares, actor=request.user)
        return _("Saved which families supplied %(name)s.") % {"name": line.product_name}

    return _act(request, slug, pk, record)


@login_required
@require_POST
def fulfilment_mark_paid(request, slug, pk):
    """A manager records that the cash, transfer or invoice payment of her cooperative's
    part arrived; the other cooperatives' parts are theirs to record."""

    def mark_paid(fulfilment):
        offline.fulfilment_mark_paid(fulfilment=fulfilment, actor=request.user)
        return _("Payment recorded.")

    return _act(request, slug, pk, mark_paid)


# --- CSV export --------------------------------------------------------------------------


@login_required
def fulfilment_csv(request, slug):
    """This cooperative's order lines as CSV, for a spreadsheet (UTF-8 with a byte-order
    mark, so Excel reads the accents right; see `cooperative_order_lines_csv`)."""
    membership = request_membership(request, slug)
    cooperative = membership.cooperative
    header, rows = cooperative_order_lines_csv(cooperative=cooperative, status=_status_filter(request))
    stamp = timezone.localtime(timezone=timezone.get_default_timezone()).strftime("%Y%m%d-%H%M")
    response, writer = csv_download(f"pedidos-{cooperative.slug}-{stamp}.csv")
    writer.writerow(header)
    writer.writerows(rows)
    return response
