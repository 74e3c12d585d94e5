"""A programme's report for a period and filters: the figures, the funder's tables and the
charts, assembled once for the page and every export."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.models import MarketEventPage
from cooperatives.models import Cooperative
from impact import charts
from impact.measures import FEMALE, MALE, UNDISCLOSED, Figures, Scope, measure, top_products
from impact.models import Programme
from impact.tables import (
    SMALL,
    Table,
    cooperative_table,
    guarded,
    market_table,
    month_table,
    people,
    product_table,
    report_tables,
    sex_labels,
    sex_table,
    show,
)
from market.money import format_cop

_PERIOD = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    pass


def month_start(text: str) -> date:
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise PeriodError(_("Write the month as YYYY-MM, e.g. 2026-01."))
    return date(int(match[1]), int(match[2]), 1)


def month_end(text: str) -> date:
    start = month_start(text)
    return (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def parse_period(text: str) -> tuple[date, date]:
    """ "2026-01..2026-12" -> 1 January to 31 December 2026. Raises PeriodError."""
    match = _PERIOD.match((text or "").strip())
    if not match:
        raise PeriodError(_("Write the period as YYYY-MM..YYYY-MM, e.g. 2026-01..2026-12."))
    start, end = month_start(f"{match[1]}-{match[2]}"), month_end(f"{match[3]}-{match[4]}")
    if end < start:
        raise PeriodError(_("The period ends before it starts."))
    return start, end


def covered_cooperatives(programme: Programme):
    """The cooperatives a programme covers (named, or in a covered municipality), with place."""
    coop_ids = [c.pk for c in programme.cooperatives.all()]
    codes = [m.pk for m in programme.municipalities.all()]
    return (
        Cooperative.objects.filter(Q(pk__in=coop_ids) | Q(municipality_id__in=codes))
        .select_related("municipality__department")
        .order_by("name")
    )


def programme_scope(programme: Programme, *, start: date, end: date, **filters) -> Scope:
    return Scope(
        start=start,
        end=end,
        cooperative_ids=frozenset(c.pk for c in programme.cooperatives.all()),
        municipality_codes=frozenset(m.pk for m in programme.municipalities.all()),
        **filters,
    )


def programme_markets(cooperatives):
    return (
        MarketEventPage.objects.originals().filter(cooperatives__in=cooperatives).distinct().order_by("title")
    )


@dataclass
class Report:
    programme: Programme
    scope: Scope
    figures: Figures
    tables: list[Table]
    charts: list

    @property
    def women_share(self):
        """The women's share of sales, withheld ("< 5") when fewer than five women-led families sold."""
        return guarded(self.figures.women_share_pct, self.figures.women_families)

    @property
    def period_label(self) -> str:
        return f"{show(self.scope.start, 'date')} – {show(self.scope.end, 'date')}"


def figures_charts(figures: Figures) -> list[dict]:
    """The pictures: sales by month and by municipality, women and men among the families
    that sold (counts under five withheld), and each market's households reached."""
    labels = sex_labels()
    pictures = [
        (
            _("Sales by month"),
            [
                charts.Bar(show(g.key, "month"), g.sales_cop, format_cop(g.sales_cop))
                for g in figures.by_month
            ],
        ),
        (
            _("Sales by municipality of origin"),
            [charts.Bar(g.label, g.sales_cop, format_cop(g.sales_cop), 2) for g in figures.by_municipality],
        ),
    ]
    sexes = []
    for i, sex in enumerate((FEMALE, MALE, UNDISCLOSED)):
        count = figures.total.families_of(sex)
        shown = people(count)
        sexes.append(charts.Bar(labels[sex], 0 if shown == SMALL else count, str(shown), i + 1))
    if figures.families:
        pictures.append((_("Women and men among the families that sold"), sexes))
    pictures.append(
        (
            _("Households reached by each market"),
            [
                charts.Bar(
                    g.label,
                    0 if people(g.household_count) == SMALL else g.household_count,
                    str(people(g.household_count)),
                    3,
                )
                for g in figures.by_market
            ],
        )
    )
    return [{"title": title, "svg": charts.bar_chart(bars, title=title)} for title, bars in pictures if bars]


def programme_report(programme: Programme, *, start: date, end: date, **filters) -> Report:
    scope = programme_scope(programme, start=start, end=end, **filters)
    figures = measure(scope)
    today = timezone.localdate()
    return Report(
        programme=programme,
        scope=scope,
        figures=figures,
        tables=report_tables(programme, figures, today=today),
        charts=figures_charts(figures),
    )


@dataclass
class Snapshot:
    """The figures of one cooperative or one market, without a programme's indicators."""

    scope: Scope
    figures: Figures
    tables: list[Table]
    charts: list

    @property
    def women_share(self):
        return guarded(self.figures.women_share_pct, self.figures.women_families)

    @property
    def households(self):
        return people(self.figures.households)

    @property
    def institutions(self):
        return people(self.figures.institutions)


def cooperative_snapshot(cooperative, *, year: int) -> Snapshot:
    """A cooperative's own year: sales by month, top products, what reached its families."""
    scope = Scope(start=date(year, 1, 1), end=date(year, 12, 31), cooperative=cooperative.pk)
    figures = measure(scope)
    tables = [
        sex_table(figures),
        month_table(figures),
        product_table(top_products(scope)),
        market_table(figures),
    ]
    return Snapshot(scope, figures, tables, figures_charts(figures))


def market_snapshot(event) -> Snapshot:
    """One market's figures for its Market Builder: every order it ever took."""
    scope = Scope(start=date(2000, 1, 1), end=timezone.localdate() + timedelta(days=366), market=event.pk)
    figures = measure(scope)
    tables = [sex_table(figures), cooperative_table(figures), product_table(top_products(scope))]
    return Snapshot(scope, figures, tables, figures_charts(figures))
