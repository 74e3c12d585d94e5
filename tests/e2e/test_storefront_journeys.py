"""A buyer fills her market basket on a 390 px phone, without signing in (issues 12 and 13).

She adds from a long storefront and lands back at the product she added, with what the
market says about it next to it (an error too, not 3,700 px above); the header counts her
basket; in her basket she changes a quantity rather than removing and adding again.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from tests.cms.factories import make_market
from tests.e2e.helpers import guaviare_goods, local
from tests.factories import make_product


def _long_market():
    """Sixteen offers: Yuca fresca last, far below the first screen of a phone."""
    (fish, cachama), (cassava, yuca), point = guaviare_goods()
    others = [
        make_product(fish, name=f"Pescado seco {n}", price_cop=9000 + n * 100, stock=Decimal("30"))
        for n in range(14)
    ]
    day = timezone.localdate() + timedelta(days=4)
    market = make_market(
        title="Mercado campesino de San José",
        offers=[(cachama, 12500, 40)] + [(p, 8000, 20) for p in others] + [(yuca, 1600, 150)],
        slots=[(point, local(day, "08:00"), 10)],
    )
    return market, cachama, yuca


def _card(page, name: str):
    return page.locator("article.card", has=page.locator("h3", has_text=name))


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] < height and box["y"] + box["height"] > 0


def test_she_adds_lands_at_the_product_sees_the_error_there_and_changes_a_quantity(phone):
    market, cachama, yuca = _long_market()
    phone.goto(market.url)
    expect(phone.locator("header nav")).not_to_contain_text(re.compile(r"Canasta\s*\d"))

    # Add 3 kg of yuca from the bottom of the storefront: she lands at the yuca, told there.
    card = _card(phone, "Yuca fresca")
    card.locator('input[name="quantity"]').fill("3")
    with phone.expect_navigation():
        card.locator('button[type="submit"]').click()
    assert phone.url.endswith(f"#oferta-{yuca.pk}"), phone.url
    card = _card(phone, "Yuca fresca")
    expect(card.locator("p.note.msg-success")).to_contain_text("Yuca fresca: 3 kilos en su canasta")
    assert phone.evaluate("window.scrollY") > 300 and _in_view(phone, card)
    expect(phone.locator("ul.messages")).to_have_count(0)
    expect(phone.locator("header nav a", has_text="Canasta")).to_contain_text("1")

    # Below the minimum: the error is on the cachama's card, where she is.
    card = _card(phone, "Cachama fresca")
    card.locator('input[name="quantity"]').fill("0,5")
    with phone.expect_navigation():
        card.locator('button[type="submit"]').click()
    assert phone.url.endswith(f"#oferta-{cachama.pk}"), phone.url
    card = _card(phone, "Cachama fresca")
    expect(card.locator("p.note.msg-error")).to_contain_text("El mínimo es 1")
    assert _in_view(phone, card)

    # In her basket: 5 kg of yuca instead of 3, without removing it.
    line = phone.locator("#cesta li", has_text="Yuca fresca")
    line.locator('input[name="quantity"]').fill("5")
    with phone.expect_navigation():
        line.get_by_role("button", name="Cambiar").click()
    assert phone.url.endswith(f"#cesta-{yuca.pk}"), phone.url
    line = phone.locator("#cesta li", has_text="Yuca fresca")
    expect(line.locator('input[name="quantity"]')).to_have_value("5")
    expect(line).to_contain_text("$ 8.000")  # 5 kg x $ 1.600
    expect(line.locator("p.note")).to_contain_text("Yuca fresca: 5 kilos en su canasta")
    assert _in_view(phone, line)
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
