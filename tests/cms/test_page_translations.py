"""Pages in Spanish first and English second, through Wagtail's locales.

Staff translate a page with "Translate" (wagtail.contrib.simple_translation); /en/…
serves the English tree. A market's English page shows its own texts but sells through
its Spanish original: one stock, one set of pickup slots, one set of orders, one clock,
one closing e-mail.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import Locale, Page

from cms.markets import permissions
from cms.markets.closing import markets_close_due
from cms.markets.page_form import MarketEventPageForm
from cms.models import HomePage, MarketEventPage, MarketIndexPage, MarketOffer, MarketStock, PickupSlot
from orders.models import CartLine, Order
from tests.cms.factories import make_builder, make_market, market_index
from tests.factories import CooperativeFactory, UserFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(db):
    return Locale.objects.get(language_code="en")


@pytest.fixture
def goods(db):
    cooperative = CooperativeFactory(name="Asoprocaguaviare")
    return [
        make_product(cooperative, name="Arazá", price_cop=5000, stock=None, quantity_step=Decimal("1")),
        make_product(cooperative, name="Casabe", price_cop=4000, stock=None, quantity_step=Decimal("1")),
    ]


@pytest.fixture
def event(goods):
    return make_market(
        title="Mercado campesino del Guaviare", offers=[(goods[0], 4500, 20), (goods[1], 3600, 5)]
    )


def translate(page, locale, **texts):
    """What "Translate" does, then the translator's texts, then publish."""
    copy = page.copy_for_translation(locale, copy_parents=False)
    copy = type(page.specific).objects.get(pk=copy.pk)
    for name, value in texts.items():
        setattr(copy, name, value)
    copy.save_revision().publish()
    return type(page.specific).objects.get(pk=copy.pk)


@pytest.fixture
def english_tree(event, english):
    home = HomePage.objects.get(locale=Locale.get_default())
    home_en = translate(home, english, title="Minga", intro="Buy straight from the cooperatives.")
    index_en = translate(market_index(), english, title="Peasant markets")
    event_en = translate(event, english, title="Guaviare peasant market")
    return home_en, index_en, event_en


def test_english_is_a_content_language_after_migrate(english):
    assert Locale.get_default().language_code == "es"
    assert english.language_code == "en"


def test_english_pages_are_served_under_en_and_spanish_stays_at_the_root(client, english_tree, event):
    _home_en, _index_en, event_en = english_tree
    assert event_en.url.startswith("/en/")
    page = client.get("/en/").content.decode()
    assert "Buy straight from the cooperatives." in page
    assert '<html lang="en">' in page
    spanish = client.get(event.url).content.decode()
    english_page = client.get(event_en.url).content.decode()
    assert "Mercado campesino del Guaviare" in spanish and "Guaviare peasant market" not in spanish
    assert "Guaviare peasant market" in english_page
    # The English page sells the original's offers.
    assert english_page.count('class="card"') == 2
    assert "Arazá" in english_page


def test_the_language_links_lead_to_the_same_page_in_the_other_language(client, english_tree, event):
    _home_en, _index_en, event_en = english_tree
    spanish = client.get(event.url).content.decode()
    assert f'href="{event_en.url}" lang="en"' in spanish
    english_page = client.get(event_en.url).content.decode()
    assert f'href="{event.url}" lang="es"' in english_page
    catalogue = client.get("/en/catalogo/").content.decode()
    assert 'href="/catalogo/" lang="es"' in catalogue
    # The search and the page chosen go along; the same address asked again is answered alike.
    for _ in range(2):
        searched = client.get("/catalogo/", {"q": "café", "page": "2"}).content.decode()
        assert 'href="/en/catalogo/?q=caf%C3%A9&amp;page=2" lang="en"' in searched


def test_a_translation_keeps_no_offers_or_slots_and_takes_the_originals_clock(english_tree, event):
    _home_en, _index_en, event_en = english_tree
    assert not MarketOffer.objects.filter(page=event_en).exists()
    assert not PickupSlot.objects.filter(page=event_en).exists()
    assert event_en.trading_event.pk == event.pk and event_en.is_translation
    assert event.trading_event.pk == event.pk and not event.is_translation
    # Its latest revision (what the editor opens) has no copied offers either.
    assert not event_en.get_latest_revision_as_object().offers.all()

    later = event.closes_at + timedelta(hours=5)
    event.closes_at = later
    event.save_revision().publish()
    event_en.refresh_from_db()
    assert event_en.closes_at == later, "the original's new closing time reaches its translation"

    event_en.closes_at = later + timedelta(days=30)  # a translator cannot move the market
    event_en.save()
    event_en.refresh_from_db()
    assert event_en.closes_at == later


def test_ordering_in_english_uses_the_originals_stock_slots_and_cart(client, english_tree, event, goods):
    _home_en, _index_en, event_en = english_tree
    buyer = UserFactory()
    client.force_login(buyer)
    response = client.post(
        event_en.url + "cesta/", {"product": goods[0].pk, "quantity": "3", "action": "add"}
    )
    assert response.status_code == 302 and response["Location"].startswith(event_en.url)
    line = CartLine.objects.get(cart__user=buyer)
    assert line.cart.channel_key == f"market:{event.pk}", "one basket per market, whatever the language"
    assert "Arazá" in client.get(event.url).content.decode()  # the Spanish page shows the same basket

    slot = event.slots.get()
    response = client.post(
        event_en.url + "pedido/",
        {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash", "slot": slot.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(buyer=buyer)
    assert order.channel_key == f"market:{event.pk}"
    stock = MarketStock.objects.get(event=event, product=goods[0])
    assert stock.sold == Decimal("3")
    assert not MarketStock.objects.filter(event=event_en).exists()
    slot.usage.refresh_from_db()
    assert slot.usage.taken == 1


def test_a_translation_cannot_sell_once_the_original_closes(client, english_tree, event, goods):
    _home_en, _index_en, event_en = english_tree
    MarketEventPage.objects.filter(translation_key=event.translation_key).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(UserFactory())
    client.post(event_en.url + "cesta/", {"product": goods[0].pk, "quantity": "1", "action": "add"})
    assert not CartLine.objects.exists()


def test_a_translated_market_closes_once(english_tree, event, goods, django_capture_on_commit_callbacks):
    _home_en, _index_en, event_en = english_tree
    MarketEventPage.objects.filter(translation_key=event.translation_key).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert markets_close_due() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert markets_close_due() == 0
    assert len(mail.outbox) <= 1 + event.cooperatives.count()


def test_listings_show_each_market_once_in_the_visitors_language(client, english_tree, event, goods):
    _home_en, index_en, event_en = english_tree
    other = make_market(title="Mercado de Anorí sin traducir", offers=[(goods[1], 3500, 5)])
    english_index = client.get(index_en.url).content.decode()
    assert "Guaviare peasant market" in english_index
    assert "Mercado campesino del Guaviare" not in english_index
    # Not translated yet: listed in Spanish, at an English address that serves it.
    assert "Mercado de Anorí sin traducir" in english_index
    english_address = "/en" + other.url
    assert f'href="{english_address}"' in english_index
    response = client.get(english_address)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    spanish_home = client.get("/").content.decode()
    assert "Mercado campesino del Guaviare" in spanish_home and "Guaviare peasant market" not in spanish_home
    english_home = client.get("/en/").content.decode()
    assert english_home.count("Guaviare peasant market") == 1
    assert client.get("/en/mercados/no-such-market/").status_code == 404


def test_the_translation_form_locks_the_clock_and_refuses_offers(english_tree, event, goods):
    _home_en, _index_en, event_en = english_tree
    form_class = MarketEventPage.get_edit_handler().get_form_class()
    assert issubclass(form_class, MarketEventPageForm)
    form = form_class(instance=event_en, for_user=UserFactory(is_staff=True, is_superuser=True))
    assert form.fields["opens_at"].disabled and form.fields["closes_at"].disabled
    assert form.fields["municipality"].disabled
    assert form.initial["closes_at"] == event.closes_at
    assert form.original.pk == event.pk


def test_builders_report_and_admin_lists_only_originals(english_tree, event):
    _home_en, _index_en, event_en = english_tree
    staff = UserFactory(is_staff=True, is_superuser=True)
    assert list(permissions.builder_markets(staff).values_list("pk", flat=True)) == [event.pk]
    assert list(MarketEventPage.objects.originals().values_list("pk", flat=True)) == [event.pk]


def test_staff_translate_a_market_from_the_admin(client, event, english):
    home = HomePage.objects.get(locale=Locale.get_default())
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    for page in (home, market_index(), event):
        url = reverse("simple_translation:submit_page_translation", args=[page.pk])
        response = client.post(url, {"locales": [english.pk]})
        assert response.status_code == 302, response.content.decode()[:3000]
    copy = MarketEventPage.objects.get(translation_key=event.translation_key, locale=english)
    assert copy.offers.count() == 0 and copy.slots.count() == 0
    assert copy.get_parent().specific.locale == english
    # It opens in the editor, and saving it keeps the market's clock.
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[copy.pk]))
    assert edit.status_code == 200


def test_a_builder_cannot_translate_pages(client, event):
    builder = make_builder()
    client.force_login(builder)
    url = reverse("simple_translation:submit_page_translation", args=[event.pk])
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert not Page.objects.filter(locale__language_code="en").exists()


@override_settings(LANGUAGE_CODE="es")
def test_the_english_index_is_a_translation_not_a_second_market_index(english_tree):
    _home_en, index_en, _event_en = english_tree
    assert MarketIndexPage.objects.count() == 2
    assert index_en.get_translation(Locale.get_default()).pk == market_index().pk


def test_an_untranslated_market_under_en_keeps_the_visitor_in_english(client, english_tree, goods):
    other = make_market(title="Mercado de Anorí sin traducir", offers=[(goods[1], 3500, 5)])
    english_address = "/en" + other.url
    with translation.override("en"):
        cart_url = reverse("cms:market_cart", args=[other.pk])
    assert cart_url.startswith("/en/")
    client.force_login(UserFactory())
    page = client.get(english_address).content.decode()
    assert f'action="{cart_url}"' in page
    # The storefront's own form, and one rendered before its forms posted to plain URLs.
    for url in (cart_url, english_address + "cesta/"):
        response = client.post(url, {"product": goods[1].pk, "quantity": "1", "action": "add"})
        assert response.status_code == 302
        assert response["Location"] == english_address + f"#oferta-{goods[1].pk}"
    page = client.get(english_address).content.decode()
    assert f'href="{english_address}pedido/"' in page
    assert CartLine.objects.get().cart.channel_key == f"market:{other.pk}"


def test_dates_read_naturally_in_each_language(client, english_tree, event):
    _home_en, _index_en, event_en = english_tree
    day = event.market_day
    english_page = client.get(event_en.url).content.decode()
    assert f"{day:%A}, {day:%B} {day.day}" in english_page
    assert " de " not in english_page.split("<h1>")[1].split("</p>")[0]
    spanish_page = client.get(event.url).content.decode()
    assert f"{day.day} de " in spanish_page


def test_a_buyer_who_orders_in_english_gets_her_emails_in_english(
    client, english_tree, event, goods, django_capture_on_commit_callbacks
):
    from cooperatives.models import Membership, MembershipRole

    _home_en, _index_en, event_en = english_tree
    manager = UserFactory(email="gestora@example.org")
    Membership.objects.create(user=manager, cooperative=goods[0].cooperative, role=MembershipRole.MANAGER)
    buyer = UserFactory(email="buyer@example.org")
    client.force_login(buyer)
    client.post(event_en.url + "cesta/", {"product": goods[0].pk, "quantity": "2", "action": "add"})
    slot = event.slots.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            event_en.url + "pedido/",
            {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash", "slot": slot.pk},
        )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.language == "en"
    to_buyer = next(m for m in mail.outbox if m.to == [buyer.email])
    assert "We received your order" in to_buyer.subject
    assert f"/en/pedidos/{order.number}/" in to_buyer.body
    to_cooperative = next(m for m in mail.outbox if m.to == [manager.email])
    assert "Nuevo pedido" in to_cooperative.subject, "cooperatives read Spanish"


def test_the_english_checkout_form_posts_to_its_plain_url_and_sells_through_the_original(
    client, english_tree, event, goods
):
    """A translation has no pickup slots of its own: its checkout reads the page, then the
    original's slots; the order is the original's, in English."""
    _home_en, _index_en, event_en = english_tree
    client.force_login(UserFactory())
    with translation.override("en"):
        cart_url = reverse("cms:market_cart", args=[event_en.pk])
        checkout_url = reverse("cms:market_checkout", args=[event_en.pk])
    client.post(cart_url, {"product": goods[0].pk, "quantity": "2", "action": "add"})
    page = client.get(event_en.url + "pedido/").content.decode()
    assert f'action="{checkout_url}"' in page and "Guaviare peasant market" in page
    slot = event.slots.get()
    response = client.post(
        checkout_url,
        {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash", "slot": slot.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.channel_key == f"market:{event.pk}" and order.language == "en"
    assert order.market_link.slot == slot


def test_the_pickup_reminder_of_an_english_order_names_the_market_in_english(
    client, english_tree, event, goods, django_capture_on_commit_callbacks
):
    _home_en, _index_en, event_en = english_tree
    buyer = UserFactory(email="reader@example.org")
    client.force_login(buyer)
    client.post(event_en.url + "cesta/", {"product": goods[0].pk, "quantity": "1", "action": "add"})
    client.post(
        event_en.url + "pedido/",
        {
            "buyer": "self",
            "delivery_method": "pickup",
            "payment_method": "cash",
            "slot": event.slots.get().pk,
        },
    )
    # Closed a minute ago, the market is tomorrow: her reminder is due now.
    MarketEventPage.objects.filter(translation_key=event.translation_key).update(
        closes_at=timezone.now() - timedelta(minutes=1), market_day=timezone.localdate() + timedelta(days=1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        markets_close_due()
    reminder = next(m for m in mail.outbox if m.to == [buyer.email])
    assert "Guaviare peasant market" in reminder.subject and "Guaviare peasant market" in reminder.body
    assert "Mercado campesino del Guaviare" not in reminder.body
