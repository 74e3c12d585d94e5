"""Demo data for impact reports (`manage.py load_demo` calls `load` after the cms's).

A programme like PASO Colombia's Contingency Plan to Support Ex-Coca Grower Families (UN
Multi-Partner Trust Fund; 1,968 families, about 80 % women: see CONTEXT.md) over the demo
cooperatives, with indicators and goals worded as funders word them, read by the demo
programme viewer; and a year of past catalogue sales, placed through the checkout service,
confirmed, weighed and handed over by the cooperatives, with the families who supplied
each line, so that the report shows real figures. The orders carry the one-time key
`demo-impact-<n>`: a second run finds them and changes nothing. What they took from the
stock is put back (past harvests, long sold).
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from catalog.models import Product
from cooperatives.models import Cooperative, MembershipRole
from impact.models import Indicator, Measure, Programme
from market.demo import demo_user, upsert
from market.models import BuyerOrganization, Message, MessageState, User
from market.units import Unit
from orders import services, supply, transitions
from orders.models import FulfilmentStatus, Order, OrderEvent

SLUG = "plan-de-contingencia"
VIEWER_EMAIL = "financiador@minga.co"
HOTEL_EMAIL = "hotel@minga.co"
HOUSEHOLDS = [f"hogar{n:02d}@minga.co" for n in range(1, 15)]
ORDERS_PER_MONTH = 4
MONTHS_BACK = 14  # 12 months of the programme, and the two before it (to see who grew)

INDICATORS = [
    ("Número de familias productoras que vendieron por Minga (desagregadas por sexo)", Measure.FAMILIES, 45),
    ("Número de familias lideradas por mujeres que vendieron", Measure.WOMEN_FAMILIES, 36),
    (
        "Porcentaje del valor de las ventas que llega a familias lideradas por mujeres",
        Measure.WOMEN_SHARE_PCT,
        80,
    ),
    ("Ventas de las cooperativas sin intermediarios (COP)", Measure.SALES_COP, 6_000_000),
    ("Volumen comercializado (kilos)", Measure.KILOS, 600),
    ("Número de cooperativas que han aumentado su volumen de ventas", Measure.COOPERATIVES_GREW, 5),
    ("Mercados campesinos virtuales y bioseguros realizados", Measure.MARKETS_HELD, 3),
    ("Hogares alcanzados por los mercados campesinos", Measure.MARKET_HOUSEHOLDS, 60),
    ("Hogares que compraron", Measure.HOUSEHOLDS, 12),
    ("Instituciones compradoras (hoteles, restaurantes, centros de abastos)", Measure.INSTITUTIONS, 12),
]


def _month_start(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def programme_period(today: date) -> tuple[date, date]:
    """The twelve months ending with this one."""
    start = _month_start(today, 11)
    end = (date(today.year, today.month, 1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def _programme(cooperatives: list[Cooperative], today: date) -> Programme:
    start, end = programme_period(today)
    programme = Programme.objects.filter(slug=SLUG).first()
    if programme is None:
        programme = Programme(slug=SLUG)
    wanted = {
        "name": "Plan de Contingencia para familias excultivadoras de coca",
        "funder": "Fondo Multidonante de las Naciones Unidas para el Sostenimiento de la Paz",
        "description": (
            "Mercados campesinos y ventas directas de las cooperativas de Anorí, Puerto Guzmán, "
            "Puerto Asís, Dagua y San José del Guaviare, sin intermediarios, con las familias "
            "que dejaron los cultivos de coca. Demostración con datos inventados."
        ),
        "starts_on": start,
        "ends_on": end,
    }
    changed = programme.pk is None or any(getattr(programme, k) != v for k, v in wanted.items())
    viewer = demo_user(VIEWER_EMAIL)
    changed = changed or {c.pk for c in programme.cooperatives.all()} != {c.pk for c in cooperatives}
    changed = changed or list(programme.viewers.all()) != [viewer]
    if changed:
        for key, value in wanted.items():
            setattr(programme, key, value)
        programme.cooperatives.set(cooperatives)
        programme.viewers.set([viewer])
        programme.save()
    for n, (name, measure, goal) in enumerate(INDICATORS):
        upsert(
            Indicator,
            lookup={"programme": programme, "sort_order": n},
            values={"name": name, "measure": measure, "goal": Decimal(goal), "unit": ""},
        )
    return programme


def _households() -> list[User]:
    people = []
    for n, email in enumerate(HOUSEHOLDS, start=1):
        user, created = upsert(
            User,
            lookup={"email": email},
            values={"first_name": "Hogar", "last_name": f"{n:02d}"},
            clean=False,
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people.append(user)
    return people


def _sellable(cooperatives) -> dict[int, list[Product]]:
    products = {}
    for product in Product.objects.filter(cooperative__in=cooperatives).prefetch_related("producers"):
        if product.is_available and not product.is_hidden and (product.stock is None or product.stock >= 20):
            products.setdefault(product.cooperative_id, []).append(product)
    return products


def _quantity(product: Product, rng: random.Random) -> Decimal:
    return product.min_quantity + product.quantity_step * rng.randint(0, 3)


def _placed_at(month: date, rng: random.Random) -> datetime:
    day = month + timedelta(days=rng.randint(2, 26))
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 18), 0)))


def _manager(cooperative_id: int) -> User:
    return (
        User.objects.filter(
            memberships__cooperative_id=cooperative_id, memberships__role=MembershipRole.MANAGER
        )
        .order_by("pk")
        .first()
    )


def _fulfil(order: Order, rng: random.Random, placed_at: datetime) -> None:
    """Each cooperative confirms, weighs what sells by weight, says who supplied it, hands over."""
    for fulfilment in order.fulfilments.select_related("cooperative"):
        manager = _manager(fulfilment.cooperative_id)
        transitions.fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.CONFIRMED, actor=manager)
        for line in fulfilment.lines.select_related("product", "order"):
            if line.unit in (Unit.KG, Unit.LIBRA):
                weighed = (line.quantity * Decimal(rng.choice(["0.95", "1", "1.05"]))).quantize(
                    Decimal("0.001")
                )
                services.line_record_delivery(line=line, delivered_quantity=str(weighed), actor=manager)
                line.refresh_from_db()
            families = [p.pk for p in line.product.producers.all() if p.is_active]
            if len(families) > 1:
                line.fulfilment = fulfilment
                supply.line_supply_split_evenly(line=line, producer_ids=families, actor=manager)
        transitions.fulfilment_transition(fulfilment=fulfilment, to=FulfilmentStatus.READY, actor=manager)
        transitions.fulfilment_transition(
            fulfilment=fulfilment, to=FulfilmentStatus.HANDED_OVER, actor=manager
        )
    Order.objects.filter(pk=order.pk).update(placed_at=placed_at)
    OrderEvent.objects.filter(order=order).update(at=placed_at)


def _sales(cooperatives, households, today: date) -> int:
    rng = random.Random(2046)  # the same year of sales on every run
    sellable = _sellable(cooperatives)
    coop_ids = sorted(sellable)
    hotel = demo_user(HOTEL_EMAIL)
    organization = BuyerOrganization.objects.filter(members__user=hotel).first()
    made = n = 0
    for back in range(MONTHS_BACK, 0, -1):
        month = _month_start(today, back)
        # Fewer sales before the programme: the cooperatives grow with it.
        for _k in range(ORDERS_PER_MONTH if back <= 12 else 2):
            n += 1
            coop_id = coop_ids[rng.randrange(len(coop_ids))] if back <= 12 else coop_ids[n % len(coop_ids)]
            products = rng.sample(sellable[coop_id], min(len(sellable[coop_id]), rng.randint(1, 3)))
            institutional = organization is not None and rng.random() < 0.2
            buyer = hotel if institutional else households[rng.randrange(len(households))]
            placed_at = _placed_at(month, rng)
            key = f"demo-impact-{n}"
            quantities = [(p, _quantity(p, rng)) for p in products]
            if Order.objects.filter(checkout_key=key).exists():
                continue
            cart = services.cart_get(user=buyer, create=True)
            cart.lines.all().delete()
            for product, quantity in quantities:
                services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=str(quantity))
            choice = services.CheckoutChoice(
                delivery_method="pickup",
                payment_method="invoice" if institutional else "cash",
                organization=organization if institutional else None,
                checkout_key=key,
            )
            order = services.order_place(buyer=buyer, cart=cart, choice=choice)
            for line in order.lines.all():
                Product.objects.filter(pk=line.product_id, stock__isnull=False).update(
                    stock=F("stock") + line.quantity
                )
            _fulfil(order, rng, placed_at)
            made += 1
    return made


def load(*, stdout) -> None:
    today = timezone.localdate()
    cooperatives = list(Cooperative.objects.verified().order_by("name"))
    if not cooperatives:
        return
    programme = _programme(cooperatives, today)
    before = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made = _sales(cooperatives, _households(), today)
    # These sales are past: their messages went out back then, not now.
    Message.objects.filter(pk__gt=before, state__in=[MessageState.QUEUED, MessageState.STANDBY]).update(
        state=MessageState.SKIPPED
    )
    stdout.write(
        f"  programme {programme.slug} ({programme.starts_on:%Y-%m}..{programme.ends_on:%Y-%m}), "
        f"{len(INDICATORS)} indicators, {made} past sales placed"
    )
