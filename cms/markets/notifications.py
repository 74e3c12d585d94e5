"""What people are told about a market, through the outbox (`market.messages`).

Each function is called inside the transaction that claims its event (`cms.markets.closing`:
the market's `MarketClosing` row, an order's `reminder_sent_at`, a watcher's `told_at`, a
`MarketConfirmAsk` row) and writes its messages there: they commit with the claim or not at
all, and the jobs worker sends them, at most once per event, recipient and channel.

Event keys, who, and when:

* `market_list:<market>:<cooperative>`: the cooperative's managers, when the market closed
  (what to bring, the packing list).
* `pickup_reminder:<market order>`: the buyer (the person of a phone order, by SMS), when
  the market closed, or the day before its day when it closes earlier.
* `market_open:<market>`: whoever asked "Avísenme cuando abra", when the market opened.
* `market_confirm:<market>:<cooperative>`: the managers of a cooperative with quantities
  to confirm, when the market opens within MINGA_CONFIRM_ASK_HOURS.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cms.markets.cooperative import cooperative_consolidated, cooperative_packing
from cms.models import MarketEventPage, MarketOrder, MarketWatch
from cooperatives.notifications import manager_recipients
from market.messages.outbox import Notice, notify
from market.messages.recipients import Recipient
from market.site import absolute
from market.templatetags.money import long_date
from orders.models import DeliveryMethod, LineStatus
from orders.notifications import buyer_recipients, handover_line

MARKET_LIST = Notice.named(
    "cms",
    "market_list",
    _("%(market)s closed: what %(cooperative)s brings"),
    "minga_lista_mercado",
    email="market_closed_cooperative",
)
PICKUP_REMINDER = Notice.named(
    "cms",
    "pickup_reminder",
    _("Your order %(number)s from %(market)s: your pickup time"),
    "minga_recordatorio_recogida",
)
DELIVERY_REMINDER = Notice.named(
    "cms",
    "delivery_reminder",
    _("Your order %(number)s from %(market)s: delivery on market day"),
    "minga_recordatorio_recogida",
    email="pickup_reminder",
    sms="pickup_reminder",
)
MARKET_OPEN = Notice.named("cms", "market_open", _("The market %(market)s is open"), "minga_mercado_abre")
MARKET_CONFIRM = Notice.named(
    "cms",
    "market_confirm",
    _("%(cooperative)s: confirm your quantities for %(market)s"),
    "minga_confirme_cantidades",
)


def page_in(event: MarketEventPage, language: str) -> MarketEventPage:
    """The market's page as published in `language`, else the original."""
    if language == event.locale.language_code:
        return event
    translated = (
        MarketEventPage.objects.live()
        .filter(translation_key=event.translation_key, locale__language_code=language)
        .first()
    )
    return translated or event


def _page_url(event: MarketEventPage, language: str) -> str:
    """The market's page for someone reading `language` (an untranslated one under /en/ too)."""
    from market.i18n import url_in_language

    page = page_in(event, language)
    path = page.get_url_parts()[2] if page.get_url_parts() else page.url
    return absolute(url_in_language(path, language))


def _workspace_url(event: MarketEventPage, cooperative, name: str = "cms:workspace_market") -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return absolute(reverse(name, args=[cooperative.slug, event.pk]))


def market_list(*, event: MarketEventPage, cooperative) -> None:
    """The cooperative's managers: what it brings and its packing list per buyer and slot."""
    with translation.override(settings.LANGUAGE_CODE):
        fulfilments = cooperative_packing(event=event, cooperative=cooperative)
        consolidated = cooperative_consolidated(event=event, cooperative=cooperative)
    notify(
        MARKET_LIST,
        event=f"market_list:{event.pk}:{cooperative.pk}",
        about=f"market:{event.pk}",
        to=manager_recipients(cooperative.pk),
        context={
            "event": event,
            "market_title": event.title,
            "cooperative": cooperative,
            "consolidated": consolidated,
            "fulfilments": fulfilments,
            "orders": len(fulfilments),
            "url": _workspace_url(event, cooperative, "cms:workspace_market_packing"),
        },
        subject_fields={"market": event.title, "cooperative": cooperative.name},
    )


def pickup_reminder(link: MarketOrder) -> None:
    """The buyer of one market order: where and when she collects it (or its delivery), in
    the language she ordered in. A phone order's person gets it on her number (SMS)."""
    order = link.order
    language = order.language or settings.LANGUAGE_CODE
    with translation.override(language):
        market_title = page_in(link.event, language).title
        line = handover_line(order)
    lines = (
        order.lines.exclude(status=LineStatus.REJECTED)
        .select_related("fulfilment__cooperative")
        .order_by("fulfilment__cooperative__name", "product_name")
    )
    delivery = order.delivery_method == DeliveryMethod.DELIVERY
    notify(
        DELIVERY_REMINDER if delivery else PICKUP_REMINDER,
        event=f"pickup_reminder:{link.pk}",
        about=f"order:{order.pk}",
        to=buyer_recipients(order),
        context={
            "link": link,
            "event": link.event,
            "market_title": market_title,
            "order": order,
            "name": order.contact_name or order.buyer.display_name,
            "lines": list(lines),
            "handover_line": line,
            "url": absolute(reverse("orders:detail", args=[order.number])),
        },
        subject_fields={"number": order.number, "market": market_title},
    )


def watch_recipient(watch: MarketWatch) -> Recipient:
    if watch.user_id:
        return Recipient.of(watch.user, language=watch.language)
    return Recipient(phone=watch.phone, whatsapp=watch.whatsapp, language=watch.language)


def market_open(*, event: MarketEventPage, watch: MarketWatch) -> None:
    """Someone who asked to be told: the market is open, until when, and its page."""
    recipient = watch_recipient(watch)
    with translation.override(recipient.lang):
        page = page_in(event, recipient.lang)
        closes_line = long_date(event.closes_at, "time")
    notify(
        MARKET_OPEN,
        event=f"market_open:{event.pk}",
        about=f"market:{event.pk}",
        to=[recipient],
        context={
            "event": event,
            "market_title": page.title,
            "closes_line": closes_line,
            "url": _page_url(event, recipient.lang),
        },
        subject_fields={"market": page.title},
    )


def market_confirm(*, event: MarketEventPage, cooperative, products: list[str]) -> None:
    """A cooperative's managers: the market opens soon; confirm how much you will bring."""
    with translation.override(settings.LANGUAGE_CODE):
        opens_line = long_date(event.opens_at, "time")
    notify(
        MARKET_CONFIRM,
        event=f"market_confirm:{event.pk}:{cooperative.pk}",
        about=f"market:{event.pk}",
        to=manager_recipients(cooperative.pk),
        context={
            "event": event,
            "market_title": event.title,
            "cooperative": cooperative,
            "opens_line": opens_line,
            "products": products,
            "url": _workspace_url(event, cooperative),
        },
        subject_fields={"market": event.title, "cooperative": cooperative.name},
    )
