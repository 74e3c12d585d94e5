"""What several browser journeys share: reading text, signing in, a phone-width check, the
Guaviare cooperatives and their goods."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Category
from cms.models import PickupPoint
from market.models import Municipality
from tests.cms.factories import make_market
from tests.factories import DEMO_PASSWORD, CooperativeFactory, make_product

GUAVIARE = "95001"  # San José del Guaviare


def text(s: str) -> str:
    """Collapse every kind of whitespace (including U+00A0) to one plain space."""
    return " ".join(s.split())


def fits_the_phone(page) -> bool:
    """No sideways scrolling. On a mobile viewport `window.innerWidth` grows with wide
    content, so the page is measured against the layout viewport (`clientWidth`)."""
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def sign_in(page, user) -> None:
    page.goto("/cuenta/login/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(lambda url: "/cuenta/login/" not in url)


def local(day, hhmm: str) -> datetime:
    """`day` at `hhmm` in Bogotá."""
    return timezone.make_aware(datetime.combine(day, time.fromisoformat(hhmm)))


def guaviare_goods():
    """Two verified cooperatives of the Guaviare, a product each, and a pickup point:
    ((fish cooperative, cachama), (cassava cooperative, yuca), point)."""
    guaviare = Municipality.objects.get(code=GUAVIARE)
    fish = CooperativeFactory(name="Frutos del Guaviare", slug="frutos-del-guaviare", municipality=guaviare)
    cassava = CooperativeFactory(name="ASOYUPGUZ", slug="asoyupguz", municipality=guaviare)
    cachama = make_product(
        fish,
        name="Cachama fresca",
        category=Category.objects.get(slug="pescado"),
        price_cop=14000,
        stock=Decimal("50"),
    )
    yuca = make_product(cassava, name="Yuca fresca", price_cop=1800, stock=Decimal("200"))
    point = PickupPoint.objects.create(
        name="Parque Principal de San José del Guaviare",
        address="Calle 8 con Carrera 22",
        municipality=guaviare,
        instructions="Toldo verde frente a la alcaldía.",
    )
    return (fish, cachama), (cassava, yuca), point


def slot_places(page, slot) -> str:
    """The places left in `slot` on the market page's pickup-point line ("08:00–09:00 (10 …")."""
    times = f"{timezone.localtime(slot.starts_at):%H:%M}–{timezone.localtime(slot.ends_at):%H:%M}"
    found = re.search(rf"{times} \((\d+) ", text(page.locator("#cesta").inner_text()))
    assert found, text(page.locator("#cesta").inner_text())
    return found[1]


def san_jose_market():
    """An open market of the Guaviare goods, two slots on market day (10 and 15 places):
    (market, cachama, yuca)."""
    (_fish, cachama), (_cassava, yuca), point = guaviare_goods()
    day = timezone.localdate() + timedelta(days=4)
    market = make_market(
        title="Mercado campesino de San José",
        offers=[(cachama, 12500, 40), (yuca, 1600, 150)],
        slots=[(point, local(day, "08:00"), 10), (point, local(day, "09:00"), 15)],
    )
    return market, cachama, yuca
