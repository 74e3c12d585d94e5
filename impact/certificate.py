"""An institutional buyer's yearly certificate of purchases from small producers, by
municipality of origin and in pesos: what public food-purchase programmes must show under
Ley 2046 de 2020 (buying from local family agriculture). Same counting rule as every report
(`OrderLine.objects.counted`); the origin is the selling cooperative's municipality."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from impact.measures import Scope, counted_lines


@dataclass
class Certificate:
    organization: object
    year: int
    rows: list  # dicts: department, municipality, code, cooperatives, sales_cop
    total_cop: int


def purchases_certificate(*, organization, year: int) -> Certificate:
    """One query whatever the number of orders."""
    lines = counted_lines(Scope(start=date(year, 1, 1), end=date(year, 12, 31))).filter(
        order__organization=organization
    )
    rows = [
        {
            "department": row["fulfilment__cooperative__municipality__department__name"],
            "municipality": row["fulfilment__cooperative__municipality__name"],
            "code": row["fulfilment__cooperative__municipality_id"],
            "sales_cop": row["sales_cop"],
        }
        for row in lines.values(
            "fulfilment__cooperative__municipality_id",
            "fulfilment__cooperative__municipality__name",
            "fulfilment__cooperative__municipality__department__name",
        )
        .annotate(sales_cop=Sum("total_cop"))
        .order_by(
            "fulfilment__cooperative__municipality__department__name",
            "fulfilment__cooperative__municipality__name",
        )
    ]
    return Certificate(organization, year, rows, sum(r["sales_cop"] for r in rows))
