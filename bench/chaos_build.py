"""The data of `make chaos`, built with the suite's factories.

Not imported: `bench.chaos` passes this file's text to `manage.py shell -c` (the run's own
database, TASKS_WORKER off and in-memory e-mail, so building queues and sends nothing), and
reads the JSON printed on the last line.

- three verified cooperatives (one with two managers, so "each cooperative's e-mail" reaches
  every manager), five products with tracked stock (HARVEST units each) and one made to order;
- an open market selling three of the SAME products (catalogue and market buyers draw on one
  harvest) plus the made-to-order one, two small pickup slots, and delivery;
- an approved hotel with 30 days' credit up to CREDIT_LIMIT_COP and ten members;
- thirty households.

Every account has the suite's password; it is hashed once, not once per account (the
hashing would cost longer than the rest of the build).
"""

import json
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from cooperatives.models import MembershipRole
from market.models import OrganizationMember
from tests.cms.factories import make_market, pickup_point
from tests.factories import DEMO_PASSWORD, CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.orders.factories import make_organization

HARVEST = Decimal("40")
MARKET_UNITS = 12
SLOT_CAPACITY = 5
CREDIT_LIMIT_COP = 100_000
MEMBERS = 10
HOUSEHOLDS = 30

hashed = make_password(DEMO_PASSWORD)
with mock.patch("django.contrib.auth.base_user.make_password", return_value=hashed):
    coops = {}
    managers = {}
    for key, name, addresses in (
        ("frutos", "Frutos del Guaviare", ["gerente.frutos@example.org", "gerenta.frutos@example.org"]),
        ("cacao", "Cacao de Paz", ["gerente.cacao@example.org"]),
        ("anchicaya", "Campesinos del Anchicayá", ["gerenta.anchicaya@example.org"]),
    ):
        coop = CooperativeFactory(name=name, slug=f"caos-{key}")
        for address in addresses:
            MembershipFactory(cooperative=coop, role=MembershipRole.MANAGER, user__email=address)
        coops[key] = coop
        managers[coop.pk] = addresses

    tracked = [
        make_product(coops["frutos"], name="Yuca fresca", price_cop=2500, stock=HARVEST),
        make_product(coops["frutos"], name="Plátano hartón", price_cop=3000, stock=HARVEST),
        make_product(coops["cacao"], name="Arazá", price_cop=6000, stock=HARVEST),
        make_product(coops["cacao"], name="Cacao en grano", price_cop=8000, stock=HARVEST),
        make_product(coops["anchicaya"], name="Lulo", price_cop=4000, stock=HARVEST),
    ]
    honey = make_product(coops["anchicaya"], name="Miel de abejas", price_cop=5000, stock=None)
    stock_before_market = {p.pk: str(p.stock) for p in tracked}

    now = timezone.now()
    point = pickup_point()
    day = now + timedelta(days=2)
    yuca, _platano, araza, _cacao, lulo = tracked
    event = make_market(
        title="Mercado del caos",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=3),
        offers=[
            (yuca, 2200, MARKET_UNITS),
            (araza, 5500, MARKET_UNITS),
            (lulo, 3500, MARKET_UNITS),
            (honey, 4500, 10),
        ],
        slots=[(point, day, SLOT_CAPACITY), (point, day + timedelta(hours=1), SLOT_CAPACITY)],
        cooperatives=list(coops.values()),
        delivery_offered=True,
        delivery_fee_cop=3000,
    )

    members = [UserFactory(email=f"compras{n:02d}@hotel-caos.example.org") for n in range(1, MEMBERS + 1)]
    hotel = make_organization(
        legal_name="Hotel del Caos SAS", credit_days=30, credit_limit_cop=CREDIT_LIMIT_COP
    )
    for member in members:
        OrganizationMember.objects.create(organization=hotel, user=member)
    households = [UserFactory(email=f"hogar{n:02d}@example.org") for n in range(1, HOUSEHOLDS + 1)]

for product in tracked:
    product.refresh_from_db()
print(
    json.dumps(
        {
            "password": DEMO_PASSWORD,
            "products": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "path": f"/catalogo/{p.cooperative.slug}/{p.slug}/",
                    "cooperative": p.cooperative_id,
                    "tracked": p.stock is not None,
                    "harvest": stock_before_market.get(p.pk),
                    "stock_after_build": str(p.stock) if p.stock is not None else None,
                }
                for p in [*tracked, honey]
            ],
            "honey": honey.pk,
            "market": {
                "id": event.pk,
                "path": event.url,
                "offers": [
                    {"product": o.product_id, "quantity": str(o.quantity)} for o in event.offers.all()
                ],
                "buyer_products": [yuca.pk, araza.pk, lulo.pk],
                "slots": [{"id": s.pk, "capacity": s.capacity} for s in event.slots.all()],
            },
            "organization": {"id": hotel.pk, "limit": hotel.credit_limit_cop, "name": hotel.legal_name},
            "members": [m.email for m in members],
            "households": [h.email for h in households],
            "managers": {str(k): v for k, v in managers.items()},
            "cooperatives": {str(c.pk): c.name for c in coops.values()},
        }
    )
)
