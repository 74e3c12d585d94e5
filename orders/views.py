"""Buyer pages: cart, checkout, order history and detail. Views stay thin: a form
validates, a service acts, the view redirects or renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from market import selectors as market_selectors
from market.calendar import ics_event
from market.messages.outbox import messages_for
from market.models import BuyerOrganization, MessageState
from orders import channels, selectors, services
from orders.checkout import cart_line_change, checkout_rules, checkout_submit, repeat_submit
from orders.exceptions import CartError, TransitionError
from orders.forms import CheckoutForm
from orders.handover import attach_handovers, handover_of
from orders.models import ORDER_ENDED, Order


def _back(request, fallback: str):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return redirect(target)


def cart_view(request):
    cart = services.cart_get(user=request.user, session=request.session)
    others = selectors.other_baskets(user=request.user, session=request.session)
    return render(
        request, "orders/cart.html", {"summary": selectors.cart_summary(cart), "other_baskets": others}
    )


@require_POST
def cart_add(request):
    return _cart_change(request, add=True)


@require_POST
def cart_update(request):
    return _cart_change(request, add=False)


def _cart_change(request, *, add: bool):
    cart_line_change(request, add=add, in_cart=_("%(name)s: %(quantity)s %(unit)s in your cart."))
    return _back(request, reverse("orders:cart"))


@require_POST
def cart_remove(request):
    cart = services.cart_get(user=request.user, session=request.session)
    if cart is not None:
        services.cart_remove(cart=cart, product_id=request.POST.get("product", "0"))
    return redirect("orders:cart")


@login_required
def checkout(request):
    cart = services.cart_get(user=request.user, session=request.session)
    # A POST that places the order never shows the basket: it is read only to render again.
    posted = request.method == "POST"
    summary = None if posted else selectors.cart_summary(cart)
    if not (cart is not None and cart.lines.exists() if posted else summary["count"]):
        if (response := repeat_submit(request, cart)) is not None:
            return response
        messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart")
    organizations = list(BuyerOrganization.objects.for_user(request.user).approved())
    # The rules are read with the basket, for the page; a POST is checked by the service itself.
    channel = channels.channel_for(cart.channel_key)
    rules = None if posted else checkout_rules(channel=channel, summary=summary)
    form = CheckoutForm(
        request.POST or None,
        organizations=organizations,
        card_enabled=services.card_payments_enabled(),
        ask_phone=not request.user.phone,
        delivery_offered=rules["delivery_offered"] if rules else True,
    )
    short_lines = []
    if request.method == "POST" and form.is_valid():
        response, short_lines = checkout_submit(request, cart=cart, form=form)
        if response is not None:
            return response
    summary = summary or selectors.cart_summary(cart)
    rules = rules or checkout_rules(channel=channel, summary=summary)
    return render(
        request,
        "orders/checkout.html",
        {"form": form, "summary": summary, "short_lines": short_lines, **rules},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def order_list(request):
    # The buyer's organisations are linked from here (not from the header, which would cost
    # every page a query): one query on this page.
    context = {
        "orders": attach_handovers(selectors.orders_for_buyer(user=request.user)),
        "memberships": market_selectors.user_organizations(user=request.user),
    }
    return render(request, "orders/order_list.html", context)


def _buyer_order(request, number) -> Order:
    order = selectors.order_for_buyer(user=request.user, number=number)
    if order is None:
        raise Http404
    return order


@login_required
def order_detail(request, number):
    order = _buyer_order(request, number)
    told = messages_for(f"order:{order.pk}").exclude(state__in=[MessageState.STANDBY, MessageState.SKIPPED])
    return render(request, "orders/order_detail.html", {"order": order, "order_messages": told})


@login_required
def order_calendar(request, number):
    """Her pickup window as an .ics file for her phone's calendar. Only her own order:
    anyone else's number is a 404, as is an order with no window to put in a calendar or
    one that will not be picked up (cancelled, expired)."""
    order = _buyer_order(request, number)
    handover = handover_of(order)
    if order.status in ORDER_ENDED or not (handover.is_pickup and handover.starts_at and handover.ends_at):
        raise Http404
    url = request.build_absolute_uri(reverse("orders:detail", args=[order.number]))
    summary = _("Pick up order %(number)s") % {"number": order.number}
    description = "\n".join(p for p in (handover.title, handover.instructions, url) if p)
    body = ics_event(
        uid=f"order-{order.number}@minga",
        starts_at=handover.starts_at,
        ends_at=handover.ends_at,
        summary=f"{summary} · {handover.place}" if handover.place else summary,
        location=handover.location,
        description=description,
        url=url,
        stamped_at=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="recogida-{order.number}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def order_cancel(request, number):
    """Cancelling asks first: the button on her order opens this page (GET), which says
    what cancelling does; only its own form (POST) cancels. A second POST finds the order
    already cancelled and changes nothing."""
    order = _buyer_order(request, number)
    if request.method == "POST":
        try:
            services.order_cancel_by_buyer(order=order, buyer=request.user)
        except TransitionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your order was cancelled."))
        return redirect("orders:detail", number)
    if not order.is_cancellable_by_buyer():
        messages.error(request, _("This order can no longer be cancelled. Write to the cooperative."))
        return redirect("orders:detail", number)
    return render(request, "orders/order_cancel.html", {"order": order})


@login_required
@require_POST
def order_again(request, number):
    """ "Order again": the order's products back in the basket of the channel it came from, at
    that channel's prices: a market's order refills that market's basket while it is open;
    a closed (or not yet open) market adds nothing and says so."""
    order = _buyer_order(request, number)
    try:
        channel = channels.channel_for(order.channel_key)
        channel.check_open()
    except CartError as error:
        nothing_added = _("Nothing was added to your basket.")
        messages.error(request, f"{error.message} {nothing_added}")
        return redirect("orders:detail", number)
    cart = services.cart_get(
        user=request.user, session=request.session, create=True, channel_key=order.channel_key
    )
    for problem in services.cart_refill_from_order(cart=cart, order=order):
        messages.warning(request, problem)
    return redirect(channel.basket_url())
