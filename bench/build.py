"""The benchmark's database: built once per fingerprint, prepared before every run.

Run by `bench.run` as `python -m bench.build <step> --profile full|short [--out FILE]`
with DJANGO_SETTINGS_MODULE=bench.settings and the benchmark's own DATABASE_URL:

- `build`: migrate, then a large catalogue (PROFILES in `bench/__init__.py`): verified
  cooperatives with producer families, products with photos, an open market with its
  offers and pickup points, an upcoming "opening rush" market with one scarce offer and
  small pickup slots, a closed market, buyers, and past orders. Markets are Wagtail pages
  published through revisions, as a Market Builder publishes them, so their live stock
  and slot counters are made by the app's own `market_stock_sync`.
- `prepare`: on the run's fresh copy of that database: set the market clocks, mint
  sessions for the buyers (signed with this run's secret key), put a basket in each
  checkout buyer's cart, and write the plan the load driver follows.
- `open-rush`: make the rush market open a few seconds from now; prints the moment.
- `verify`: after the load, read the counters and the order lines back from the
  database: units sold, oversold, slot use, and whether every counter matches the orders.

Speed: rows are written with `bulk_create` where the app's services would only repeat
checks on data the builder made itself (past orders are history). Photos: a handful of
real uploads go through `strip_metadata` and Wagtail with their renditions; every product
then gets its own image row and rendition rows that point at those files, so a page runs
exactly the queries it would with distinct photos, without decoding 2,000 pictures.
"""

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from wagtail.images import get_image_model  # noqa: E402
from wagtail.models import Page  # noqa: E402

from bench import PROFILES  # noqa: E402
from catalog.demo import PRODUCTS, photo_bytes  # noqa: E402
from catalog.models import Category, Certification, Product, ProductPhoto  # noqa: E402
from cms.models import (  # noqa: E402
    MarketEventPage,
    MarketIndexPage,
    MarketOffer,
    MarketOrder,
    MarketStock,
    PickupPoint,
    PickupSlot,
    SlotUsage,
)
from cooperatives.models import Cooperative, Producer, VerificationStatus  # noqa: E402
from market import page_cache  # noqa: E402
from market.images import PHOTO_SPECS, strip_metadata  # noqa: E402
from market.models import Municipality, User  # noqa: E402
from market.money import line_total_cop  # noqa: E402
from market.text import fold  # noqa: E402
from orders.models import (  # noqa: E402
    Cart,
    CartLine,
    Channel,
    DeliveryMethod,
    Fulfilment,
    FulfilmentStatus,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
)

SEED = 20260521
EMAIL_DOMAIN = "bench.minga.invalid"
MAIN_SLUG = "bench-mercado-abierto"
RUSH_SLUG = "bench-mercado-apertura"
PAST_SLUG = "bench-mercado-pasado"
BIG_SLUG = "bench-mercado-grande"
META_TABLE = "bench_meta"

COOP_KINDS = [
    "Asociación Campesina de",
    "Cooperativa Multiactiva de",
    "Mujeres Productoras de",
    "Agroasociación de",
    "Red de Familias Cultivadoras de",
]
FIRST_NAMES = ["Luz", "María", "Rosa", "Yaneth", "Deisy", "Sandra", "Gloria", "Ana", "José", "Hernán"]
LAST_NAMES = ["Zapata", "Muñoz", "Rosero", "Valencia", "Parra", "Cárdenas", "Ospina", "Hurtado", "Úsuga"]
VILLAGES = ["La Esperanza", "El Porvenir", "Buenos Aires", "San Isidro", "La Playa", "El Diviso"]


def log(message: str) -> None:
    print(message, flush=True)


# --- build ----------------------------------------------------------------------------------


def _users(prefix: str, count: int) -> list[User]:
    """Buyers without a password (unusable): they sign in through sessions minted per run."""
    rng = random.Random(f"{SEED}-{prefix}")
    users = [
        User(
            email=f"{prefix}{n:05d}@{EMAIL_DOMAIN}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            password="!" + f"bench{n}{prefix}",  # unusable, distinct per user
            is_active=True,
        )
        for n in range(count)
    ]
    users = User.objects.bulk_create(users, batch_size=500)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=500
    )
    return users


def _cooperatives(p: dict, rng: random.Random, now) -> list[Cooperative]:
    places = list(Municipality.objects.select_related("department").order_by("code"))
    chosen = rng.sample(places, p["cooperatives"])
    coops = []
    for n, place in enumerate(chosen):
        name = f"{COOP_KINDS[n % len(COOP_KINDS)]} {place.name}"
        coops.append(
            Cooperative(
                name=name[:150],
                slug=f"{slugify(name)[:140]}-{n}",
                municipality=place,
                known_for="Cacao, café, yuca, panela, frutas y pulpas",
                story=(
                    f"Familias campesinas de {place.name} ({place.department.name}) que cambiaron "
                    "la coca por cultivos legales y venden sin intermediarios."
                ),
                verification_status=VerificationStatus.VERIFIED,
                verified_at=now,
            )
        )
    coops = Cooperative.objects.bulk_create(coops)
    producers = [
        Producer(
            cooperative=coop,
            name=f"Familia {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
            village=rng.choice(VILLAGES),
            gender="female" if k % 5 else "",
            consents_to_aggregate=bool(k % 5),
        )
        for coop in coops
        for k in range(5)
    ]
    Producer.objects.bulk_create(producers, batch_size=500)
    return coops


def _products(p: dict, rng: random.Random, coops, now, first: int = 0) -> list[Product]:
    categories = {c.slug: c for c in Category.objects.all()}
    leaves = [c for c in categories.values() if c.parent_id]
    certifications = {c.code: c for c in Certification.objects.all()}
    specs = [s for s in PRODUCTS if s["cooperative"] != "piscicola-miranda"]
    products = []
    for n in range(first, first + p["products"]):
        coop = coops[n % len(coops)]
        spec = specs[(n // len(coops) + n) % len(specs)]
        name = f"{spec['name']} de {coop.municipality.name}"[:120]
        category = categories.get(spec["category"]) or leaves[n % len(leaves)]
        stock = spec["stock"]
        product = Product(
            cooperative=coop,
            name=name,
            slug=f"{slugify(name)[:120]}-{n}",
            description=spec["description"],
            category=category,
            unit=spec["unit"],
            price_cop=max(500, int(spec["price_cop"] * rng.uniform(0.85, 1.15)) // 100 * 100),
            min_quantity=spec["min_quantity"],
            quantity_step=spec["quantity_step"],
            stock=None if stock is None else stock * 10,
            harvest_months=spec["harvest_months"],
            created_at=now - timedelta(minutes=n),
            updated_at=now,
        )
        product.search_text = fold(
            " ".join([name, spec["description"], category.name, coop.name, coop.known_for])
        )
        product._certs = [certifications[c] for c in spec["certifications"] if c in certifications]
        products.append(product)
    products = Product.objects.bulk_create(products, batch_size=500)
    Through = Product.certifications.through
    Through.objects.bulk_create(
        [Through(product_id=pr.pk, certification_id=c.pk) for pr in products for c in pr._certs],
        batch_size=1000,
    )
    families = {}
    for producer in Producer.objects.order_by("pk"):
        families.setdefault(producer.cooperative_id, []).append(producer)
    Through = Product.producers.through
    Through.objects.bulk_create(
        [
            Through(product_id=pr.pk, producer_id=f.pk)
            for pr in products
            for f in families[pr.cooperative_id][: 2 + pr.pk % 3]
        ],
        batch_size=1000,
    )
    return products


def _photos(p: dict, products) -> None:
    """A few real uploads with their renditions; then one image row per product."""
    Image = get_image_model()
    Rendition = Image.get_rendition_model()
    palette = [(110, 60, 35), (200, 170, 120), (240, 170, 40), (90, 120, 140), (60, 160, 90), (180, 120, 40)]
    bases = []
    for k in range(p["base_images"]):
        name = products[k].name
        raw = SimpleUploadedFile(
            f"bench-{k}.jpg", photo_bytes(name, palette[k % len(palette)]), content_type="image/jpeg"
        )
        image = Image(title=name[:255], file=strip_metadata(raw))
        image._set_image_file_metadata()
        image.save()
        image.get_renditions(*PHOTO_SPECS)
        bases.append((image, list(image.renditions.all())))
    image_fields = [f for f in Image._meta.concrete_fields if not f.primary_key]
    rendition_fields = [f for f in Rendition._meta.concrete_fields if not f.primary_key and f.name != "image"]
    images = []
    for n, product in enumerate(products):
        base = bases[n % len(bases)][0]
        image = Image(**{f.attname: getattr(base, f.attname) for f in image_fields})
        image.title = product.name[:255]
        images.append(image)
    images = Image.objects.bulk_create(images, batch_size=500)
    renditions = []
    for n, image in enumerate(images):
        for rendition in bases[n % len(bases)][1]:
            clone = Rendition(**{f.attname: getattr(rendition, f.attname) for f in rendition_fields})
            clone.image = image
            renditions.append(clone)
    Rendition.objects.bulk_create(renditions, batch_size=1000)
    ProductPhoto.objects.bulk_create(
        [ProductPhoto(product=pr, image=im, position=0) for pr, im in zip(products, images, strict=True)],
        batch_size=1000,
    )


def _market_index() -> MarketIndexPage:
    index = MarketIndexPage.objects.first()
    if index is None:
        home = Page.objects.get(depth=2)
        index = home.add_child(instance=MarketIndexPage(title="Mercados campesinos", slug="mercados"))
    return index


def _market(*, title, slug, opens_at, closes_at, offers, slots, place) -> MarketEventPage:
    """A market page published through a revision, as in the Wagtail admin."""
    event = MarketEventPage(
        title=title,
        slug=slug,
        municipality=place,
        organisers="Constructoras de Mercado",
        opens_at=opens_at,
        closes_at=closes_at,
        market_day=(closes_at + timedelta(days=1)).date(),
    )
    event.offers = [
        MarketOffer(product=pr, price_cop=price, quantity=Decimal(qty), sort_order=n)
        for n, (pr, price, qty) in enumerate(offers)
    ]
    event.slots = [
        PickupSlot(
            pickup_point=point,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=cap,
            sort_order=n,
        )
        for n, (point, start, cap) in enumerate(slots)
    ]
    event.cooperatives = list({pr.cooperative_id: pr.cooperative for pr, _p, _q in offers}.values())
    _market_index().add_child(instance=event)
    event.save_revision().publish()
    event.refresh_from_db()
    return event


def _points(count: int, place) -> list[PickupPoint]:
    names = [
        "Parque principal",
        "Plaza de mercado",
        "Casa de la cultura",
        "Coliseo cubierto",
        "Salón comunal",
    ]
    return PickupPoint.objects.bulk_create(
        [
            PickupPoint(
                name=f"{names[k % len(names)]} {k + 1}",
                address=f"Calle {8 + k} # 22-10",
                municipality=place,
                instructions="Traiga su número de pedido.",
            )
            for k in range(count)
        ]
    )


def _price(cop: int) -> int:
    """A market price: rounded down to hundreds of pesos, at least $500."""
    return max(500, cop // 100 * 100)


def _hourly_slots(points, start, capacity: int = 1_000_000) -> list[tuple]:
    """One slot per pickup point, an hour apart from `start`."""
    return [(point, start + timedelta(hours=k), capacity) for k, point in enumerate(points)]


def _markets(p: dict, rng: random.Random, products, now) -> dict:
    place = products[0].cooperative.municipality
    day = (now + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    ordered = [pr for pr in products if pr.stock is None or pr.stock > 0]
    main_offers = [(pr, _price(pr.price_cop * 9 // 10), "100000") for pr in ordered[: p["market_offers"]]]
    points = _points(p["pickup_points"], place)
    main = _market(
        title="Mercado campesino de la Provincia",
        slug=MAIN_SLUG,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        offers=main_offers,
        slots=_hourly_slots(points, day),
        place=place,
    )
    scarce = ordered[p["market_offers"]]
    rush_offers = [(scarce, 3000, str(p["rush_units"]))] + [
        (pr, _price(pr.price_cop), "100000") for pr in ordered[p["market_offers"] + 1 :][:11]
    ]
    rush_point = _points(1, place)[0]
    rush = _market(
        title="Mercado de apertura: cacao de la cosecha",
        slug=RUSH_SLUG,
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=2),
        offers=rush_offers,
        slots=[
            (rush_point, day + timedelta(hours=k), p["rush_slot_capacity"]) for k in range(p["rush_slots"])
        ],
        place=place,
    )
    past_offers = [(pr, pr.price_cop, "100000") for pr in rng.sample(ordered, min(60, len(ordered)))]
    past = _market(
        title="Mercado campesino del mes pasado",
        slug=PAST_SLUG,
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=33),
        offers=past_offers,
        slots=_hourly_slots(points, now - timedelta(days=32)),
        place=place,
    )
    big = _big_market(p, ordered, place, points, day, now)
    return {"main": main, "rush": rush, "past": past, "scarce": scarce, "big": big}


def _big_market(p: dict, ordered, place, points, day, now) -> MarketEventPage:
    """The scale option: an open market of `big_market_offers` offers (1,000 in the full run).

    Published through a revision with its first 10 offers; the others are written as rows
    (offer and stock counter), which is what the storefront reads: publishing 1,000 offers
    through a revision takes minutes (issue 13's publishing part) and is measured apart.
    """
    wanted = ordered[: p["big_market_offers"]]
    first = [(pr, _price(pr.price_cop), "100000") for pr in wanted[:10]]
    big = _market(
        title="Mercado campesino grande",
        slug=BIG_SLUG,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        offers=first,
        slots=_hourly_slots(points, day),
        place=place,
    )
    rest = wanted[10:]
    MarketOffer.objects.bulk_create(
        [
            MarketOffer(
                page=big,
                product=pr,
                price_cop=_price(pr.price_cop),
                quantity=100000,
                sort_order=10 + n,
            )
            for n, pr in enumerate(rest)
        ],
        batch_size=500,
    )
    MarketStock.objects.bulk_create(
        [MarketStock(event=big, product=pr, planned=100000) for pr in rest], batch_size=500
    )
    taking_part = MarketEventPage.cooperatives.through
    taking_part.objects.bulk_create(
        [taking_part(marketeventpage=big, cooperative_id=pk) for pk in {pr.cooperative_id for pr in wanted}],
        ignore_conflicts=True,
    )
    return big


def _past_orders(p: dict, rng: random.Random, products, past: MarketEventPage, buyers, now) -> None:
    """History: completed orders, some in the closed market (its counters then match them)."""
    by_pk = {pr.pk: pr for pr in products}
    past_offers = list(MarketOffer.objects.filter(page=past).values_list("product_id", "price_cop"))
    past_slots = list(PickupSlot.objects.filter(page=past).select_related("pickup_point"))
    market_key = f"market:{past.pk}"
    plans = []
    for _n in range(p["past_orders"]):
        in_market = rng.random() < p["past_market_share"]
        if in_market:
            picked = rng.sample(past_offers, rng.randint(1, 4))
            placed = past.opens_at + timedelta(
                seconds=rng.randint(0, int((past.closes_at - past.opens_at).total_seconds()) - 1)
            )
        else:
            picked = [(pr.pk, pr.price_cop) for pr in rng.sample(products, rng.randint(1, 4))]
            placed = now - timedelta(days=rng.randint(2, 365), seconds=rng.randint(0, 86399))
        lines = []
        for product_id, price in picked:
            product = by_pk[product_id]
            quantity = product.min_quantity + product.quantity_step * rng.randint(0, 3)
            lines.append((product, price, quantity, line_total_cop(price, quantity)))
        plans.append(
            (in_market, placed, lines, rng.choice(buyers), rng.choice(past_slots) if in_market else None)
        )

    orders = []
    for in_market, placed, lines, buyer, _slot in plans:
        total = sum(line[3] for line in lines)
        orders.append(
            Order(
                buyer=buyer,
                channel=Channel.MARKET if in_market else Channel.CATALOG,
                channel_key=market_key if in_market else "",
                status=OrderStatus.COMPLETED,
                delivery_method=DeliveryMethod.PICKUP,
                payment_method=PaymentMethod.CASH,
                payment_status=PaymentStatus.PAID,
                subtotal_cop=total,
                delivery_fee_cop=0,
                total_cop=total,
                paid_cop=total,
                placed_at=placed,
            )
        )
    orders = Order.objects.bulk_create(orders, batch_size=500)
    fulfilments = []
    for order, (_m, _p, lines, _b, _s) in zip(orders, plans, strict=True):
        subtotals = {}
        for product, _price, _qty, total in lines:
            subtotals[product.cooperative_id] = subtotals.get(product.cooperative_id, 0) + total
        for coop_id, subtotal in subtotals.items():
            fulfilments.append(
                Fulfilment(
                    order=order,
                    cooperative_id=coop_id,
                    status=FulfilmentStatus.HANDED_OVER,
                    subtotal_cop=subtotal,
                    total_cop=subtotal,
                    paid_cop=subtotal,  # each cooperative recorded its part (cash)
                    paid_at=order.placed_at,
                )
            )
    fulfilments = Fulfilment.objects.bulk_create(fulfilments, batch_size=1000)
    by_order = {(f.order_id, f.cooperative_id): f for f in fulfilments}
    order_lines, events, links = [], [], []
    for order, (in_market, placed, lines, buyer, slot) in zip(orders, plans, strict=True):
        for product, price, quantity, total in lines:
            order_lines.append(
                OrderLine(
                    order=order,
                    fulfilment=by_order[(order.pk, product.cooperative_id)],
                    product=product,
                    product_name=product.name,
                    unit=product.unit,
                    unit_price_cop=price,
                    quantity=quantity,
                    delivered_quantity=quantity,
                    total_cop=total,
                    status=LineStatus.CONFIRMED,
                )
            )
        events.append(OrderEvent(order=order, actor=buyer, at=placed, to_status=OrderStatus.PLACED))
        events.append(
            OrderEvent(
                order=order,
                at=placed + timedelta(days=2),
                from_status=OrderStatus.DELIVERED,
                to_status=OrderStatus.COMPLETED,
            )
        )
        if in_market:
            links.append(
                MarketOrder(
                    order=order,
                    event=past,
                    slot=slot,
                    slot_label=str(slot),
                    handed_over_at=placed + timedelta(days=1),
                )
            )
    OrderLine.objects.bulk_create(order_lines, batch_size=1000)
    OrderEvent.objects.bulk_create(events, batch_size=1000)
    MarketOrder.objects.bulk_create(links, batch_size=1000)
    # The closed market's live counters follow its orders, exactly.
    sold = (
        OrderLine.objects.filter(order__channel_key=market_key)
        .values("product_id")
        .annotate(total=Sum("quantity"))
    )
    for row in sold:
        MarketStock.objects.filter(event=past, product_id=row["product_id"]).update(sold=row["total"])
    for row in MarketOrder.objects.filter(event=past).values("slot_id").annotate(n=Count("id")):
        SlotUsage.objects.filter(slot_id=row["slot_id"]).update(taken=row["n"])


def build(profile: str) -> dict:
    p = PROFILES[profile]
    started = time.monotonic()
    log("  migrating...")
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.monotonic()
    rng = random.Random(SEED)
    now = timezone.now()
    with transaction.atomic():
        log("  buyers, cooperatives, products...")
        past_buyers = _users("historia", p["past_buyers"])
        _users("compra", p["checkout_buyers"])
        _users("apertura", p["rush_buyers"])
        coops = _cooperatives(p, rng, now)
        products = _products(p, rng, coops, now)
        log("  photos and renditions...")
        _photos(p, products)
        log("  markets...")
        markets = _markets(p, rng, products, now)
        log("  past orders...")
        _past_orders(p, rng, products, markets["past"], past_buyers, now)
    counts = {
        "cooperatives": Cooperative.objects.count(),
        "products": Product.objects.count(),
        "product_photos": ProductPhoto.objects.count(),
        "renditions": get_image_model().get_rendition_model().objects.count(),
        "main_market_offers": MarketOffer.objects.filter(page=markets["main"]).count(),
        "big_market_offers": MarketOffer.objects.filter(page=markets["big"]).count(),
        "main_market_pickup_slots": PickupSlot.objects.filter(page=markets["main"]).count(),
        "past_orders": Order.objects.count(),
        "order_lines": OrderLine.objects.count(),
        "users": User.objects.count(),
    }
    _statistics()
    return {
        "counts": counts,
        "migrate_s": round(migrated - started, 1),
        "data_s": round(time.monotonic() - migrated, 1),
    }


def build_search(profile: str, products: int = 0) -> dict:
    """The search scale's own database: `search_products` products (100,000 in the full
    run; `products` when given, as `bench.search_plans` compares sizes) of
    `search_cooperatives` cooperatives, with photos, and nothing else (no market, no
    order: the `search-100k` row only reads the catalogue). Products are written in
    chunks so that memory stays flat."""
    p = dict(PROFILES[profile])
    total, chunk = products or p["search_products"], 20000
    started = time.monotonic()
    log("  migrating...")
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.monotonic()
    rng = random.Random(SEED + 7)
    now = timezone.now()
    coops = _cooperatives({**p, "cooperatives": p["search_cooperatives"]}, rng, now)
    for start in range(0, total, chunk):
        log(f"  products {start + 1:,}-{min(start + chunk, total):,}...")
        with transaction.atomic():
            products = _products({**p, "products": min(chunk, total - start)}, rng, coops, now, first=start)
            _photos({**p, "base_images": 2}, products)
    counts = {
        "cooperatives": Cooperative.objects.count(),
        "products": Product.objects.count(),
        "product_photos": ProductPhoto.objects.count(),
    }
    _statistics()
    return {
        "counts": counts,
        "migrate_s": round(migrated - started, 1),
        "data_s": round(time.monotonic() - migrated, 1),
    }


def _statistics() -> None:
    """PostgreSQL plans from its statistics, which a database just written in bulk has not
    gathered yet (autovacuum comes round a minute or more later): without them the
    `search-100k` row measured sequential scans of 100,000 products (16 s a request), not
    the search. SQLite is left as a new embedded database is."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def write_fingerprint(fingerprint: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key varchar(40) PRIMARY KEY, value text)")
        cursor.execute(f"DELETE FROM {META_TABLE}")
        cursor.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s)", ["fingerprint", fingerprint])


# --- per run ---------------------------------------------------------------------------------


def _sessions(users) -> list[str]:
    """A signed-in session per user, as `django.contrib.auth.login` would leave it.

    Minted here rather than through the login form: the form hashes a password
    (hundreds of milliseconds of CPU each, by design) and allauth limits sign-ins per
    address, so 300 buyers signing in from one loopback address in seconds would
    measure the password hasher and the rate limit, not the market.
    """
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    keys = []
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        from django.contrib.sessions.models import Session
        from django.utils.crypto import get_random_string

        store = engine.SessionStore()
        expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        rows = []
        for user in users:
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: backend,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
            keys.append(key)
        Session.objects.bulk_create(rows, batch_size=500)
        return keys
    for user in users:
        store = engine.SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys.append(store.session_key)
    return keys


def _plain(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f")


def prepare(profile: str) -> dict:
    p = PROFILES[profile]
    rng = random.Random(SEED + 1)
    now = timezone.now()
    main = MarketEventPage.objects.get(slug=MAIN_SLUG)
    rush = MarketEventPage.objects.get(slug=RUSH_SLUG)
    big = MarketEventPage.objects.get(slug=BIG_SLUG)
    with transaction.atomic():
        # Open now, however long ago the database was built (the big one too: storefront-1000).
        MarketEventPage.objects.filter(pk=big.pk).update(
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=2)
        )
        MarketEventPage.objects.filter(pk=main.pk).update(
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=2),
            market_day=(now + timedelta(days=3)).date(),
        )
        # Upcoming until `open-rush` moves its opening to a few seconds ahead.
        MarketEventPage.objects.filter(pk=rush.pk).update(
            opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=2),
            market_day=(now + timedelta(days=3)).date(),
        )
        offers = list(
            MarketOffer.objects.filter(page=main)
            .select_related("product__cooperative")
            .order_by("sort_order")
        )
        checkout_buyers = list(User.objects.filter(email__startswith="compra").order_by("pk"))
        rush_buyers = list(User.objects.filter(email__startswith="apertura").order_by("pk"))
        # A basket of three products (usually from three cooperatives) for every checkout buyer.
        key = f"market:{main.pk}"
        carts = Cart.objects.bulk_create(
            [Cart(user=u, channel_key=key) for u in checkout_buyers], batch_size=500
        )
        lines = []
        for cart in carts:
            for offer in rng.sample(offers, 3):
                lines.append(CartLine(cart=cart, product=offer.product, quantity=offer.product.min_quantity))
        # The reader of the 1,000-offer market (storefront-1000) has a basket there too, as a
        # buyer browsing an open market usually has: her page shows its lines and total.
        cart = Cart.objects.create(user=checkout_buyers[0], channel_key=f"market:{big.pk}")
        first = MarketOffer.objects.filter(page=big).select_related("product").order_by("sort_order")[:3]
        lines += [CartLine(cart=cart, product=o.product, quantity=o.product.min_quantity) for o in first]
        CartLine.objects.bulk_create(lines, batch_size=1000)
        checkout_sessions = _sessions(checkout_buyers)
        rush_sessions = _sessions(rush_buyers)

    scarce = MarketOffer.objects.filter(page=rush).order_by("sort_order").select_related("product").first()
    public = list(
        Product.objects.public().filter(is_available=True).select_related("cooperative").order_by("pk")
    )
    categories = list(Category.objects.filter(parent__isnull=True).values_list("slug", flat=True))
    departments = list(
        Cooperative.objects.verified().values_list("municipality__department_id", flat=True).distinct()
    )
    certifications = list(Certification.objects.values_list("code", flat=True))
    catalogue = []
    for k in range(40):
        query = {"category": rng.choice(categories)}
        if k % 2:
            query["department"] = rng.choice(departments)
        if k % 3 == 0:
            query["certification"] = rng.choice(certifications)
        if k % 5 == 0:
            query = {"q": rng.choice(["cacao", "yuca", "panela", "cafe", "pulpa"]), "category": ""}
        if k % 7 == 0:
            query["page"] = "2"
        catalogue.append(reverse("catalog:list") + "?" + "&".join(f"{a}={b}" for a, b in query.items()))
    main_url = main.specific.url
    rush_url = rush.specific.url
    big_url = big.url
    return {
        "profile": profile,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "home": "/",
        "floor": "/bench/floor/",
        "catalogue": catalogue,
        "products": [
            reverse("catalog:product_detail", args=[pr.cooperative.slug, pr.slug])
            for pr in rng.sample(public, 300 if len(public) > 300 else len(public))
        ],
        "storefront": main_url,
        "storefront_big": big_url,
        # Where the storefront's forms post (cms.urls), not the page's own routes.
        "cart": reverse("cms:market_cart", args=[main.pk]),
        "checkout": reverse("cms:market_checkout", args=[main.pk]),
        "offers": [[o.product_id, _plain(o.product.min_quantity)] for o in offers],
        "checkout_slot": PickupSlot.objects.filter(page=main).order_by("starts_at", "pk").first().pk,
        "checkout_sessions": checkout_sessions,
        # Reads only (storefront-1000): her basket in the big market is filled in the page
        # kept for signed-in buyers.
        "reader_session": checkout_sessions[0],
        "rush": {
            "storefront": rush_url,
            "cart": reverse("cms:market_cart", args=[rush.pk]),
            "checkout": reverse("cms:market_checkout", args=[rush.pk]),
            "product": scarce.product_id,
            "quantity": "1",
            "units": p["rush_units"],
            "window_s": p["rush_window_s"],
            "sessions": rush_sessions,
        },
        "steady": {k: p[k] for k in ("warmup_s", "duration_s", "max_requests", "concurrency")},
    }


def open_rush(lead_s: float) -> dict:
    rush = MarketEventPage.objects.get(slug=RUSH_SLUG)
    opens_at = timezone.now() + timedelta(seconds=lead_s)
    MarketEventPage.objects.filter(pk=rush.pk).update(opens_at=opens_at)
    page_cache.pages_changed()  # a clock moved behind the pages' back: no cached page survives it
    return {"opens_at_epoch": opens_at.timestamp()}


def verify() -> dict:
    """Counters against orders, for every market; the rush market's figures."""
    counted = [OrderStatus.CANCELLED, OrderStatus.EXPIRED]
    markets = {}
    for event in MarketEventPage.objects.filter(slug__in=[MAIN_SLUG, RUSH_SLUG, PAST_SLUG]):
        key = f"market:{event.pk}"
        lines = OrderLine.objects.filter(order__channel_key=key).exclude(order__status__in=counted)
        by_product = {
            r["product_id"]: r["total"] for r in lines.values("product_id").annotate(total=Sum("quantity"))
        }
        stock_mismatch = oversold = 0
        for stock in MarketStock.objects.filter(event=event):
            if stock.sold != by_product.get(stock.product_id, Decimal("0")):
                stock_mismatch += 1
            if stock.sold > stock.capacity:
                oversold += 1
        slot_mismatch = slot_over = 0
        taken = {
            r["slot_id"]: r["n"]
            for r in MarketOrder.objects.filter(event=event, slot_released_at__isnull=True)
            .exclude(order__status__in=counted)
            .values("slot_id")
            .annotate(n=Count("id"))
        }
        for slot in PickupSlot.objects.filter(page=event).select_related("usage"):
            used = slot.usage.taken if hasattr(slot, "usage") else 0
            if used != taken.get(slot.pk, 0):
                slot_mismatch += 1
            if used > slot.capacity or taken.get(slot.pk, 0) > slot.capacity:
                slot_over += 1
        markets[event.slug] = {
            "orders": lines.values("order_id").distinct().count(),
            "stock_counters_mismatched": stock_mismatch,
            "slot_counters_mismatched": slot_mismatch,
            "offers_oversold": oversold,
            "slots_overfilled": slot_over,
        }
    rush = MarketEventPage.objects.get(slug=RUSH_SLUG)
    scarce = MarketOffer.objects.filter(page=rush).order_by("sort_order").first()
    stock = MarketStock.objects.get(event=rush, product_id=scarce.product_id)
    sold_lines = OrderLine.objects.filter(
        order__channel_key=f"market:{rush.pk}", product_id=scarce.product_id
    ).exclude(order__status__in=counted).aggregate(total=Sum("quantity"))["total"] or Decimal("0")
    slots = [
        {"capacity": s.capacity, "taken": s.usage.taken if hasattr(s, "usage") else 0}
        for s in PickupSlot.objects.filter(page=rush).select_related("usage").order_by("starts_at", "pk")
    ]
    return {
        "markets": markets,
        "rush": {
            "offered": float(stock.capacity),
            "units_sold": float(sold_lines),
            "counter_sold": float(stock.sold),
            "oversold": float(max(sold_lines - stock.capacity, Decimal("0"))),
            "orders": markets[RUSH_SLUG]["orders"],
            "slots": slots,
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["build", "build-search", "prepare", "open-rush", "verify"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--fingerprint", default="")
    parser.add_argument("--products", type=int, default=0, help="build-search: this many products")
    parser.add_argument("--lead", type=float, default=3.0)
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    if args.step == "build":
        result = build(args.profile)
        write_fingerprint(args.fingerprint)
    elif args.step == "build-search":
        result = build_search(args.profile, args.products)
        write_fingerprint(args.fingerprint)
    elif args.step == "prepare":
        result = prepare(args.profile)
    elif args.step == "open-rush":
        result = open_rush(args.lead)
    else:
        result = verify()
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
