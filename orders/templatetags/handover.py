"""How an order is handed over, on any page or e-mail (`orders.handover`).

`{% load handover %}{% handover order %}` shows the pickup place and time window, or the
delivery address and day, with a map link and, for the buyer (`calendar=True`), the link
to put her pickup in her calendar. `{% handover_text order %}` is its plain-text twin for
e-mails. `cooperative=` narrows a catalogue pickup to that cooperative's own place;
`absolute=True` (e-mails; the text twin's default) links the calendar with the site's address.

A list page attaches the handovers of all its orders first (`attach_handovers`, one batch);
otherwise each tag reads its order's handover (one or two queries).
"""

from django import template

from market.site import site_url
from orders.handover import handover_of
from orders.models import ORDER_ENDED

register = template.Library()


def _context(order, *, cooperative=None, calendar=False, compact=False, absolute=False) -> dict:
    handover = handover_of(order)
    if cooperative is not None:
        handover = handover.for_cooperative(cooperative.pk)
    return {
        "handover": handover,
        # A calendar entry for an order that will not be picked up would mislead her.
        "calendar": calendar and order.status not in ORDER_ENDED,
        "compact": compact,
        # E-mails link to the site from outside it.
        "site_url": site_url() if absolute else "",
    }


@register.inclusion_tag("orders/includes/handover.html")
def handover(order, cooperative=None, calendar=False, compact=False, absolute=False):
    return _context(order, cooperative=cooperative, calendar=calendar, compact=compact, absolute=absolute)


@register.inclusion_tag("orders/includes/handover.txt")
def handover_text(order, cooperative=None, calendar=False, absolute=True):
    return _context(order, cooperative=cooperative, calendar=calendar, absolute=absolute)
