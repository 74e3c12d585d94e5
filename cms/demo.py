"""Demo content for the pages (see `manage.py load_demo`): the home page text and three
virtual peasant markets owned by the demo Market Builder (constructora@minga.co).

- An OPEN market in San José del Guaviare: opened yesterday, closes in three days.
- An UPCOMING market in Anorí: opens in five days (COOMULSEPAZ's seedlings and fertiliser).
- A CLOSED bio-secure market in Anorí from last month, with orders placed by demo buyers.

Everything goes through the real paths: pages are added under the market index and
published as Wagtail revisions (so `market_stock_sync` fills the live counters), and the
closed market's orders are placed with `cart_set_quantity` and `order_place` while the
market is briefly open; then its window moves into the past and the orders' timestamps
with it. Placing them sends the usual order e-mails (the console, in development).

Markets are found by slug, so a second run changes nothing. Dates are relative to when the
command runs: when the open market has closed (or the upcoming one has opened) since the
last run, its dates, market day and pickup slots move so that it is open (upcoming) again.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from wagtail.models import Locale
from wagtail.rich_text import RichText

from catalog.models import Product
from cms.markets import services as market_services
from cms.markets.channel import market_key
from cms.models import (
    HomePage,
    MarketEventPage,
    MarketIndexPage,
    MarketOffer,
    MarketState,
    PickupPoint,
    PickupSlot,
    StoryIndexPage,
    StoryPage,
)
from cooperatives.models import Cooperative
from market.demo import demo_user
from market.models import Municipality
from orders import services as order_services
from orders.models import Order, OrderEvent

INTRO = (
    "Compre directo a las cooperativas campesinas que cambiaron la coca por cacao, café, yuca, "
    "pescado y frutas. Sin intermediarios: el precio justo se queda con las familias."
)
HOW_IT_WORKS = (
    "<ol>"
    "<li>Las cooperativas publican lo que cosechan sus familias, por kilo, libra, arroba o docena.</li>"
    "<li>Usted pide a una o varias cooperativas en un mismo pedido.</li>"
    "<li>Recoge el día de mercado en su franja horaria, o lo recibe en casa. "
    "Si el peso entregado cambia, la cuenta también.</li>"
    "</ol>"
    "<p>Los mercados campesinos los organizan las <b>Constructoras de Mercado</b>, "
    "una red de mujeres de los municipios productores.</p>"
)

BUILDER_EMAIL = "constructora@minga.co"
STAFF_EMAIL = "admin@minga.co"  # approves (publishes) the builder's markets
FEATURED = ["coomulsepaz", "frutos-del-guaviare"]  # shown first on the home page
INDEX_TITLE = "Mercados campesinos"
INDEX_SLUG = "mercados"
MARKET_DISCOUNT = Decimal("0.9")  # market prices: about 10 % below the catalogue

GUAVIARE = "95001"  # San José del Guaviare
ANORI = "05040"

# name: (municipality code, address, instructions). The storefront prints "name, address":
# the address is the street and the neighbourhood, never the name again.
PICKUP_POINTS = {
    "Parque Principal de San José del Guaviare": (
        GUAVIARE,
        "Calle 8 con Carrera 22, barrio Centro",
        "Toldo verde de Minga, frente a la alcaldía. Traiga sus bolsas.",
    ),
    "Coliseo Municipal": (
        GUAVIARE,
        "Carrera 24 # 10-35, barrio El Dorado",
        "Entrada por la puerta lateral; fila con distancia de dos metros.",
    ),
    "Parque Principal de Anorí": (
        ANORI,
        "Carrera 50 con Calle 30, Centro",
        "Mesas de las Constructoras de Mercado, junto a la fuente.",
    ),
    "Coliseo Cubierto de Anorí": (
        ANORI,
        "Calle 28 # 49-20, barrio La Plazuela",
        "Entrada con tapabocas; una persona por familia.",
    ),
}


@dataclass
class MarketSpec:
    slug: str
    title: str
    municipality: str
    organisers: str
    intro: str
    state: str
    # (cooperative slug, product slug, quantity for the market, max per buyer or None)
    offers: list
    # (pickup point name, start "HH:MM", minutes, capacity) on market day
    slots: list
    delivery_area: str = ""
    delivery_fee_cop: int = 0
    delivery_min_order_cop: int = 0
    # buyer e-mail, [(product slug, quantity)], slot index or None for delivery, payment
    orders: list = field(default_factory=list)

    def dates(self, today: datetime.date) -> tuple[datetime.datetime, datetime.datetime, datetime.date]:
        """(opens_at, closes_at, market_day) for the wanted state, relative to `today`."""
        if self.state == MarketState.OPEN:
            opens, closes, day = today - _days(1), today + _days(3), today + _days(4)
        elif self.state == MarketState.UPCOMING:
            opens, closes, day = today + _days(5), today + _days(8), today + _days(9)
        else:
            day = today - _days(30)
            opens, closes = day - _days(5), day - _days(1)
        return _at(opens, "08:00"), _at(closes, "18:00"), day


OPEN_MARKET = MarketSpec(
    slug="mercado-campesino-san-jose-del-guaviare",
    title="Mercado campesino de San José del Guaviare",
    municipality=GUAVIARE,
    organisers="Constructoras de Mercado del Guaviare",
    intro=(
        "<p>Pescado de estanque, pulpas de frutas amazónicas, yuca, casabe, chocolate, miel y "
        "huevos criollos, directo de las cooperativas. Pida hasta el cierre y recoja el día de "
        "mercado en su franja horaria, sin filas, o reciba su pedido en casa dentro del casco "
        "urbano.</p>"
    ),
    state=MarketState.OPEN,
    offers=[
        ("frutos-del-guaviare", "cachama", 60, 5),
        ("frutos-del-guaviare", "pulpa-de-araza", 40, None),
        ("frutos-del-guaviare", "pulpa-de-copoazu", 30, None),
        ("frutos-del-guaviare", "pulpa-de-borojo", 20, None),
        ("asoyupguz", "yuca-fresca", 150, None),
        ("asoyupguz", "casabe", 30, None),
        ("asoyupguz", "almidon-de-yuca", 40, None),
        ("asoyupguz", "platano-harton", 10, 2),
        ("cacao-de-paz-putumayo", "chocolate-de-mesa", 30, None),
        ("cacao-de-paz-putumayo", "miel-de-abejas", 12, 2),
        ("cacao-de-paz-putumayo", "huevos-criollos", 20, 3),
        ("cacao-de-paz-putumayo", "panela-de-trapiche", 60, None),
        ("campesinos-anchicaya", "cafe-tostado-y-molido", 30, 3),
    ],
    slots=[
        ("Parque Principal de San José del Guaviare", "07:00", 60, 15),
        ("Parque Principal de San José del Guaviare", "08:00", 60, 15),
        ("Parque Principal de San José del Guaviare", "09:00", 60, 10),
        ("Coliseo Municipal", "08:00", 90, 20),
        ("Coliseo Municipal", "09:30", 90, 20),
    ],
    delivery_area="Casco urbano de San José del Guaviare",
    delivery_fee_cop=5_000,
    delivery_min_order_cop=30_000,
)

UPCOMING_MARKET = MarketSpec(
    slug="mercado-campesino-de-anori",
    title="Mercado campesino de Anorí",
    municipality=ANORI,
    organisers="Constructoras de Mercado de Anorí",
    intro=(
        "<p>Las viveristas de COOMULSEPAZ llevan sus plántulas injertadas, abono orgánico, "
        "lombricompost y aromáticas. Anote la fecha: el mercado abre pronto.</p>"
    ),
    state=MarketState.UPCOMING,
    offers=[
        ("coomulsepaz", "plantulas-de-cacao-clonal", 300, 100),
        ("coomulsepaz", "plantulas-de-aguacate-hass", 50, 10),
        ("coomulsepaz", "plantulas-de-limon-tahiti", 20, 5),
        ("coomulsepaz", "abono-organico-compostado", 30, 5),
        ("coomulsepaz", "lombricompost", 200, None),
        ("coomulsepaz", "biol-abono-liquido", 40, None),
        ("coomulsepaz", "atado-de-hierbabuena", 25, None),
        ("coomulsepaz", "atado-de-cidron-y-toronjil", 20, None),
    ],
    slots=[
        ("Parque Principal de Anorí", "08:00", 60, 15),
        ("Parque Principal de Anorí", "09:00", 60, 15),
    ],
)

CLOSED_MARKET = MarketSpec(
    slug="mercado-campesino-bioseguro-de-anori",
    title="Mercado campesino bioseguro de Anorí",
    municipality=ANORI,
    organisers="Constructoras de Mercado de Anorí",
    intro=(
        "<p>Mercado virtual y bioseguro: se pidió en línea durante cuatro días y se recogió en "
        "franjas escalonadas, sin aglomeraciones.</p>"
    ),
    state=MarketState.CLOSED,
    offers=[
        ("coomulsepaz", "plantulas-de-limon-tahiti", 20, 10),
        ("coomulsepaz", "abono-organico-compostado", 20, 5),
        ("coomulsepaz", "lombricompost", 100, None),
        ("coomulsepaz", "atado-de-hierbabuena", 20, None),
        ("coomulsepaz", "atado-de-cidron-y-toronjil", 20, None),
        ("cacao-de-paz-putumayo", "chocolate-de-mesa", 20, None),
        ("cacao-de-paz-putumayo", "huevos-criollos", 15, 3),
        ("cacao-de-paz-putumayo", "panela-de-trapiche", 40, None),
        ("campesinos-anchicaya", "cafe-tostado-y-molido", 20, 4),
        ("campesinos-anchicaya", "panela-en-bloque", 40, None),
        ("campesinos-anchicaya", "mora-de-castilla", 15, None),
    ],
    slots=[
        ("Parque Principal de Anorí", "08:00", 60, 12),
        ("Parque Principal de Anorí", "09:00", 60, 12),
        ("Coliseo Cubierto de Anorí", "10:00", 60, 12),
    ],
    delivery_area="Casco urbano de Anorí",
    delivery_fee_cop=3_000,
    delivery_min_order_cop=20_000,
    orders=[
        (
            "comprador@minga.co",
            [
                ("atado-de-hierbabuena", "2"),
                ("chocolate-de-mesa", "2"),
                ("cafe-tostado-y-molido", "1"),
                ("huevos-criollos", "1"),
            ],
            0,
            "cash",
        ),
        (
            "hotel@minga.co",
            [("panela-en-bloque", "6"), ("cafe-tostado-y-molido", "3"), ("mora-de-castilla", "2")],
            1,
            "transfer",
        ),
        (
            "socia.coomulsepaz@minga.co",
            [("chocolate-de-mesa", "1"), ("huevos-criollos", "2"), ("panela-de-trapiche", "4")],
            2,
            "cash",
        ),
        (
            "comprador@minga.co",
            [
                ("plantulas-de-limon-tahiti", "10"),
                ("abono-organico-compostado", "2"),
                ("lombricompost", "10"),
            ],
            None,
            "cash",
        ),
    ],
)

MARKETS = (OPEN_MARKET, UPCOMING_MARKET, CLOSED_MARKET)
DELIVERY_ADDRESS = "Calle 30 # 29-15, barrio El Carmen, Anorí"


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _at(day: datetime.date, hhmm: str) -> datetime.datetime:
    """A local (America/Bogota) date and time, made aware."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm)))


def market_price(price_cop: int) -> int:
    """The market price: a bit below the catalogue, rounded to hundreds of pesos."""
    return int((Decimal(price_cop) * MARKET_DISCOUNT / 100).quantize(Decimal("1")) * 100)


# --- Home page ---------------------------------------------------------------------------


def _home(stdout) -> HomePage | None:
    page = HomePage.objects.filter(locale=Locale.get_default()).first()
    if page is None:
        stdout.write("  no home page (run migrate first); skipped")
        return None
    featured = list(Cooperative.objects.filter(slug__in=FEATURED).order_by("slug"))
    current = list(page.featured_cooperatives.order_by("slug"))
    if page.intro == INTRO and page.how_it_works == HOW_IT_WORKS and current == featured:
        stdout.write("  home page already up to date")
        return page
    page.intro = INTRO
    page.how_it_works = HOW_IT_WORKS
    page.featured_cooperatives = featured
    page.save_revision().publish()
    stdout.write("  home page text published")
    return page


# --- Markets -----------------------------------------------------------------------------


def _market_index(home: HomePage) -> MarketIndexPage:
    index = MarketIndexPage.objects.filter(locale=Locale.get_default()).first()
    if index is None:
        index = home.add_child(
            instance=MarketIndexPage(
                title=INDEX_TITLE,
                slug=INDEX_SLUG,
                intro="Mercados virtuales y bioseguros: pida en línea, recoja el día de mercado.",
            )
        )
        index.save_revision().publish()
    return index


def _pickup_points() -> dict[str, PickupPoint]:
    points = {}
    for name, (code, address, instructions) in PICKUP_POINTS.items():
        municipality = Municipality.objects.get(code=code)
        point = PickupPoint.objects.filter(name=name, municipality=municipality).first()
        if point is None:
            point = PickupPoint.objects.create(
                name=name, address=address, municipality=municipality, instructions=instructions
            )
        elif (point.address, point.instructions) != (address, instructions):
            # A demo loaded before its addresses were streets: brought up to date.
            point.address, point.instructions = address, instructions
            point.save(update_fields=["address", "instructions"])
        points[name] = point
    return points


def _products(spec: MarketSpec) -> dict[str, Product]:
    products = Product.objects.select_related("cooperative").filter(
        cooperative__slug__in={c for c, *_ in spec.offers}, slug__in={p for _, p, *_ in spec.offers}
    )
    return {(p.cooperative.slug, p.slug): p for p in products}


def _new_market(spec: MarketSpec, *, index, points, builder, opens_at, closes_at, day) -> MarketEventPage:
    products = _products(spec)
    event = MarketEventPage(
        title=spec.title,
        slug=spec.slug,
        intro=[("paragraph", RichText(spec.intro))],
        organisers=spec.organisers,
        municipality=Municipality.objects.get(code=spec.municipality),
        opens_at=opens_at,
        closes_at=closes_at,
        market_day=day,
        delivery_offered=bool(spec.delivery_area),
        delivery_area=spec.delivery_area,
        delivery_fee_cop=spec.delivery_fee_cop,
        delivery_min_order_cop=spec.delivery_min_order_cop,
        owner=builder,
    )
    event.offers = [
        MarketOffer(
            product=products[(coop, slug)],
            price_cop=market_price(products[(coop, slug)].price_cop),
            quantity=Decimal(quantity),
            max_per_buyer=None if limit is None else Decimal(limit),
            sort_order=n,
        )
        for n, (coop, slug, quantity, limit) in enumerate(spec.offers)
    ]
    event.slots = [
        PickupSlot(
            pickup_point=points[name],
            starts_at=_at(day, start),
            ends_at=_at(day, start) + datetime.timedelta(minutes=minutes),
            capacity=capacity,
            sort_order=n,
        )
        for n, (name, start, minutes, capacity) in enumerate(spec.slots)
    ]
    event.cooperatives = list(Cooperative.objects.filter(slug__in={c for c, *_ in spec.offers}))
    index.add_child(instance=event)
    _publish(event, builder)
    return MarketEventPage.objects.get(pk=event.pk)


def _publish(event: MarketEventPage, builder) -> None:
    """The builder saves the market; platform staff approve it (publishing runs the stock sync)."""
    revision = event.save_revision(user=builder)
    revision.publish(user=demo_user(STAFF_EMAIL))


def _move(event: MarketEventPage, spec: MarketSpec, *, today, builder) -> None:
    """Move a market's window, market day and slots so that it is in `spec.state` again."""
    opens_at, closes_at, day = spec.dates(today)
    shift = day - event.market_day
    event.opens_at, event.closes_at, event.market_day = opens_at, closes_at, day
    if event.market_day_end:
        event.market_day_end += shift
    slots = list(event.slots.all())
    for slot in slots:
        slot.starts_at += shift
        slot.ends_at += shift
    event.slots = slots
    _publish(event, builder)


def _place_orders(event: MarketEventPage, spec: MarketSpec, opens_at: datetime.datetime) -> int:
    """The demo buyers order through the storefront's services while the market is open;
    then their orders are dated within the market's (past) window."""
    slots = list(event.slots.order_by("sort_order", "pk"))
    products = {slug: product.pk for (_coop, slug), product in _products(spec).items()}
    for n, (email, lines, slot_index, payment) in enumerate(spec.orders):
        buyer = demo_user(email)
        cart = order_services.cart_get(user=buyer, create=True, channel_key=market_key(event))
        for slug, quantity in lines:
            order_services.cart_set_quantity(cart=cart, product_id=products[slug], raw_quantity=quantity)
        choice = order_services.CheckoutChoice(
            delivery_method="pickup" if slot_index is not None else "delivery",
            payment_method=payment,
            slot_id=slots[slot_index].pk if slot_index is not None else None,
            delivery_address="" if slot_index is not None else DELIVERY_ADDRESS,
        )
        order = order_services.order_place(buyer=buyer, cart=cart, choice=choice)
        placed_at = opens_at + datetime.timedelta(days=n, hours=2 + 3 * n)  # one a day, 10:00 to 19:00
        Order.objects.filter(pk=order.pk).update(placed_at=placed_at)
        OrderEvent.objects.filter(order=order).update(at=placed_at)
    return len(spec.orders)


def _closed_market(spec: MarketSpec, *, index, points, builder, now) -> MarketEventPage:
    """Open the market around `now`, place its orders, then move its window into the past."""
    opens_at, closes_at, day = spec.dates(timezone.localdate(now))
    event = _new_market(
        spec,
        index=index,
        points=points,
        builder=builder,
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(hours=1),
        day=day,
    )
    _place_orders(event, spec, opens_at)
    event.opens_at, event.closes_at = opens_at, closes_at
    _publish(event, builder)
    # Its closing e-mails "went out" last month: the closing job must not send them now.
    market_services.market_close_claim(event=event, now=closes_at)
    return event


def _markets(home: HomePage, stdout) -> None:
    now = timezone.now()
    today = timezone.localdate(now)
    builder = demo_user(BUILDER_EMAIL)
    index = _market_index(home)
    points = _pickup_points()
    report = []
    for spec in MARKETS:
        event = MarketEventPage.objects.originals().filter(slug=spec.slug).first()
        if event is None:
            if spec.state == MarketState.CLOSED:
                event = _closed_market(spec, index=index, points=points, builder=builder, now=now)
                report.append(f"{spec.title}: closed, {len(spec.orders)} orders")
            else:
                opens_at, closes_at, day = spec.dates(today)
                event = _new_market(
                    spec,
                    index=index,
                    points=points,
                    builder=builder,
                    opens_at=opens_at,
                    closes_at=closes_at,
                    day=day,
                )
                report.append(f"{spec.title}: {spec.state}")
        elif spec.state != MarketState.CLOSED and event.state_at(now) != spec.state:
            _move(event, spec, today=today, builder=builder)
            report.append(f"{spec.title}: dates moved, {spec.state} again")
    if report:
        stdout.write("  markets: " + "; ".join(report))
    else:
        stdout.write("  markets already up to date")


# --- Stories -------------------------------------------------------------------------------
# From the programme reports (see shared seeds): what the cooperatives did, no person named.

STORY_INDEX = {
    "title": "Historias",
    "slug": "historias",
    "intro": "Lo que cambió para las familias que venden sin intermediarios.",
}
STORIES = [
    {
        "slug": "las-viveristas-de-anori",
        "title": "Las viveristas de Anorí fundaron su cooperativa",
        "cooperative": "coomulsepaz",
        "days_ago": 40,
        "intro": (
            "Cerca de 40 mujeres, certificadas como viveristas, recuperaron el vivero municipal y hoy "
            "venden plántulas y abono orgánico."
        ),
        "body": (
            "<p>Durante el Plan de Contingencia, 41 mujeres que trabajan en el vivero municipal de Anorí "
            "se certificaron como viveristas. Recuperaron su infraestructura y empezaron a vender "
            "alimentos y abonos naturales de calidad a los productores de la zona.</p>"
            "<p>Cerca de 40 de ellas fundaron la cooperativa multiactiva COOMULSEPAZ, para seguir con el "
            "vivero y presentar proyectos a las autoridades locales, departamentales y nacionales. Las "
            "especies frutales y aromáticas que cultivan sirven a sus propios proyectos y a la "
            "reforestación del municipio.</p>"
        ),
    },
    {
        "slug": "un-mercado-virtual-en-el-guaviare",
        "title": "Un mercado virtual y bioseguro en San José del Guaviare",
        "cooperative": "frutos-del-guaviare",
        "days_ago": 12,
        "intro": (
            "Con la pandemia, las comunidades llevaron el mercado campesino al teléfono: se pide en "
            "línea y se recoge sin filas."
        ),
        "body": (
            "<p>Frente a la COVID-19, las comunidades de Anorí y San José del Guaviare usaron lo aprendido "
            "para vender en línea: hicieron tres mercados campesinos virtuales y bioseguros.</p>"
            "<p>Los organizan las Constructoras de Mercado, una red de 400 mujeres en los diez "
            "municipios del programa, que aprendieron a mercadear sus productos y a evitar a los "
            "intermediarios para que las familias ganen más.</p>"
        ),
    },
]


def _stories(home: HomePage, stdout) -> None:
    index = StoryIndexPage.objects.filter(locale=home.locale_id).first()
    if index is None:
        index = home.add_child(instance=StoryIndexPage(**STORY_INDEX))
        index.save_revision().publish()
    made = []
    for spec in STORIES:
        if StoryPage.objects.filter(slug=spec["slug"], locale=home.locale_id).exists():
            continue
        story = index.add_child(
            instance=StoryPage(
                slug=spec["slug"],
                title=spec["title"],
                intro=spec["intro"],
                body=[("paragraph", RichText(spec["body"]))],
                cooperative=Cooperative.objects.filter(slug=spec["cooperative"]).first(),
                published_on=timezone.localdate() - _days(spec["days_ago"]),
            )
        )
        story.save_revision().publish()
        made.append(spec["slug"])
    stdout.write("  stories: " + (", ".join(made) + " published" if made else "already there"))


# --- English pages -------------------------------------------------------------------------
# What staff would do with "Translate" in the page menu: English copies of the home page,
# the market index and the markets, their texts translated. The markets sell through
# their Spanish originals (one stock, one set of slots).

ENGLISH = {
    "home": {
        "title": "Minga",
        "intro": (
            "Buy directly from the peasant cooperatives that swapped coca for cocoa, coffee, "
            "cassava, fish and fruit. No middlemen: the fair price stays with the families."
        ),
        "how_it_works": (
            "<ol>"
            "<li>Cooperatives list what their families harvest, by the kilo, pound, arroba or dozen.</li>"
            "<li>You order from one or several cooperatives in a single order.</li>"
            "<li>You pick up on market day in your time slot, or receive it at home. "
            "If the delivered weight changes, so does the bill.</li>"
            "</ol>"
            "<p>The peasant markets are run by the <b>Market Builders</b>, a network of women "
            "from the producing municipalities.</p>"
        ),
    },
    "index": {
        "title": "Peasant markets",
        "intro": "Virtual, bio-secure markets: order online, pick up on market day.",
    },
    "stories": {
        "title": "Stories",
        "intro": "What changed for the families who sell without middlemen.",
    },
    "las-viveristas-de-anori": {
        "title": "The nursery women of Anorí founded their cooperative",
        "intro": (
            "Nearly 40 women, certified as nursery growers, recovered the municipal nursery and now "
            "sell seedlings and organic fertiliser."
        ),
        "body": (
            "<p>During the Contingency Plan, 41 women working at the municipal nursery of Anorí were "
            "certified as nursery growers. They recovered its buildings and began selling food and "
            "high-quality natural fertilisers to local producers.</p>"
            "<p>Nearly 40 of them founded the multi-active cooperative COOMULSEPAZ to keep the nursery "
            "going and to put projects to the local, departmental and national authorities. The fruit "
            "and herb species they grow serve their own projects and the reforestation of the "
            "municipality.</p>"
        ),
    },
    OPEN_MARKET.slug: {
        "title": "San José del Guaviare peasant market",
        "organisers": "Market Builders of Guaviare",
        "intro": (
            "<p>Pond fish, Amazonian fruit pulps, cassava, casabe bread, chocolate, honey and "
            "free-range eggs, straight from the cooperatives. Order until closing time and pick "
            "up on market day in your time slot, with no queues, or have it delivered in town.</p>"
        ),
    },
    UPCOMING_MARKET.slug: {
        "title": "Anorí peasant market",
        "organisers": "Market Builders of Anorí",
        "intro": (
            "<p>The nursery growers of COOMULSEPAZ bring grafted seedlings, organic compost, "
            "worm castings and herbs. Save the date: the market opens soon.</p>"
        ),
    },
}


def _translate(page, locale: Locale, texts: dict):
    """The page's English translation, made and published once with `texts`."""
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific, False
    copy = page.copy_for_translation(locale)
    copy = type(page).objects.get(pk=copy.pk)  # as stored: a market's copy keeps no offers
    for name, value in texts.items():
        if (name, type(page)) in (("intro", MarketEventPage), ("body", StoryPage)):
            value = [("paragraph", RichText(value))]
        setattr(copy, name, value)
    copy.save_revision(user=demo_user(STAFF_EMAIL)).publish(user=demo_user(STAFF_EMAIL))
    return copy, True


def _english(home: HomePage, stdout) -> None:
    english = Locale.objects.filter(language_code="en").first()
    if english is None:
        stdout.write("  no English locale (run migrate first); skipped")
        return
    made = []
    _page, new = _translate(home, english, ENGLISH["home"])
    made += ["home"] if new else []
    index = MarketIndexPage.objects.filter(locale=home.locale_id).first()
    if index is not None:
        _page, new = _translate(index, english, ENGLISH["index"])
        made += ["markets"] if new else []
        for event in MarketEventPage.objects.child_of(index).filter(slug__in=list(ENGLISH)):
            _page, new = _translate(event, english, ENGLISH[event.slug])
            made += [event.slug] if new else []
    stories = StoryIndexPage.objects.filter(locale=home.locale_id).first()
    if stories is not None:
        _page, new = _translate(stories, english, ENGLISH["stories"])
        made += ["stories"] if new else []
        for story in StoryPage.objects.child_of(stories).filter(slug__in=list(ENGLISH)):
            _page, new = _translate(story, english, ENGLISH[story.slug])
            made += [story.slug] if new else []
    stdout.write("  English pages: " + (", ".join(made) + " translated" if made else "already there"))


def load(*, stdout) -> None:
    home = _home(stdout)
    if home is None:
        return
    _markets(home, stdout)
    _stories(home, stdout)
    _english(home, stdout)
