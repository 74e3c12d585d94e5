"""Programmes that answer to funders, and the indicators they report.

Staff edit both in the Wagtail admin (a snippet, `impact/wagtail_hooks.py`); a programme's
viewers (a funder's officer) read its report and nothing else (`impact/permissions.py`).
Indicators choose a measure Minga computes (`impact.measures.MEASURES`) and set a goal.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel

from cooperatives.models import Cooperative
from market.models import Municipality


class Measure(models.TextChoices):
    """What Minga computes from the sales of a period (see `impact.measures.Figures`)."""

    SALES_COP = "sales_cop", _("Sales (pesos)")
    KILOS = "kilos", _("Volume (kilos)")
    ORDERS = "orders", _("Orders")
    HOUSEHOLDS = "households", _("Households that bought")
    INSTITUTIONS = "institutions", _("Institutions that bought")
    FAMILIES = "families", _("Families that sold")
    WOMEN_FAMILIES = "women_families", _("Women-led families that sold")
    MEN_FAMILIES = "men_families", _("Men-led families that sold")
    WOMEN_SHARE_PCT = "women_share_pct", _("Share of sales reaching women-led families (%)")
    COOPERATIVES_GREW = "cooperatives_grew", _("Cooperatives whose sales grew")
    MARKETS_HELD = "markets_held", _("Markets held")
    MARKET_HOUSEHOLDS = "market_households", _("Households reached by markets")


class ProgrammeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every programme; a viewer the ones she is named on; others none."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.is_staff or user.is_superuser:
            return self
        return self.filter(viewers=user)


class Programme(ClusterableModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    funder = models.CharField(_("funder"), max_length=200, help_text=_("e.g. UN Multi-Partner Trust Fund"))
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    cooperatives = ParentalManyToManyField(
        Cooperative, blank=True, related_name="+", verbose_name=_("cooperatives covered")
    )
    municipalities = ParentalManyToManyField(
        Municipality,
        blank=True,
        related_name="+",
        verbose_name=_("municipalities covered"),
        help_text=_("Every cooperative of these municipalities counts, besides the ones chosen above."),
    )
    viewers = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="impact_programmes",
        verbose_name=_("viewers"),
        help_text=_("People who read this programme's report (a funder's officer): figures only."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProgrammeQuerySet.as_manager()

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("funder"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
        MultiFieldPanel(
            [FieldPanel("cooperatives"), FieldPanel("municipalities")],
            heading=_("What it covers"),
        ),
        FieldPanel("viewers"),
        InlinePanel("indicators", label=_("Indicators"), heading=_("Indicators")),
    ]

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="programme_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def report_url(self) -> str:
        return reverse("impact:programme_detail", args=[self.slug])


class Indicator(models.Model):
    programme = ParentalKey(Programme, on_delete=models.CASCADE, related_name="indicators")
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(
        _("indicator"),
        max_length=300,
        help_text=_("As the funder words it, e.g. Número de productores (desagregados por sexo)."),
    )
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    goal = models.DecimalField(_("goal"), max_digits=16, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=40, blank=True, help_text=_("e.g. pesos, kilos, families."))

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("measure"), FieldPanel("goal"), FieldPanel("unit")]),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(condition=models.Q(goal__gt=Decimal("0")), name="indicator_goal_positive"),
        ]

    def __str__(self):
        return self.name
