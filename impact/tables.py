"""The report's tables, as the funders read them, built once for the page and every export
(CSV, XLSX, PDF, `manage.py impact_export`).

Privacy, in this one place: a cell counting fewer than five people (families, households,
institutions) reads "< 5", and so does the value reaching fewer than five families, so that
no family can be singled out; no person and no buyer is ever named.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from impact.measures import FEMALE, MALE, OTHER, UNDISCLOSED, Figures
from impact.models import Indicator, Measure, Programme
from market.money import format_cop
from market.units import format_quantity, quantity_with_unit

MIN_PEOPLE = 5
SMALL = "< 5"

# Measures that count people: shown as "< 5" below MIN_PEOPLE.
PEOPLE_MEASURES = {
    Measure.HOUSEHOLDS,
    Measure.INSTITUTIONS,
    Measure.FAMILIES,
    Measure.WOMEN_FAMILIES,
    Measure.MEN_FAMILIES,
    Measure.MARKET_HOUSEHOLDS,
}


def people(count: int):
    """A count of people as it may be shown: "< 5" from 1 to 4."""
    return SMALL if 0 < count < MIN_PEOPLE else count


def guarded(value, count: int):
    """A figure about `count` people: withheld ("< 5") when they are fewer than five."""
    return SMALL if 0 < count < MIN_PEOPLE else value


@dataclass
class Column:
    title: str
    kind: str = "text"  # text, cop, kilos, int, pct, month, date


@dataclass
class Table:
    slug: str
    title: str
    columns: list
    rows: list

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]


def show(value, kind: str) -> str:
    """A cell as people read it on the page and in the PDF: $ 12.500, 43,5, 55,2 %, marzo de 2026."""
    if value is None or value == "":
        return "—"
    if value == SMALL or kind == "text":
        return str(value)
    if isinstance(value, Decimal) and kind != "kilos" and value == value.to_integral_value():
        value = int(value)
    if kind == "cop":
        return format_cop(value)
    if kind == "kilos":
        return format_quantity(Decimal(value).quantize(Decimal("0.1")))
    if kind == "pct":
        return f"{format_quantity(value)} %"
    if kind == "month":
        return formats.date_format(value, "F Y")
    if kind == "date":
        return formats.date_format(value, "j F Y")
    return formats.number_format(value, force_grouping=True)


def plain(value, kind: str):
    """A cell for a spreadsheet: numbers stay numbers, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.strftime("%Y-%m") if kind == "month" else value.isoformat()
    return value


# --- Indicators ---------------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    indicator: Indicator
    current: object
    advance: object
    status: str


def indicator_rows(programme: Programme, figures: Figures, *, today: date) -> list[IndicatorRow]:
    rows = []
    for indicator in programme.indicators.all():
        value = figures.value(indicator.measure)
        if indicator.measure == Measure.WOMEN_SHARE_PCT:
            current = guarded(value, figures.women_families)
        elif indicator.measure in PEOPLE_MEASURES:
            current = people(value)
        else:
            current = value
        if current == SMALL:
            advance = SMALL
        else:
            advance = (Decimal(value) * 100 / indicator.goal).quantize(Decimal("1"))
        if advance != SMALL and advance >= 100:
            status = _("Achieved")
        elif programme.ends_on < today:
            status = _("Not achieved")
        else:
            status = _("In execution")
        rows.append(IndicatorRow(indicator, current, advance, status))
    return rows


_MEASURE_KIND = {Measure.SALES_COP: "cop", Measure.KILOS: "kilos", Measure.WOMEN_SHARE_PCT: "pct"}


def indicator_table(programme: Programme, figures: Figures, *, today: date) -> Table:
    last = figures.last_sale_at.date() if figures.last_sale_at else None
    return Table(
        "indicadores",
        _("Indicators"),
        [
            Column(_("Indicator")),
            Column(_("Goal"), "mixed"),
            Column(_("Last update"), "date"),
            Column(_("Advance (%)"), "int"),
            Column(_("Current value"), "mixed"),
            Column(_("Status")),
        ],
        [
            [
                row.indicator.name,
                (row.indicator.goal, _MEASURE_KIND.get(row.indicator.measure, "int")),
                last,
                row.advance,
                (row.current, _MEASURE_KIND.get(row.indicator.measure, "int")),
                row.status,
            ]
            for row in indicator_rows(programme, figures, today=today)
        ],
    )


# --- Breakdowns ---------------------------------------------------------------------------------


def sex_labels() -> dict[str, str]:
    return {
        FEMALE: _("Women"),
        MALE: _("Men"),
        OTHER: _("Other"),
        UNDISCLOSED: _("Not disclosed (no consent or not recorded)"),
    }


def sex_table(figures: Figures) -> Table:
    total = figures.total
    rows = []
    for sex, label in sex_labels().items():
        count = total.families_of(sex)
        value = total.value_by_sex[sex]
        share = (Decimal(value) * 100 / total.sales_cop).quantize(Decimal("0.1")) if total.sales_cop else 0
        rows.append([label, people(count), guarded(value, count), guarded(share, count)])
    rows.append(
        [_("No family recorded"), None, figures.unattributed_cop, _share(figures.unattributed_cop, total)]
    )
    return Table(
        "sexo",
        _("Selling families by sex"),
        [
            Column(_("Families")),
            Column(_("Number"), "int"),
            Column(_("Sales value reaching them"), "cop"),
            Column(_("Share of sales (%)"), "pct"),
        ],
        rows,
    )


def _share(value: int, total) -> Decimal:
    return (
        (Decimal(value) * 100 / total.sales_cop).quantize(Decimal("0.1")) if total.sales_cop else Decimal("0")
    )


def municipality_table(figures: Figures) -> Table:
    return Table(
        "municipios",
        _("By municipality of origin"),
        [
            Column(_("Department")),
            Column(_("Municipality")),
            Column(_("Sales"), "cop"),
            Column(_("Kilos"), "kilos"),
            Column(_("Orders"), "int"),
            Column(_("Families that sold"), "int"),
            Column(_("Women"), "int"),
            Column(_("Men"), "int"),
        ],
        [
            [
                g.sublabel,
                g.label,
                g.sales_cop,
                g.kilos,
                g.order_count,
                people(g.family_count),
                people(g.families_of(FEMALE)),
                people(g.families_of(MALE)),
            ]
            for g in figures.by_municipality
        ],
    )


def month_table(figures: Figures) -> Table:
    return Table(
        "meses",
        _("By month"),
        [
            Column(_("Month"), "month"),
            Column(_("Sales"), "cop"),
            Column(_("Kilos"), "kilos"),
            Column(_("Orders"), "int"),
        ],
        [[g.key, g.sales_cop, g.kilos, g.order_count] for g in figures.by_month],
    )


def cooperative_table(figures: Figures) -> Table:
    return Table(
        "cooperativas",
        _("By cooperative"),
        [
            Column(_("Cooperative")),
            Column(_("Municipality")),
            Column(_("Sales"), "cop"),
            Column(_("Previous period"), "cop"),
            Column(_("Sales grew")),
            Column(_("Families that sold"), "int"),
        ],
        [
            [
                g.label,
                g.sublabel,
                g.sales_cop,
                g.previous_cop,
                _("yes") if g.grew else _("no"),
                people(g.family_count),
            ]
            for g in figures.by_cooperative
        ],
    )


def market_table(figures: Figures) -> Table:
    return Table(
        "mercados",
        _("Markets held"),
        [
            Column(_("Market")),
            Column(_("Sales"), "cop"),
            Column(_("Orders"), "int"),
            Column(_("Households reached"), "int"),
        ],
        [[g.label, g.sales_cop, g.order_count, people(g.household_count)] for g in figures.by_market],
    )


def report_tables(programme: Programme, figures: Figures, *, today: date) -> list[Table]:
    return [
        indicator_table(programme, figures, today=today),
        municipality_table(figures),
        sex_table(figures),
        month_table(figures),
        cooperative_table(figures),
        market_table(figures),
    ]


def cell_show(cell, kind: str) -> str:
    """`show` for a cell that may carry its own kind (an indicator's goal and value)."""
    if isinstance(cell, tuple):
        return show(cell[0], cell[1])
    return show(cell, kind)


def cell_plain(cell, kind: str):
    if isinstance(cell, tuple):
        return plain(cell[0], cell[1])
    return plain(cell, kind)


def product_table(rows: list[dict]) -> Table:
    """The best-selling products (`impact.measures.top_products`)."""
    return Table(
        "productos",
        _("Top products"),
        [Column(_("Product")), Column(_("Quantity"), "text"), Column(_("Sales"), "cop")],
        [
            [row["product_name"], quantity_with_unit(row["quantity"], row["unit"]), row["sales_cop"]]
            for row in rows
        ],
    )
