"""A small programme's sales, built through the app's services, whose figures were worked
out by hand (see `HAND`). Dates: March 2026 (and one sale in February, the period before)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from catalog.models import Category
from cooperatives.models import MembershipRole
from market.models import Municipality
from orders import services, supply, transitions
from orders.models import Order
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, MembershipFactory, ProducerFactory, UserFactory, make_product
from tests.orders.factories import make_organization, place_order

BOGOTA = ZoneInfo("America/Bogota")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=BOGOTA)


def _dated(order: Order, when: datetime) -> Order:
    Order.objects.filter(pk=order.pk).update(placed_at=when)
    return order


def build() -> dict:
    anori = CooperativeFactory(name="Viveristas de Anorí", slug="viveristas")  # 05040 Anorí, Antioquia
    guaviare = CooperativeFactory(
        name="Frutos del Guaviare", slug="frutos", municipality=Municipality.objects.get(code="95001")
    )
    manager = MembershipFactory(cooperative=anori, role=MembershipRole.MANAGER).user
    manager_b = MembershipFactory(cooperative=guaviare, role=MembershipRole.MANAGER).user
    ana = ProducerFactory(cooperative=anori, name="Ana", gender="female", consents_to_aggregate=True)
    bea = ProducerFactory(cooperative=anori, name="Bea", gender="female", consents_to_aggregate=True)
    carla = ProducerFactory(cooperative=anori, name="Carla", consents_to_aggregate=False)
    dario = ProducerFactory(cooperative=anori, name="Darío", gender="male", consents_to_aggregate=True)
    yuca = make_product(anori, name="Yuca", unit="kg", price_cop=2000, stock=Decimal("100"))
    yuca.producers.set([ana])
    panela = make_product(
        anori, name="Panela", unit="arroba", price_cop=30000, stock=Decimal("20"), quantity_step=Decimal("1")
    )
    panela.producers.set([bea, dario])
    queso = make_product(anori, name="Queso", unit="libra", price_cop=6000, stock=Decimal("20"))
    queso.producers.set([carla])
    cilantro = make_product(
        anori, name="Cilantro", unit="atado", price_cop=1500, category=Category.objects.get(slug="verduras")
    )
    cilantro.producers.set([ana])
    huevos = make_product(guaviare, name="Huevos", unit="docena", price_cop=12000, stock=Decimal("20"))

    household = UserFactory(email="hogar@example.org")
    hotel_buyer = UserFactory(email="compras@hotel.example.org")
    hotel = make_organization(member=hotel_buyer, credit_days=30, credit_limit_cop=1_000_000)

    # 1. A household: cassava weighed 9,5 kg instead of 10; panela split 1,5 : 0,5 arrobas
    #    between Bea and Darío; cheese from Carla (no consent); coriander rejected.
    first = _dated(place_order(household, [(yuca, 10), (panela, 2), (queso, 4), (cilantro, 2)]), at(3, 5))
    part = first.fulfilments.get()
    transitions.fulfilment_transition(fulfilment=part, to="confirmed", actor=manager)
    lines = {line.product_name: line for line in part.lines.all()}
    services.line_record_delivery(line=lines["Yuca"], delivered_quantity="9,5", actor=manager)
    services.line_reject(line=lines["Cilantro"], actor=manager)
    supply.line_supply_record(line=lines["Panela"], shares={bea.pk: "1,5", dario.pk: "0,5"}, actor=manager)

    # 2. The hotel: cassava from Anorí and eggs from the Guaviare (no family recorded).
    _dated(
        place_order(hotel_buyer, [(yuca, 5), (huevos, 2)], organization=hotel, payment_method="invoice"),
        at(3, 12),
    )
    # 3. Cancelled by its buyer: never counted.
    cancelled = _dated(place_order(household, [(yuca, 3)]), at(3, 14))
    services.order_cancel_by_buyer(order=cancelled, buyer=household)
    # 4. A market order: 2 kg of cassava at the market's price of $ 1.800.
    market = make_market(title="Mercado de Anorí", offers=[(yuca, 1800, 50)])
    neighbour = UserFactory(email="vecina@example.org")
    cart = services.cart_get(user=neighbour, create=True, channel_key=f"market:{market.pk}")
    services.cart_set_quantity(cart=cart, product_id=yuca.pk, raw_quantity="2")
    choice = services.CheckoutChoice(
        delivery_method="pickup", payment_method="cash", slot_id=market.slots.first().pk
    )
    _dated(services.order_place(buyer=neighbour, cart=cart, choice=choice), at(3, 20))
    # The period before (February): Anorí sold $ 2.000, the Guaviare nothing.
    _dated(place_order(household, [(yuca, 1)]), at(2, 10))
    return {
        "anori": anori,
        "guaviare": guaviare,
        "manager": manager,
        "manager_b": manager_b,
        "market": market,
        "products": {"yuca": yuca, "panela": panela, "queso": queso, "huevos": huevos},
        "household": household,
        "producers": [ana, bea, carla, dario],
    }


# Worked out by hand from the orders above, for March 2026:
#   cassava 9,5 kg x 2.000 = 19.000 (household) + 5 kg x 2.000 = 10.000 (hotel)
#     + 2 kg x 1.800 = 3.600 (market)
#   panela 2 arrobas x 30.000 = 60.000 -> Bea 45.000, Darío 15.000
#   cheese 4 libras x 6.000 = 24.000 -> Carla (no consent: undisclosed)
#   eggs 2 dozen x 12.000 = 24.000 -> no family recorded
HAND = {
    "sales_cop": 19_000 + 10_000 + 3_600 + 60_000 + 24_000 + 24_000,  # 140.600
    "kilos": Decimal("9.5") + 5 + 2 + 2 * Decimal("12.5") + 4 * Decimal("0.5"),  # 43,5
    "orders": 3,
    "households": 2,  # the household and the neighbour at the market
    "institutions": 1,
    "families": 4,  # Ana, Bea, Carla, Darío
    "women_families": 2,  # Ana, Bea (Carla gave no consent)
    "men_families": 1,
    # Ana 19.000 + 10.000 + 3.600, Bea 45.000 = 77.600 of 140.600
    "women_share_pct": Decimal("55.2"),
    "cooperatives_grew": 1,  # Anorí: 116.600 against 2.000; the Guaviare sold nothing before
    "markets_held": 1,
    "market_households": 1,
}
