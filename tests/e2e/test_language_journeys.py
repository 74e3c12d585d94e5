"""Language journeys in a real browser, on phones: pages in Spanish at /…, their English
translations (Wagtail locales) at /en/…, and the footer's plain language links between them.

A market's English translation has its own title but sells through its Spanish original:
the same offers, stock, pickup slots, basket and orders. A buyer who switches to English
halfway through her basket keeps it, orders in English, and the order, the stock and the
slot are those of the Spanish market. A visitor reading the English list of markets finds
a market nobody translated yet, in Spanish, and opening it keeps the site in English.

Only the starting data (cooperatives, products, the market, its English translation as
staff make it with "Translate", people) is made in Python; the rest goes through links,
forms and buttons. Elements are found by URL, `lang`/`hreflang`, `name` attribute or role;
the few messages compared are the app's own translations, read with `translation.override`.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from wagtail.models import Locale

from cms.models import HomePage, MarketEventPage, MarketIndexPage, MarketStock, SlotUsage
from orders.models import Cart, Order
from tests.cms.factories import make_market
from tests.e2e.helpers import fits_the_phone as _fits_the_phone
from tests.e2e.helpers import guaviare_goods, san_jose_market, slot_places
from tests.e2e.helpers import local as _local
from tests.e2e.helpers import sign_in as _sign_in
from tests.factories import UserFactory

ORDER_URL = re.compile(r"/en/pedidos/(?P<number>[^/]+)/$")


def _in(language: str, message: str, **values) -> str:
    """One of the app's messages as a page in `language` shows it."""
    with translation.override(language):
        return gettext(message) % values


def _path(page) -> str:
    return page.evaluate("location.pathname")


def _language(page) -> str:
    return page.locator("html").get_attribute("lang")


def _translate(page, title: str):
    """What staff's "Translate" does, then the translator's title, then publish."""
    copy = page.copy_for_translation(Locale.objects.get(language_code="en"))
    copy = type(page).objects.get(pk=copy.pk)
    copy.title = title
    copy.save_revision().publish()
    return type(page).objects.get(pk=copy.pk)


def _english_tree(*markets_and_titles):
    """The English home and market index (in that order), then each market's translation."""
    _translate(HomePage.objects.get(locale=Locale.get_default()), "Minga")
    _translate(MarketIndexPage.objects.get(locale=Locale.get_default()), "Peasant markets")
    return [_translate(market, title) for market, title in markets_and_titles]


def _follow_language_link(page, code: str) -> None:
    """The footer's plain link to this page in the other language (no script involved)."""
    link = page.locator(f'footer nav.languages a[lang="{code}"][hreflang="{code}"]')
    expect(link).to_have_count(1)
    with page.expect_navigation():
        link.click()
    assert _language(page) == code, page.url
    expect(page.locator(f'footer nav.languages strong[lang="{code}"]')).to_have_count(1)


def _card(page, product_name: str):
    return page.locator("article.card", has=page.locator("h3", has_text=product_name))


def _add_to_basket(page, product_name: str, quantity: str) -> None:
    card = _card(page, product_name)
    card.locator('input[name="quantity"]').fill(quantity)
    with page.expect_navigation():
        card.locator('button[type="submit"]').click()
    expect(_card(page, product_name).locator("p.note")).to_contain_text(product_name)  # next to it


# --- a. A buyer switches to English halfway through her basket and orders there ---------------


def test_buyer_switches_to_english_and_orders_through_the_spanish_market(phone):
    market, cachama, yuca = san_jose_market()
    (market_en,) = _english_tree((market, "San José peasant market"))
    assert market_en.url.startswith("/en/") and market_en.trading_event.pk == market.pk
    early, late = market.slots.order_by("starts_at")
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")

    _sign_in(phone, buyer)
    # The Spanish market, from the Spanish list of markets: 3 kg of yuca in the basket.
    phone.goto("/mercados/")
    assert _language(phone) == "es"
    phone.locator(f'main a[href="{market.url}"]').first.click()
    phone.wait_for_url(re.compile(rf"{re.escape(market.url)}$"))
    expect(phone.locator("h1")).to_have_text(market.title)
    _add_to_basket(phone, "Yuca fresca", "3")
    assert _path(phone) == market.url

    # The footer's "English" link: the same market, in English, under /en/.
    _follow_language_link(phone, "en")
    assert _path(phone) == market_en.url and _path(phone).startswith("/en/")
    expect(phone.locator("h1")).to_have_text("San José peasant market")
    expect(phone.locator("footer nav.languages a[lang='es']")).to_have_attribute("href", market.url)
    # The original's offers and pickup slots, and the basket started in Spanish.
    offers = phone.locator("article.card")
    expect(offers).to_have_count(2)
    expect(_card(phone, "Cachama fresca")).to_contain_text("12.500")
    basket = phone.locator("#cesta")
    expect(basket).to_contain_text("Yuca fresca")
    assert slot_places(phone, late) == "15"
    assert _fits_the_phone(phone)

    # 2,5 kg of cachama, added on the English page, which stays in English.
    _add_to_basket(phone, "Cachama fresca", "2,5")
    assert _path(phone) == market_en.url and _language(phone) == "en"
    expect(basket).to_contain_text("Cachama fresca")
    expect(basket).to_contain_text("Yuca fresca")
    # 2,5 kg x 12.500 + 3 kg x 1.600 = 36.050
    expect(basket.locator("p.total strong")).to_have_text(re.compile(r"\$\s36\.050"))

    # Checkout, in English, with the Spanish market's pickup slots.
    basket.locator('a[href$="/pedido/"]').click()
    phone.wait_for_url(re.compile(rf"{re.escape(market_en.url)}pedido/$"))
    assert _language(phone) == "en"
    expect(phone.locator("h1")).to_have_text("San José peasant market")
    expect(phone.locator("main p.total strong")).to_have_text(re.compile(r"\$\s36\.050"))
    expect(phone.locator('input[name="slot"]')).to_have_count(2)
    phone.locator(f'input[name="slot"][value="{late.pk}"]').check()
    phone.locator('input[name="payment_method"][value="cash"]').check()
    with phone.expect_navigation():
        phone.locator('main form.stack button[type="submit"]').click()

    # The confirmation, in English.
    match = ORDER_URL.search(phone.url)
    assert match, phone.url
    number = match["number"]
    assert _language(phone) == "en"
    thanks = _in("en", "Thank you! Your order %(number)s was placed.", number=number)
    expect(phone.locator("ul.messages li.msg-success")).to_have_text(thanks)
    expect(phone.locator("h1")).to_have_text(_in("en", "Order %(number)s", number=number))
    expect(phone.locator("main p.total strong")).to_have_text(re.compile(r"\$\s36\.050"))

    # One order of the Spanish market: its key, its stock, its slot; nothing on the translation.
    order = Order.objects.get(number=number)
    assert (order.buyer, order.payment_method, order.total_cop) == (buyer, "cash", 36_050)
    assert order.channel_key == f"market:{market.pk}"
    assert order.market_link.event_id == market.pk and order.market_link.slot_id == late.pk
    assert sorted((line.product_id, line.quantity) for line in order.lines.all()) == sorted(
        [(cachama.pk, Decimal("2.5")), (yuca.pk, Decimal("3"))]
    )
    sold = {s.product_id: s.sold for s in MarketStock.objects.filter(event=market)}
    assert sold == {cachama.pk: Decimal("2.5"), yuca.pk: Decimal("3")}
    assert not MarketStock.objects.filter(event=market_en).exists()
    assert SlotUsage.objects.get(slot=late).taken == 1
    assert SlotUsage.objects.get(slot=early).taken == 0
    assert not Cart.objects.filter(channel_key=f"market:{market_en.pk}").exists()
    assert not MarketEventPage.objects.get(pk=market_en.pk).market_orders.exists()

    # The English page, then the Spanish one through the footer: one place less in her slot,
    # 37,5 kg of cachama left, and the basket empty in both languages.
    phone.goto(market_en.url)
    assert slot_places(phone, late) == "14" and slot_places(phone, early) == "10"
    expect(_card(phone, "Cachama fresca")).to_contain_text("37,5")
    expect(phone.locator("#cesta li", has_text="Cachama fresca")).to_have_count(0)
    _follow_language_link(phone, "es")
    assert _path(phone) == market.url
    expect(phone.locator("h1")).to_have_text(market.title)
    assert slot_places(phone, late) == "14" and slot_places(phone, early) == "10"
    expect(_card(phone, "Cachama fresca")).to_contain_text("37,5")
    expect(phone.locator("#cesta li", has_text="Yuca fresca")).to_have_count(0)


# --- b. A visitor reading in English finds a market nobody translated yet ---------------------


def test_english_index_lists_an_untranslated_market_and_stays_in_english(phone):
    (_fish, cachama), (_cassava, yuca), point = guaviare_goods()
    day = timezone.localdate() + timedelta(days=4)
    translated = make_market(
        title="Mercado campesino de San José",
        offers=[(cachama, 12500, 40)],
        slots=[(point, _local(day, "08:00"), 10)],
    )
    untranslated = make_market(
        title="Mercado de la yuca de El Retorno",
        offers=[(yuca, 1600, 150)],
        slots=[(point, _local(day, "09:00"), 15)],
    )
    (translated_en,) = _english_tree((translated, "San José peasant market"))

    # The Spanish home, then "English" in the footer, then the English list of markets.
    phone.goto("/")
    assert _language(phone) == "es"
    _follow_language_link(phone, "en")
    assert _path(phone) == "/en/"
    phone.goto("/en/mercados/")
    assert _language(phone) == "en"
    markets = phone.locator("main ul.markets")
    # The translated market once, by its English title; the other one in Spanish.
    expect(markets.locator(f'a[href="{translated_en.url}"]')).to_have_text("San José peasant market")
    expect(markets).not_to_contain_text(translated.title)
    english_address = "/en" + untranslated.url
    link = markets.locator(f'a[href="{english_address}"]')
    expect(link).to_have_text(untranslated.title)
    expect(markets.locator(f'a[href="{untranslated.url}"]')).to_have_count(0)

    # Opening it keeps the site in English, under /en/, with the market's offers and slots.
    link.click()
    phone.wait_for_url(re.compile(rf"{re.escape(english_address)}$"))
    assert _language(phone) == "en"
    expect(phone.locator("h1")).to_have_text(untranslated.title)
    expect(phone.locator("article.card")).to_have_count(1)
    expect(_card(phone, "Yuca fresca")).to_contain_text("1.600")
    assert slot_places(phone, untranslated.slots.get()) == "15"
    expect(phone.locator("footer nav.languages a[lang='es']")).to_have_attribute("href", untranslated.url)
    assert _fits_the_phone(phone)
