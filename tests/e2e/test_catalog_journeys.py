"""Catalogue journeys in a real browser: a visitor on a phone, a cooperative manager on a desktop.

Visible labels may be Spanish or English (translations are compiled separately), so elements are
found by URL, `name` attribute or role, never by translated text alone.
"""

import re
from decimal import Decimal

from catalog.models import Category
from tests.e2e.helpers import text as _text
from tests.factories import DEMO_PASSWORD, CooperativeFactory, MembershipFactory, image_bytes, make_product


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_visitor_finds_product_by_search_on_a_phone(phone):
    north = CooperativeFactory(name="Asociación Campesina del Norte")
    south = CooperativeFactory(name="Cooperativa Cacaotera del Sur")
    category = {slug: Category.objects.get(slug=slug) for slug in ("yuca", "cafe", "miel", "cacao", "panela")}
    make_product(north, name="Yuca fresca", category=category["yuca"], price_cop=2500)
    make_product(north, name="Café pergamino", category=category["cafe"], price_cop=12500)
    make_product(north, name="Miel de abejas", category=category["miel"], unit="litro", price_cop=30000)
    make_product(south, name="Cacao en grano", category=category["cacao"], price_cop=18000)
    make_product(south, name="Panela orgánica", category=category["panela"], unit="unidad", price_cop=4000)
    make_product(
        south, name="Yuca amarga", category=category["yuca"], price_cop=2000, min_quantity=Decimal("5")
    )

    # Home page, in Spanish, with its stylesheet actually served by the live server.
    with phone.expect_response(lambda r: r.url.endswith("/static/css/minga.css")) as css:
        response = phone.goto("/")
    assert response.status == 200
    assert css.value.status == 200
    assert phone.locator("html").get_attribute("lang") == "es"
    assert _no_horizontal_scroll(phone)

    # To the catalogue through the main navigation.
    phone.locator('header nav a[href="/catalogo/"]').click()
    phone.wait_for_url(re.compile(r"/catalogo/$"))
    assert phone.locator("article.card").count() == 6
    assert _no_horizontal_scroll(phone)

    # Search without the accent.
    search = phone.locator('form[role="search"] input[name="q"]')
    search.fill("cafe")
    search.press("Enter")
    phone.wait_for_url(re.compile(r"/catalogo/\?.*q=cafe"))
    cards = phone.locator("article.card")
    assert cards.count() == 1
    assert cards.locator("h3").all_inner_texts() == ["Café pergamino"]
    assert "Yuca fresca" not in phone.locator("main").inner_text()
    assert _no_horizontal_scroll(phone)

    # The product page: price in Colombian format, and who grows it.
    cards.first.get_by_role("link").click()
    phone.wait_for_url(re.compile(r"/catalogo/[\w-]+/cafe-pergamino/$"))
    assert phone.locator("h1").inner_text() == "Café pergamino"
    price = phone.locator("p.price").inner_text()
    assert _text(price).startswith("$ 12.500")
    # A no-break space between sign and amount, so the price never wraps on a narrow screen.
    assert phone.locator("p.price").evaluate("el => el.textContent").startswith("$\u00a012.500")
    assert phone.get_by_role("link", name="Asociación Campesina del Norte").is_visible()
    assert _no_horizontal_scroll(phone)


def test_manager_adds_product_with_photo_and_sees_it_in_catalog(desktop, tmp_path):
    cooperative = CooperativeFactory(name="Cooperativa Agroandina")
    manager = MembershipFactory(cooperative=cooperative, role="manager").user
    page = desktop

    # Sign in through allauth's real login page.
    page.goto("/cuenta/login/")
    page.locator('input[name="login"]').fill(manager.email)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(lambda url: "/cuenta/login/" not in url)

    # The workspace, from the main navigation ("Mi cooperativa" / "My cooperative").
    nav_link = page.locator('header nav a[href="/espacio/"]')
    assert re.fullmatch(r"Mi cooperativa|My cooperative", nav_link.inner_text().strip())
    nav_link.click()
    page.wait_for_url(re.compile(rf"/espacio/{cooperative.slug}/$"))

    # Add a product.
    page.locator(f'a[href="/espacio/{cooperative.slug}/productos/nuevo/"]').click()
    page.wait_for_url(re.compile(r"/productos/nuevo/$"))
    page.locator('input[name="name"]').fill("Lulo de la montaña")
    page.locator('select[name="category"]').select_option(label="Frutas")
    page.locator('select[name="unit"]').select_option("kg")
    page.locator('input[name="price_cop"]').fill("6800")
    page.locator('input[name="min_quantity"]').fill("1")
    page.locator('input[name="quantity_step"]').fill("0.5")
    page.locator('input[name="stock"]').fill("40")
    page.locator('form:has(input[name="name"]) button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/espacio/{cooperative.slug}/productos/\d+/$"))
    assert page.locator("h1").inner_text() == "Lulo de la montaña"

    # Upload a photo on the edit page.
    photo = tmp_path / "lulo.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600), color=(230, 160, 20)))
    page.locator('input[name="photo"]').set_input_files(str(photo))
    page.locator('form:has(input[name="photo"]) button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/espacio/{cooperative.slug}/productos/\d+/$"))
    assert page.locator(".thumbs img").count() == 1

    # The public catalogue shows the card with a lazy, sized WebP thumbnail that really loads.
    page.goto("/catalogo/")
    card = page.locator("article.card", has=page.locator("h3", has_text="Lulo de la montaña"))
    assert card.count() == 1
    img = card.locator("img")
    assert img.get_attribute("loading") == "lazy"
    assert img.get_attribute("width") == "400"
    assert img.get_attribute("height") == "300"
    src = img.get_attribute("src")
    assert src.startswith("/media/") and src.endswith(".webp"), src
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert page.request.get(src).headers["content-type"] == "image/webp"
    assert _text(card.locator("p.price").inner_text()).startswith("$ 6.800")


def test_visitor_search_forgives_a_typo_and_marks_the_words_on_a_phone(phone):
    coop = CooperativeFactory(name="Asociación Campesina del Norte", known_for="yuca y huevos")
    make_product(coop, name="Huevos criollos")
    make_product(coop, name="Yuca fresca")
    phone.goto("/catalogo/?q=yuka")
    assert "Resultados para “yuca”." in phone.locator("main").inner_text()
    names = phone.locator("article.card h3").all_inner_texts()
    assert names[0] == "Yuca fresca" and "Huevos criollos" in names
    assert phone.locator("article.card h3 mark").first.inner_text() == "Yuca"
    assert _no_horizontal_scroll(phone)
