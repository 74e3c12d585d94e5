"""The measures funders ask for, computed from what was really sold.

One rule for what counts (`OrderLine.objects.counted`: placed orders, live parts, no
rejected line), the same one the markets' public summaries use; quantities as delivered
where a weight was recorded (`Coalesce(delivered_quantity, quantity)`); kilos from the
weight units (`market.units.KILOS_PER_UNIT`: kilo, libra, arroba), other units counted
apart. The place of a sale is the municipality of the cooperative that sold it (its
origin). The families come from the supply records (`orders.supply`), or the product's
only family when none was recorded; a family counts in a breakdown by sex only with her
consent (`Producer.consents_to_aggregate`), and always in the totals.

`measure(scope)` runs five queries whatever the number of orders: the lines, their supply
records, the products' only families, the previous period's sales per cooperative, and the
names of the markets.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Product
from cms.models import MarketEventPage
from cooperatives.models import Gender
from market.units import KILOS_PER_UNIT
from orders.models import LineSupply, OrderLine
from orders.supply import value_shares

FEMALE, MALE, OTHER, UNDISCLOSED = "female", "male", "other", "undisclosed"
SEXES = (FEMALE, MALE, OTHER, UNDISCLOSED)
MARKET_PREFIX = "market:"


@dataclass(frozen=True)
class Scope:
    """What to count: orders placed between two Bogotá dates (both included), from the
    cooperatives covered (by name or by municipality; both None: every cooperative),
    narrowed by the page's filters."""

    start: date
    end: date
    cooperative_ids: frozenset | None = None
    municipality_codes: frozenset | None = None
    department: str = ""
    municipality: str = ""
    cooperative: int | None = None
    market: int | None = None

    def previous(self) -> "Scope":
        """The period of the same length just before this one."""
        days = (self.end - self.start).days + 1
        return Scope(
            start=self.start - timedelta(days=days),
            end=self.start - timedelta(days=1),
            cooperative_ids=self.cooperative_ids,
            municipality_codes=self.municipality_codes,
            department=self.department,
            municipality=self.municipality,
            cooperative=self.cooperative,
            market=self.market,
        )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def counted_lines(scope: Scope):
    """The counted order lines of `scope`, as a queryset."""
    lines = OrderLine.objects.counted().filter(
        order__placed_at__gte=_day_start(scope.start),
        order__placed_at__lt=_day_start(scope.end + timedelta(days=1)),
    )
    if scope.cooperative_ids is not None or scope.municipality_codes is not None:
        covered = Q(pk__in=[])
        if scope.cooperative_ids:
            covered |= Q(fulfilment__cooperative_id__in=scope.cooperative_ids)
        if scope.municipality_codes:
            covered |= Q(fulfilment__cooperative__municipality_id__in=scope.municipality_codes)
        lines = lines.filter(covered)
    if scope.department:
        lines = lines.filter(fulfilment__cooperative__municipality__department_id=scope.department)
    if scope.municipality:
        lines = lines.filter(fulfilment__cooperative__municipality_id=scope.municipality)
    if scope.cooperative:
        lines = lines.filter(fulfilment__cooperative_id=scope.cooperative)
    if scope.market:
        lines = lines.filter(order__channel_key=f"{MARKET_PREFIX}{scope.market}")
    return lines


@dataclass
class Group:
    """The figures of one slice (a month, a municipality, a cooperative, a market)."""

    key: object
    label: str = ""
    sublabel: str = ""
    sales_cop: int = 0
    kilos: Decimal = Decimal("0")
    orders: set = field(default_factory=set)
    households: set = field(default_factory=set)
    institutions: set = field(default_factory=set)
    families: dict = field(default_factory=dict)  # producer id -> sex (or undisclosed)
    value_by_sex: dict = field(default_factory=lambda: dict.fromkeys(SEXES, 0))
    previous_cop: int = 0

    @property
    def order_count(self) -> int:
        return len(self.orders)

    @property
    def household_count(self) -> int:
        return len(self.households)

    @property
    def institution_count(self) -> int:
        return len(self.institutions)

    @property
    def family_count(self) -> int:
        return len(self.families)

    def families_of(self, sex: str) -> int:
        return sum(1 for s in self.families.values() if s == sex)

    @property
    def grew(self) -> bool:
        return self.previous_cop > 0 and self.sales_cop > self.previous_cop


@dataclass
class Figures:
    scope: Scope
    total: Group
    other_units: dict  # unit code -> quantity ("2 docenas": `qty_unit`)
    unattributed_cop: int
    by_month: list
    by_municipality: list
    by_cooperative: list
    by_market: list
    last_sale_at: datetime | None

    # The measures an indicator may choose (`impact.models.Measure`).
    @property
    def sales_cop(self) -> int:
        return self.total.sales_cop

    @property
    def kilos(self) -> Decimal:
        return self.total.kilos

    @property
    def orders(self) -> int:
        return self.total.order_count

    @property
    def households(self) -> int:
        return self.total.household_count

    @property
    def institutions(self) -> int:
        return self.total.institution_count

    @property
    def families(self) -> int:
        return self.total.family_count

    @property
    def women_families(self) -> int:
        return self.total.families_of(FEMALE)

    @property
    def men_families(self) -> int:
        return self.total.families_of(MALE)

    @property
    def women_share_pct(self) -> Decimal:
        """Value reaching women-led families (with consent) over all sales, in percent."""
        if not self.total.sales_cop:
            return Decimal("0")
        share = Decimal(self.total.value_by_sex[FEMALE]) * 100 / self.total.sales_cop
        return share.quantize(Decimal("0.1"))

    @property
    def cooperatives_grew(self) -> int:
        return sum(1 for g in self.by_cooperative if g.grew)

    @property
    def markets_held(self) -> int:
        return len(self.by_market)

    @property
    def market_households(self) -> int:
        return len(set().union(*(g.households for g in self.by_market))) if self.by_market else 0

    def value(self, measure: str):
        return getattr(self, measure)


def _sex(gender: str, consents: bool) -> str:
    if consents and gender in (Gender.FEMALE, Gender.MALE, Gender.OTHER):
        return gender
    return UNDISCLOSED


def _household(row) -> tuple | None:
    """Who bought, as a household (never named): the buyer, or for an order a Market Builder
    took by phone the phone of the person it is for. None for an organisation."""
    if row["order__organization_id"]:
        return None
    if row["order__market_link__assisted_by_id"]:
        return ("phone", row["order__contact_phone"])
    return ("buyer", row["order__buyer_id"])


def _families_by_line(lines_qs) -> dict[int, list[tuple[int, str, Decimal]]]:
    """line id -> [(producer id, sex, quantity)]: the records, else the product's only family."""
    recorded = defaultdict(list)
    for row in LineSupply.objects.filter(line__in=lines_qs.values("pk")).values(
        "line_id", "producer_id", "quantity", "producer__gender", "producer__consents_to_aggregate"
    ):
        recorded[row["line_id"]].append(
            (
                row["producer_id"],
                _sex(row["producer__gender"], row["producer__consents_to_aggregate"]),
                row["quantity"],
            )
        )
    return recorded


def _only_families(lines_qs) -> dict[int, tuple[int, str]]:
    """product id -> (producer id, sex) for the products with exactly one active family."""
    through = Product.producers.through.objects.filter(
        product_id__in=lines_qs.values("product_id"), producer__is_active=True
    ).values("product_id", "producer_id", "producer__gender", "producer__consents_to_aggregate")
    found = defaultdict(list)
    for row in through:
        found[row["product_id"]].append(
            (row["producer_id"], _sex(row["producer__gender"], row["producer__consents_to_aggregate"]))
        )
    return {product: families[0] for product, families in found.items() if len(families) == 1}


def measure(scope: Scope) -> Figures:
    lines_qs = counted_lines(scope)
    rows = list(
        lines_qs.annotate(billed=Coalesce("delivered_quantity", "quantity")).values(
            "pk",
            "unit",
            "billed",
            "total_cop",
            "product_id",
            "order_id",
            "order__placed_at",
            "order__buyer_id",
            "order__organization_id",
            "order__contact_phone",
            "order__market_link__assisted_by_id",
            "order__channel_key",
            "fulfilment__cooperative_id",
            "fulfilment__cooperative__name",
            "fulfilment__cooperative__municipality_id",
            "fulfilment__cooperative__municipality__name",
            "fulfilment__cooperative__municipality__department__name",
        )
    )
    recorded = _families_by_line(lines_qs)
    only = _only_families(lines_qs)
    previous = dict(
        counted_lines(scope.previous())
        .values("fulfilment__cooperative_id")
        .annotate(cop=Sum("total_cop"))
        .values_list("fulfilment__cooperative_id", "cop")
    )

    total = Group(key="total")
    months, places, cooperatives, markets = {}, {}, {}, {}
    other_units = defaultdict(Decimal)
    unattributed = 0
    last_sale_at = None
    for row in rows:
        placed = timezone.localtime(row["order__placed_at"])
        last_sale_at = max(last_sale_at, row["order__placed_at"]) if last_sale_at else row["order__placed_at"]
        month = date(placed.year, placed.month, 1)
        coop_id = row["fulfilment__cooperative_id"]
        code = row["fulfilment__cooperative__municipality_id"]
        groups = [
            total,
            months.setdefault(month, Group(key=month)),
            places.setdefault(
                code,
                Group(
                    key=code,
                    label=row["fulfilment__cooperative__municipality__name"],
                    sublabel=row["fulfilment__cooperative__municipality__department__name"],
                ),
            ),
            cooperatives.setdefault(
                coop_id,
                Group(
                    key=coop_id,
                    label=row["fulfilment__cooperative__name"],
                    sublabel=row["fulfilment__cooperative__municipality__name"],
                ),
            ),
        ]
        channel = row["order__channel_key"]
        if channel.startswith(MARKET_PREFIX):
            groups.append(markets.setdefault(channel, Group(key=int(channel[len(MARKET_PREFIX) :]))))
        kilos = row["billed"] * KILOS_PER_UNIT[row["unit"]] if row["unit"] in KILOS_PER_UNIT else None
        if kilos is None:
            other_units[row["unit"]] += row["billed"]
        household = _household(row)
        families = recorded.get(row["pk"])
        if families is None and row["product_id"] in only:
            producer, sex = only[row["product_id"]]
            families = [(producer, sex, Decimal("1"))]
        shares = value_shares(row["total_cop"], [q for _p, _s, q in families]) if families else []
        if not families:
            unattributed += row["total_cop"]
        for group in groups:
            group.sales_cop += row["total_cop"]
            if kilos is not None:
                group.kilos += kilos
            group.orders.add(row["order_id"])
            if household is not None:
                group.households.add(household)
            elif row["order__organization_id"]:
                group.institutions.add(row["order__organization_id"])
            for (producer, sex, _q), value in zip(families or [], shares, strict=True):
                group.families[producer] = sex
                group.value_by_sex[sex] += value
    for coop_id, group in cooperatives.items():
        group.previous_cop = previous.get(coop_id, 0)
    if markets:
        titles = dict(
            MarketEventPage.objects.filter(pk__in=[g.key for g in markets.values()]).values_list(
                "pk", "title"
            )
        )
        for group in markets.values():
            group.label = titles.get(group.key, "")
    return Figures(
        scope=scope,
        total=total,
        other_units=dict(sorted(other_units.items())),
        unattributed_cop=unattributed,
        by_month=[months[m] for m in sorted(months)],
        by_municipality=sorted(places.values(), key=lambda g: (-g.sales_cop, g.label)),
        by_cooperative=sorted(cooperatives.values(), key=lambda g: (-g.sales_cop, g.label)),
        by_market=sorted(markets.values(), key=lambda g: g.label),
        last_sale_at=last_sale_at,
    )


def top_products(scope: Scope, *, limit: int = 10) -> list[dict]:
    """The products that sold most in `scope`, by value: one query."""
    rows = list(
        counted_lines(scope)
        .values("product_name", "unit")
        .annotate(quantity=Sum(Coalesce("delivered_quantity", "quantity")), sales_cop=Sum("total_cop"))
        .order_by("-sales_cop", "product_name")[:limit]
    )
    return rows
