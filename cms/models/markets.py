"""The virtual peasant markets: the market pages and their clock, offers, pickup points
and slots, and the live counters and links no page revision touches.

A market's trading window is `opens_at <= now < closes_at` (`MarketEventPage.is_open`,
`state_at`), checked on the server at every cart change, at checkout and when a card
payment is confirmed (`cms.markets.channel`). Wagtail's `go_live_at`/`expire_at` only
decide whether the page is visible.

Offers and pickup slots are edited as inline panels, so they live in page revisions.
What is sold and how many people booked a slot must never be overwritten by publishing
an old revision, so those counters live in `MarketStock` and `SlotUsage`, which no
revision touches.

A market sells in one place whatever the language its buyers read: its translation shows
its own title and texts but takes the clock, place, delivery terms, offers, pickup slots,
stock and orders of its original, the market's page in the default language
(`MarketEventPage.trading_event`). Saving keeps those fields equal to the original's, and
a translation carries no offers or slots of its own.

What the markets do with these models (channel, storefront, report, builder and
cooperative views, closing job) is in the `cms.markets` package.
"""

from contextlib import contextmanager
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.lookups import StartsWith
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import model_from_serializable_data
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager, PageViewRestriction

from catalog.models import Product
from cms.markets.page_form import MarketEventPageForm
from cms.markets.product_chooser import MarketProductChooser
from cms.models.pages import BodyBlock, LocalizedQuerySet, default_language
from cooperatives.models import Cooperative, VerificationStatus
from market import page_cache
from market.models import Municipality
from market.phones import validate_e164
from orders.models import Order


class MarketIndexPage(Page):
    intro = models.CharField(_("intro"), max_length=255, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.MarketEventPage"]
    max_count_per_parent = 1  # one per home page, that is one per content language

    class Meta:
        verbose_name = _("market index")
        verbose_name_plural = _("market indexes")

    def get_context(self, request, *args, **kwargs):
        """Open, upcoming and past markets, computed from the clock at request time.

        In a translated index, a market not translated yet is listed in Spanish.
        """
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        markets = (
            MarketEventPage.objects.live()
            .public()
            .for_locale(self.locale_id)
            .select_related("municipality__department")
        )
        context["open_markets"] = list(markets.open_at(now).order_by("closes_at"))
        context["upcoming_markets"] = list(markets.upcoming_at(now).order_by("opens_at"))
        context["past_markets"] = list(markets.closed_at(now).order_by("-closes_at")[:20])
        return context

    def route(self, request, path_components):
        """A market in one query, with the place and hero image its page shows, and
        whether a view restriction may apply to it (`restrictions_known`), kept in the page
        cache until the next publish, move, page or view restriction saved
        (`market.page_cache.remembered`).

        Wagtail's default takes two (the page, then its specific row), the storefront
        two more, and its view restrictions two more; every child here is a market
        (`subpage_types`). Liveness and the market's own routes (cesta/, pedido/…) are
        checked by the market's `route`.
        """
        if not path_components:
            return super().route(request, path_components)
        event = page_cache.remembered(
            f"route:{self.pk}:{path_components[0]}",
            lambda: (
                MarketEventPage.objects.child_of(self)
                .restrictions_known()
                .select_related("municipality", "hero_image", "locale")
                .filter(slug=path_components[0])
                .first()
            ),
        )
        if event is None:
            raise Http404
        event._cached_parent_obj = self
        return event.route(request, path_components[1:])


def restriction_may_apply(path: str = "path") -> models.Expression:
    """Whether a view restriction may apply to the page whose path is the outer query's
    field `path`, as an SQL test: one sits on the page or an ancestor (a page whose path
    begins it), or one of them is an alias, whose source's restrictions apply
    (`Page.get_view_restrictions`). Both tables are small; usually neither has a row."""
    here = models.OuterRef(path)
    restricted = PageViewRestriction.objects.filter(StartsWith(here, models.F("page__path")))
    aliased = Page.objects.filter(alias_of__isnull=False).filter(StartsWith(here, models.F("path")))
    return models.ExpressionWrapper(
        models.Exists(restricted) | models.Exists(aliased), output_field=models.BooleanField()
    )


class MarketEventQuerySet(LocalizedQuerySet):
    def restrictions_known(self):
        """Each market knows, from this same query, whether a view restriction may apply to
        it: serving one that has none asks nothing more (`MarketEventPage.get_view_restrictions`)."""
        return self.annotate(restriction_may_apply=restriction_may_apply())

    def open_at(self, when):
        return self.filter(opens_at__lte=when, closes_at__gt=when)

    def upcoming_at(self, when):
        return self.filter(opens_at__gt=when)

    def closed_at(self, when):
        return self.filter(closes_at__lte=when)

    def next_clock_change(self, when):
        """The first moment after `when` at which one of these markets opens or closes: one query."""
        found = self.aggregate(
            opens=models.Min("opens_at", filter=models.Q(opens_at__gt=when)),
            closes=models.Min("closes_at", filter=models.Q(closes_at__gt=when)),
        )
        moments = [moment for moment in found.values() if moment is not None]
        return min(moments) if moments else None


MarketEventPageManager = PageManager.from_queryset(MarketEventQuerySet)


@contextmanager
def _references_indexed_once(page):
    """Index the references of `page` once, after it and all its inline children are saved.

    Wagtail re-indexes a page's references on the `post_save` of the page and of each of
    its inline children, and each of those passes reads the whole page again with all its
    children: publishing a market of n offers cost n times n (300 offers: 137,000
    extractions, 14 of its 16 seconds). Inside this block the per-row updates are off and
    one update follows. A caller that already switched them off (a test, a bulk load)
    keeps them off.
    """
    from wagtail.signal_handlers import reference_index_auto_update_disabled  # needs the app registry
    from wagtail.tasks import update_reference_index_task

    if getattr(reference_index_auto_update_disabled, "value", False):
        yield
        return
    reference_index_auto_update_disabled.value = True
    try:
        yield
    finally:
        del reference_index_auto_update_disabled.value
    update_reference_index_task.enqueue(page._meta.app_label, page._meta.model_name, str(page.pk))


class MarketState(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class MarketEventPage(RoutablePageMixin, Page):
    """One virtual peasant market: a storefront open from `opens_at` to `closes_at`."""

    intro = StreamField(BodyBlock(), blank=True, verbose_name=_("intro"))
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisers = models.CharField(_("organisers"), max_length=255, blank=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    market_day = models.DateField(_("market day"))
    market_day_end = models.DateField(
        _("last market day"), null=True, blank=True, help_text=_("When the market lasts several days.")
    )
    delivery_offered = models.BooleanField(_("delivery offered"), default=False)
    delivery_area = models.CharField(_("delivery area"), max_length=255, blank=True)
    delivery_fee_cop = models.PositiveIntegerField(_("delivery fee (COP)"), default=0)
    delivery_min_order_cop = models.PositiveIntegerField(_("minimum order for delivery (COP)"), default=0)
    cooperatives = ParentalManyToManyField(
        Cooperative, blank=True, related_name="+", verbose_name=_("participating cooperatives")
    )

    objects = MarketEventPageManager()

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("hero_image", heading=_("Main image")),
        FieldPanel("organisers"),
        FieldPanel("municipality"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldRowPanel([FieldPanel("market_day"), FieldPanel("market_day_end")]),
            ],
            heading=_("When"),
        ),
        FieldPanel("cooperatives", widget=forms.CheckboxSelectMultiple),
        InlinePanel("offers", label=_("Offers"), heading=_("Offers")),
        InlinePanel("slots", label=_("Pickup slots"), heading=_("Pickup points and slots")),
        MultiFieldPanel(
            [
                FieldPanel("delivery_offered"),
                FieldPanel("delivery_area"),
                FieldRowPanel([FieldPanel("delivery_fee_cop"), FieldPanel("delivery_min_order_cop")]),
            ],
            heading=_("Delivery"),
        ),
    ]

    parent_page_types = ["cms.MarketIndexPage"]
    subpage_types = []
    base_form_class = MarketEventPageForm

    class Meta:
        verbose_name = _("peasant market")
        verbose_name_plural = _("peasant markets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="market_closes_after_opening"
            ),
        ]

    # What a translation takes from its original (see the module docstring).
    TRADING_FIELDS = (
        "opens_at",
        "closes_at",
        "market_day",
        "market_day_end",
        "municipality_id",
        "delivery_offered",
        "delivery_fee_cop",
        "delivery_min_order_cop",
    )

    def _find_original(self):
        """The market's page in the default language, when this page is a translation of it."""
        if self.translation_key is None:
            return None
        locale = self.locale if self.locale_id else None
        if locale is not None and locale.language_code == default_language():
            return None
        return (
            MarketEventPage.objects.filter(
                translation_key=self.translation_key, locale__language_code=default_language()
            )
            .exclude(pk=self.pk)
            .first()
        )

    @cached_property
    def trading_event(self) -> "MarketEventPage":
        """The page whose clock, offers, slots, stock and orders this market uses: the
        original for a translation, else the page itself."""
        return self._find_original() or self

    @property
    def is_translation(self) -> bool:
        return self.trading_event.pk != self.pk

    # Inline children whose references a revision's content is checked for in bulk.
    CHILD_RELATIONS = ("offers", "slots")

    @classmethod
    def from_serializable_data(cls, data, check_fks=True, strict_fks=False):
        """The page of a revision's content (`Revision.as_object`, on every publish).

        django-modelcluster checks that each child's foreign keys still exist with one
        query per key and per child: two per offer. Here each referenced table is asked
        once for all the children; when every reference exists (always, unless a product
        or pickup point was deleted since) the children are built without the per-row
        checks. Otherwise the library's own checks run, with their usual outcome.
        """
        if not check_fks or not cls._child_references_exist(data):
            return super().from_serializable_data(data, check_fks=check_fks, strict_fks=strict_fks)
        own = {key: value for key, value in data.items() if key not in cls.CHILD_RELATIONS}
        page = super().from_serializable_data(own, check_fks=True, strict_fks=strict_fks)
        if page is None:
            return None
        for name in cls.CHILD_RELATIONS:
            if name in data:
                model = cls._meta.get_field(name).related_model
                setattr(
                    page,
                    name,
                    [model_from_serializable_data(model, row, check_fks=False) for row in data[name]],
                )
        return page

    @classmethod
    def _child_references_exist(cls, data) -> bool:
        for name in cls.CHILD_RELATIONS:
            model = cls._meta.get_field(name).related_model
            for field in model._meta.concrete_fields:
                if not field.many_to_one or isinstance(field, ParentalKey):
                    continue
                wanted = {row.get(field.name) for row in data.get(name, ())} - {None}
                target = field.remote_field.model
                key = field.remote_field.field_name
                found = 0
                ordered = sorted(wanted)
                for start in range(0, len(ordered), 500):
                    chunk = ordered[start : start + 500]
                    found += target._default_manager.filter(**{f"{key}__in": chunk}).count()
                if found != len(wanted):
                    return False
        return True

    def save(self, *args, **kwargs):
        original = self._find_original()
        if original is not None:
            for name in self.TRADING_FIELDS:
                setattr(self, name, getattr(original, name))
        with _references_indexed_once(self):
            result = super().save(*args, **kwargs)
        if original is None and kwargs.get("update_fields") is None and self.translation_key:
            MarketEventPage.objects.filter(translation_key=self.translation_key).exclude(pk=self.pk).update(
                **{name: getattr(self, name) for name in self.TRADING_FIELDS}
            )
        return result

    def get_view_restrictions(self):
        """None, without a query, when the page was read knowing that none applies
        (`MarketEventQuerySet.restrictions_known`); otherwise Wagtail's own reading (the
        page's and its ancestors' restrictions, through their aliases' sources)."""
        if getattr(self, "restriction_may_apply", None) is False:
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def state_at(self, when) -> str:
        if when < self.opens_at:
            return MarketState.UPCOMING
        if when < self.closes_at:
            return MarketState.OPEN
        return MarketState.CLOSED

    def is_open(self, at=None) -> bool:
        return self.state_at(at or timezone.now()) == MarketState.OPEN

    def clean(self):
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The market must close after it opens.")})

    def get_context(self, request, *args, **kwargs):
        from cms.markets import storefront

        context = super().get_context(request, *args, **kwargs)
        context.update(storefront.storefront(event=self.trading_event, request=request))
        return context

    def serve(self, request, view=None, args=None, kwargs=None):
        """The storefront itself comes from the page cache (`market.page_cache`) until a
        sale, a publish or the market's clock changes it, for anonymous visitors and, while
        it is open, for signed-in buyers; its forms never do."""
        if view is not None and getattr(view, "__name__", "") != "index_route":
            return super().serve(request, view, args, kwargs)
        from cms.markets.storefront import basket_session_key

        return page_cache.serve(
            request,
            lambda: super(MarketEventPage, self).serve(request, view, args, kwargs),
            valid_until=lambda: self.next_clock_change(timezone.now()),
            unless_session=basket_session_key(self.trading_event),
            # Open, every signed-in buyer shares one rendering: her basket and her links are
            # filled per request (`cms.templatetags.market_basket`, `{% role_links %}`).
            members=self.state_at(timezone.now()) == MarketState.OPEN,
        )

    def next_clock_change(self, when):
        """When the storefront stops being what it is at `when`: it opens, or it closes."""
        state = self.state_at(when)
        if state == MarketState.UPCOMING:
            return self.opens_at
        if state == MarketState.OPEN:
            return self.closes_at
        return None

    @path("cesta/", name="cart")
    def cart_view(self, request):
        from cms.markets.storefront_views import market_cart

        return market_cart(request, self, self.trading_event)

    @path("pedido/", name="checkout")
    def checkout_view(self, request):
        from cms.markets.storefront_views import market_checkout

        return market_checkout(request, self, self.trading_event)

    @path("avisenme/", name="watch")
    def watch_view(self, request):
        from cms.markets.watch_views import market_watch

        return market_watch(request, self, self.trading_event)

    # Wagtail serves only paths made of `[\w-]+/` segments, so no ".ics" in the URL:
    # the file name comes from Content-Disposition.
    @path("calendario/", name="calendar")
    def calendar_view(self, request):
        from cms.markets.storefront_views import market_calendar

        return market_calendar(request, self)


class MarketOffer(Orderable):
    """A product offered in one market, at the market's price and quantity."""

    page = ParentalKey(MarketEventPage, on_delete=models.CASCADE, related_name="offers")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    price_cop = models.PositiveIntegerField(_("market price (COP)"))
    quantity = models.DecimalField(_("quantity for this market"), max_digits=10, decimal_places=3)
    max_per_buyer = models.DecimalField(
        _("maximum per buyer"), max_digits=10, decimal_places=3, null=True, blank=True
    )

    panels = [
        FieldPanel("product", widget=MarketProductChooser),
        FieldRowPanel([FieldPanel("price_cop"), FieldPanel("quantity"), FieldPanel("max_per_buyer")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.CheckConstraint(condition=models.Q(price_cop__gt=0), name="offer_price_positive"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="offer_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product} @ {self.price_cop}"

    def clean(self):
        super().clean()
        if self.max_per_buyer is not None and self.max_per_buyer <= 0:
            raise ValidationError({"max_per_buyer": _("Leave it empty or enter a positive quantity.")})


class PickupPoint(models.Model):
    """A place where buyers collect their goods on market day (a snippet, reused across markets)."""

    name = models.CharField(_("place"), max_length=120)
    address = models.CharField(_("address"), max_length=255)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    instructions = models.CharField(_("instructions"), max_length=255, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("municipality"),
        FieldPanel("instructions"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")

    def __str__(self):
        return self.name


class PickupSlot(Orderable):
    page = ParentalKey(MarketEventPage, on_delete=models.CASCADE, related_name="slots")
    pickup_point = models.ForeignKey(
        PickupPoint, on_delete=models.PROTECT, related_name="+", verbose_name=_("pickup point")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(
        _("capacity"), help_text=_("How many buyers can come in this slot.")
    )

    panels = [
        FieldPanel("pickup_point", heading=_("Pickup point")),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at"), FieldPanel("capacity")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("pickup slot")
        verbose_name_plural = _("pickup slots")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="slot_capacity_positive"),
        ]

    def __str__(self):
        return f"{self.pickup_point} {timezone.localtime(self.starts_at):%d/%m %H:%M}"


class MarketStock(models.Model):
    """What a market may still sell of a product, outside page revisions.

    `planned` follows the published offer; a cooperative may lower it with `confirmed`;
    `sold` only moves through `cms.markets.services` (conditional updates: never oversold).
    """

    event = models.ForeignKey(MarketEventPage, on_delete=models.CASCADE, related_name="stock")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    planned = models.DecimalField(max_digits=10, decimal_places=3, default=Decimal("0"))
    confirmed = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sold = models.DecimalField(max_digits=10, decimal_places=3, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "product"], name="market_stock_unique"),
            models.CheckConstraint(condition=models.Q(sold__gte=0), name="market_stock_sold_not_negative"),
            models.CheckConstraint(
                condition=models.Q(confirmed__isnull=True) | models.Q(confirmed__gte=0),
                name="market_stock_confirmed_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.event_id}/{self.product_id}: {self.sold}/{self.capacity}"

    @property
    def capacity(self) -> Decimal:
        return self.planned if self.confirmed is None else min(self.planned, self.confirmed)

    @property
    def remaining(self) -> Decimal:
        return max(self.capacity - self.sold, Decimal("0"))


class SlotUsage(models.Model):
    """How many orders took a pickup slot; kept outside page revisions."""

    slot = models.OneToOneField(PickupSlot, on_delete=models.CASCADE, related_name="usage")
    taken = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.slot_id}: {self.taken}"


class MarketClosing(models.Model):
    """One row per market whose closing notifications went out: the row is the claim, so
    the closing job sends them once even when it runs twice at the same time."""

    event = models.OneToOneField(MarketEventPage, on_delete=models.CASCADE, related_name="closing")
    notified_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.event_id} closed {self.notified_at}"


class MarketOrder(models.Model):
    """Links an order to the market it was placed in, with the pickup slot or delivery."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="market_link")
    event = models.ForeignKey(MarketEventPage, on_delete=models.PROTECT, related_name="market_orders")
    slot = models.ForeignKey(PickupSlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    slot_label = models.CharField(max_length=255, blank=True)
    slot_released_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.order} @ {self.event_id}"


class MarketWatch(models.Model):
    """Someone who asked to be told when a market opens ("Avísenme cuando abra"): a person
    signed in (her own channels), or a mobile number (SMS, and WhatsApp if she agreed).

    `told_at` is set by the opening pass of `manage.py close_markets` in the transaction
    that writes her message (`cms.markets.closing.markets_open_due`): one message each.
    """

    event = models.ForeignKey(MarketEventPage, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    phone = models.CharField(_("mobile number"), max_length=16, blank=True, validators=[validate_e164])
    whatsapp = models.BooleanField(_("WhatsApp agreed"), default=False)
    language = models.CharField(_("language"), max_length=7, default="es")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    told_at = models.DateTimeField(_("told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("market watch")
        verbose_name_plural = _("market watches")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=models.Q(user__isnull=False),
                name="market_watch_user_once",
            ),
            models.UniqueConstraint(
                fields=["event", "phone"], condition=~models.Q(phone=""), name="market_watch_phone_once"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(phone=""), name="market_watch_has_someone"
            ),
        ]
        indexes = [
            models.Index(
                fields=["event"], condition=models.Q(told_at__isnull=True), name="market_watch_untold"
            ),
        ]

    def __str__(self):
        return f"{self.event_id}: {self.user_id or self.phone}"


class MarketConfirmAsk(models.Model):
    """A cooperative was asked to confirm its quantities before a market opens: the unique row
    is the claim, so the request goes out once however often, and wherever, the job runs."""

    event = models.ForeignKey(MarketEventPage, on_delete=models.CASCADE, related_name="+")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "cooperative"], name="market_confirm_ask_once"),
        ]

    def __str__(self):
        return f"{self.event_id}/{self.cooperative_id} asked {self.asked_at}"


def verified_participants(event: MarketEventPage):
    return event.cooperatives.filter(verification_status=VerificationStatus.VERIFIED)
