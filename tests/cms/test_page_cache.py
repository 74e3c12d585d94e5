"""The anonymous page cache (`market.page_cache`): the storefront, the home page and the
catalogue list are rendered once for every visitor not signed in, with her CSRF token and
basket filled per request, until a sale, a stock change, a publish or the market's clock
changes them. A sold-out offer is never offered from the cache.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from catalog import services as catalog_services
from cms.markets.channel import market_key
from cms.models import MarketEventPage
from market import page_cache
from orders import services
from orders.models import CartLine
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product

CARD = 'id="oferta-{pk}"'


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    """The page cache as the embedded set-up has it (one per machine), empty for each test."""
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "page-cache-tests"},
    }
    caches[page_cache.ALIAS].clear()
    yield
    caches[page_cache.ALIAS].clear()


@pytest.fixture
def market(db):
    cooperative = CooperativeFactory(name="Frutos del Guaviare")
    honey = make_product(cooperative, name="Miel de abejas", price_cop=18000, stock=Decimal("3"))
    cassava = make_product(cooperative, name="Yuca fresca", price_cop=2500, stock=None)
    event = make_market(offers=[(honey, 17000, 3), (cassava, 2300, 50)])
    return {"event": event, "honey": honey, "cassava": cassava}


def _get(client, url, **params):
    """The page, and how many templates were rendered for it."""
    rendered = []

    def count(sender, **kwargs):
        rendered.append(kwargs["template"].name)

    template_rendered.connect(count)
    try:
        response = client.get(url, params)
    finally:
        template_rendered.disconnect(count)
    assert response.status_code == 200
    return response, rendered


def _sell(event, product, quantity, django_capture_on_commit_callbacks):
    buyer = UserFactory()
    cart = services.cart_get(user=buyer, create=True, channel_key=market_key(event))
    CartLine.objects.create(cart=cart, product=product, quantity=Decimal(quantity))
    choice = services.CheckoutChoice(
        delivery_method="pickup", payment_method="cash", slot_id=event.slots.first().pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        return services.order_place(buyer=buyer, cart=cart, choice=choice)


def _offered(html: str, product) -> bool:
    """Whether the product's card on the page has an add form."""
    card = html.split(CARD.format(pk=product.pk), 1)[1].split("</article>", 1)[0]
    return 'value="add"' in card


@pytest.mark.parametrize("page", ["storefront", "home", "catalogue"])
def test_a_second_anonymous_visitor_gets_the_page_without_rendering_it(client, market, page):
    url = {"storefront": market["event"].url, "home": "/", "catalogue": "/catalogo/"}[page]
    first, rendered = _get(client, url)
    assert rendered and first[page_cache.HEADER] == "miss"
    other = type(client)()  # another phone, no cookie
    with CaptureQueriesContext(connection) as queries:
        second, rendered = _get(other, url)
    assert rendered == [] and second[page_cache.HEADER] == "hit"
    # Answered before any routing: not one query (Wagtail's routing alone takes several).
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]
    assert second.content.replace(b"\n", b"") != b""
    # Her own CSRF token in every form, not the first visitor's.
    mine, theirs = (r.content.decode() for r in (second, first))
    assert page_cache.CSRF_PLACEHOLDER not in mine
    if page == "storefront":
        assert 'name="csrfmiddlewaretoken"' in mine and mine != theirs


def test_a_cached_storefront_still_takes_the_visitors_basket(client, market):
    event, cassava = market["event"], market["cassava"]
    _get(type(client)(), event.url)  # someone else made the cached copy
    response, rendered = _get(client, event.url)
    assert rendered == []
    token = response.content.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    client.handler.enforce_csrf_checks = True
    added = client.post(
        event.url + "cesta/",
        {"csrfmiddlewaretoken": token, "product": cassava.pk, "quantity": "2", "action": "add"},
    )
    assert added.status_code == 302 and added["Location"].endswith(f"#oferta-{cassava.pk}")
    assert CartLine.objects.get(product=cassava).quantity == 2
    # With a basket, her storefront is hers: rendered for her, with the count in the header.
    page, rendered = _get(client, event.url)
    assert rendered and page.get(page_cache.HEADER) != "hit"
    assert '<span class="count">1</span>' in page.content.decode()


def test_a_sale_that_sells_out_an_offer_invalidates_the_cached_storefront(
    client, market, django_capture_on_commit_callbacks
):
    event, honey = market["event"], market["honey"]
    html = _get(client, event.url)[0].content.decode()
    assert _offered(html, honey)
    _sell(event, honey, "3", django_capture_on_commit_callbacks)
    response, rendered = _get(type(client)(), event.url)
    assert rendered, "rendered again after the sale"
    assert not _offered(response.content.decode(), honey)


def test_a_market_that_sells_out_a_made_to_order_offer_stops_offering_it_from_the_cache(
    client, market, django_capture_on_commit_callbacks
):
    """A product made to order (no stock of its own) is limited by the market's quantity
    alone: the sale that takes the last of it changes only the market's counter, and the
    cached storefront (the anonymous page and the offers signed-in buyers share) follows."""
    event, cassava = market["event"], market["cassava"]
    signed_in = type(client)()
    signed_in.force_login(UserFactory())
    for visitor in (client, signed_in):
        assert _offered(_get(visitor, event.url)[0].content.decode(), cassava)
    _sell(event, cassava, "50", django_capture_on_commit_callbacks)
    for visitor in (type(client)(), signed_in):
        assert not _offered(_get(visitor, event.url)[0].content.decode(), cassava), "sold out, still offered"


def test_a_sale_renders_pages_again_but_keeps_what_they_remember(
    client, market, django_capture_on_commit_callbacks
):
    """What is left changes with every sale, the routing and the categories' counts do not:
    a rush of sales renders the pages again without recounting the catalogue's categories
    or a market's, nor routing again."""
    event, honey = market["event"], market["honey"]
    signed_in = type(client)()
    signed_in.force_login(UserFactory())
    for url in (event.url, "/catalogo/"):
        _get(client, url)
        _get(signed_in, url)
    _sell(event, honey, "1", django_capture_on_commit_callbacks)
    for url in (event.url, "/catalogo/"):
        with CaptureQueriesContext(connection) as queries:
            response, rendered = _get(type(client)(), url)
        assert rendered and response[page_cache.HEADER] == "miss"
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert "GROUP BY" not in sql, "the categories counted again after a sale"
        assert '"wagtailcore_site"' not in sql and '"wagtailcore_page"' not in sql, "routed again"
    card = _get(signed_in, event.url)[0].content.decode().split(CARD.format(pk=honey.pk), 1)[1]
    assert "Quedan 2 kilos<" in card.split("</article>", 1)[0], "what is left, after the sale"


def test_a_stock_change_invalidates_the_cached_pages(client, market, django_capture_on_commit_callbacks):
    event, honey = market["event"], market["honey"]
    for url in (event.url, "/catalogo/"):
        _get(client, url)
    honey.stock = Decimal("0")
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.product_save(product=honey)
    response, rendered = _get(client, event.url)
    assert rendered and not _offered(response.content.decode(), honey)
    assert _get(client, "/catalogo/")[1], "the catalogue rendered again"


def test_a_publish_invalidates_the_cached_pages(client, market, django_capture_on_commit_callbacks):
    event = market["event"]
    _get(client, event.url)
    _get(client, "/")
    page = MarketEventPage.objects.get(pk=event.pk)
    page.title = "Mercado campesino de San José"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert "Mercado campesino de San José" in _get(client, event.url)[0].content.decode()
    assert _get(client, "/")[1], "the home page rendered again"


def test_a_cached_open_storefront_does_not_survive_its_closing(client, market):
    event = market["event"]
    with time_machine.travel(event.closes_at - timedelta(minutes=1), tick=False):
        assert 'value="add"' in _get(client, event.url)[0].content.decode()
        assert _get(client, event.url)[1] == []  # cached
    with time_machine.travel(event.closes_at, tick=False):
        response, rendered = _get(client, event.url)
    assert rendered and 'value="add"' not in response.content.decode()


def test_visitors_with_messages_are_never_served_from_the_cache_nor_kept(client, market):
    event = market["event"]
    _get(type(client)(), event.url)
    anonymous = type(client)()
    anonymous.post(event.url + "cesta/", {"product": "999999", "quantity": "1", "action": "add"})
    response, rendered = _get(anonymous, event.url)
    assert rendered and "ya no se ofrece" in response.content.decode()
    # ... and her message was not kept for the next visitor.
    response, rendered = _get(type(client)(), event.url)
    assert rendered == [] and "ya no se ofrece" not in response.content.decode()


def _signed_in(client_class, **session):
    visitor = client_class()
    user = UserFactory(is_staff=session.pop("is_staff", False))
    visitor.force_login(user)
    if session:
        stored = visitor.session
        stored.update(session)
        stored.save()
    return visitor, user


def test_signed_in_buyers_share_one_kept_open_storefront_with_their_own_basket_and_links(client, market):
    """While a market is open, signed-in buyers get one kept rendering of its storefront,
    apart from the anonymous one: what is hers (her basket and its count, her links to
    her workspaces, her CSRF token) is filled per request, three queries in all."""
    event, honey = market["event"], market["honey"]
    builder, builder_user = _signed_in(type(client), minga_runs_markets=True)
    cart = services.cart_get(user=builder_user, create=True, channel_key=market_key(event))
    CartLine.objects.create(cart=cart, product=honey, quantity=Decimal("2"))
    anonymous_html = _get(type(client)(), event.url)[0].content.decode()
    first, rendered = _get(builder, event.url)
    assert first[page_cache.HEADER] == "miss" and "cms/market_event_page.html" in rendered

    buyer, _user = _signed_in(type(client))
    buyer.get("/catalogo/")  # her session made
    with CaptureQueriesContext(connection) as queries:
        response, rendered = _get(buyer, event.url)
    assert response[page_cache.HEADER] == "hit"
    assert rendered == ["cms/includes/market_basket_lines.html"], "only her basket is rendered"
    tables = [q["sql"].split(" FROM ", 1)[1].split(" ", 1)[0] for q in queries.captured_queries]
    assert tables == ['"django_session"', '"market_user"', '"orders_cartline"'], tables
    html = response.content.decode()
    basket = html.split('id="cesta"', 1)[1]
    assert "Su canasta está vacía." in basket and "Miel de abejas" not in basket
    assert "{#" not in html and "{%" not in html and "<!--minga:" not in html
    assert 'class="count"' not in html.split("</header>", 1)[0]
    assert "Administrar mis mercados" not in html and "Mis pedidos" in html and "Ingresar" not in html
    theirs = first.content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert token not in theirs and page_cache.CSRF_PLACEHOLDER not in html
    assert html.count(f'value="{token}"') == html.count('name="csrfmiddlewaretoken"')  # the sign-out form too

    again, rendered = _get(builder, event.url)
    mine = again.content.decode()
    assert again[page_cache.HEADER] == "hit"
    assert "Miel de abejas" in mine.split('id="cesta"', 1)[1] and "$\xa034.000" in mine
    assert '<span class="count">1</span>' in mine.split("</header>", 1)[0]
    assert "Administrar mis mercados" in mine
    staff, _staff_user = _signed_in(type(client), is_staff=True)
    assert "Administración" in _get(staff, event.url)[0].content.decode()
    # Never mixed with the anonymous rendering, either way.
    assert "Ingresar" in anonymous_html and "Mis pedidos" not in anonymous_html
    assert "Mis pedidos" not in _get(type(client)(), event.url)[0].content.decode()


def test_a_kept_storefront_basket_changes_and_checks_out_for_each_buyer(client, market):
    """A buyer served the kept page changes her basket from it and is taken to checkout."""
    event, cassava = market["event"], market["cassava"]
    other, _ = _signed_in(type(client))
    _get(other, event.url)  # the kept rendering made by someone else
    buyer, user = _signed_in(type(client))
    buyer.post(event.url + "cesta/", {"product": cassava.pk, "quantity": "3", "action": "add"})
    html = _get(buyer, event.url)[0].content.decode()
    basket = html.split('id="cesta"', 1)[1]
    assert f'id="cesta-{cassava.pk}"' in basket
    checkout = basket.split('class="button" href="', 1)[1].split('"', 1)[0]
    assert checkout == event.url + "pedido/"
    assert buyer.get(checkout).status_code == 200
    change = basket.split('<form class="qty" method="post" action="', 1)[1].split('"', 1)[0]
    buyer.post(change, {"product": cassava.pk, "quantity": "1", "action": "set"})
    assert CartLine.objects.get(cart__user=user, product=cassava).quantity == 1


@pytest.mark.parametrize("when", ["upcoming", "closed"])
def test_signed_in_buyers_get_their_own_rendering_of_a_market_not_open(client, market, when):
    event = market["event"]
    at = event.opens_at - timedelta(hours=1) if when == "upcoming" else event.closes_at + timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        for _ in range(2):
            buyer, _user = _signed_in(type(client))
            response, rendered = _get(buyer, event.url)
            assert "cms/market_event_page.html" in rendered and response.get(page_cache.HEADER) is None


def test_the_header_counts_the_catalogue_basket_on_a_cached_page(client, market):
    _get(type(client)(), "/catalogo/")
    client.post("/cesta/agregar/", {"product": market["cassava"].pk, "quantity": "2"})
    client.get("/")  # the message is read
    response, rendered = _get(client, "/catalogo/")
    assert rendered == [] and '<span class="count"' in response.content.decode()
    assert _get(type(client)(), "/catalogo/")[0].content.decode().count('<span class="count"') == 0


# --- the offers, shared by signed-in buyers too (`{% shared %}`) -----------------------------------


def _offers_reads(queries) -> int:
    return sum('FROM "cms_marketoffer"' in q["sql"] and "orders_cartline" not in q["sql"] for q in queries)


def test_signed_in_buyers_share_one_rendering_of_the_offers(client, market):
    """A signed-in buyer's storefront is hers (her basket, her header) but its offers are the
    same for everyone: they are read and rendered once, and the next buyer reads none."""
    event, cassava = market["event"], market["cassava"]
    first = type(client)()
    first.force_login(UserFactory())
    with CaptureQueriesContext(connection) as queries:
        mine = first.get(event.url).content.decode()
    assert _offers_reads(queries) == 2 and _offered(mine, cassava)  # the categories, one page of offers
    client.force_login(UserFactory())
    client.get(event.url)  # her session, read once
    with CaptureQueriesContext(connection) as queries:
        theirs = client.get(event.url).content.decode()
    assert _offers_reads(queries) == 0, [q["sql"] for q in queries.captured_queries]
    assert _offered(theirs, cassava) and page_cache.CSRF_PLACEHOLDER not in theirs
    # Her own CSRF token in the shared cards: her "Add" posts.
    token = theirs.split(CARD.format(pk=cassava.pk), 1)[1].split('name="csrfmiddlewaretoken" value="', 1)[1]
    token = token.split('"', 1)[0]
    assert token not in mine
    client.handler.enforce_csrf_checks = True
    added = client.post(
        event.url + "cesta/",
        {"csrfmiddlewaretoken": token, "product": cassava.pk, "quantity": "2", "action": "add"},
    )
    assert added.status_code == 302
    assert CartLine.objects.get(product=cassava, cart__user__isnull=False).quantity == 2


def test_a_sale_renders_the_shared_offers_afresh_for_signed_in_buyers(
    client, market, django_capture_on_commit_callbacks
):
    event, honey = market["event"], market["honey"]
    client.force_login(UserFactory())
    assert _offered(client.get(event.url).content.decode(), honey)
    _sell(event, honey, "3", django_capture_on_commit_callbacks)
    assert not _offered(client.get(event.url).content.decode(), honey), "a sold-out offer from the cache"


def test_a_note_on_a_card_is_shown_there_and_never_shared(client, market):
    event, cassava = market["event"], market["cassava"]
    client.force_login(UserFactory())
    client.get(event.url)  # the offers are rendered and kept
    client.post(event.url + "cesta/", {"product": cassava.pk, "quantity": "0", "action": "add"})
    card = client.get(event.url).content.decode().split(CARD.format(pk=cassava.pk), 1)[1]
    assert 'class="note msg-error"' in card.split("</article>", 1)[0]
    other = type(client)()
    other.force_login(UserFactory())
    assert 'class="note' not in other.get(event.url).content.decode()


def test_the_shared_offers_follow_the_category_and_page_chosen(client, market):
    client.force_login(UserFactory())
    event, honey = market["event"], market["honey"]
    everything = client.get(event.url).content.decode()
    assert CARD.format(pk=honey.pk) in everything
    other = client.get(event.url, {"categoria": "no-existe", "pagina": "7"}).content.decode()
    assert CARD.format(pk=honey.pk) in other  # an unknown category shows everything, page 1


# --- the routing kept (`cms.sites`, the markets' `route`) -------------------------------------------


def test_a_signed_in_storefront_is_routed_without_asking_for_the_site_or_its_pages(client, market):
    event = market["event"]
    client.force_login(UserFactory())
    client.get(event.url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(event.url).status_code == 200
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"wagtailcore_site"' not in tables
    assert '"cms_homepage"' not in tables and '"cms_marketindexpage"' not in tables
    assert '"cms_marketeventpage"' not in tables, [q["sql"][:90] for q in queries.captured_queries]


def test_an_unpublished_market_is_gone_at_once(client, market, django_capture_on_commit_callbacks):
    event = market["event"]
    client.force_login(UserFactory())
    assert client.get(event.url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        MarketEventPage.objects.get(pk=event.pk).unpublish()
    assert client.get(event.url).status_code == 404


def test_a_market_whose_address_changed_is_found_at_the_new_one(
    client, market, django_capture_on_commit_callbacks
):
    event = market["event"]
    client.force_login(UserFactory())
    old_url = event.url
    assert client.get(old_url).status_code == 200
    page = MarketEventPage.objects.get(pk=event.pk)
    page.slug = "mercado-de-san-jose"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    new_url = MarketEventPage.objects.get(pk=event.pk).url
    # Not the kept route to the old address: Wagtail's redirect to the new one.
    moved = client.get(old_url)
    assert moved.status_code == 301 and moved["Location"] == new_url
    assert client.get(new_url).status_code == 200


def test_a_site_saved_is_seen_at_once(client, market, django_capture_on_commit_callbacks):
    from wagtail.models import Site

    client.force_login(UserFactory())
    assert client.get(market["event"].url).status_code == 200
    site = Site.objects.get(is_default_site=True)
    site.site_name = "Minga del Guaviare"
    with django_capture_on_commit_callbacks(execute=True):
        site.save()
    with CaptureQueriesContext(connection) as queries:
        client.get(market["event"].url)
    assert any('"wagtailcore_site"' in q["sql"] for q in queries.captured_queries)


def test_one_request_reads_the_versions_once_and_follows_its_own_change(client, market, monkeypatch):
    """Everything one response takes from the cache is of one pair of versions (read once,
    in one read), and a request that changes what pages show sees its own change."""
    cache = caches[page_cache.ALIAS]
    reads = []
    real_get, real_get_many = cache.get, cache.get_many

    inside_many = []

    def counting_get(key, *args, **kwargs):
        if key in (page_cache.VERSION_KEY, page_cache.STOCK_KEY) and not inside_many:
            reads.append(key)
        return real_get(key, *args, **kwargs)

    def counting_get_many(keys, *args, **kwargs):
        reads.extend(key for key in keys if key in (page_cache.VERSION_KEY, page_cache.STOCK_KEY))
        inside_many.append(True)  # a backend's get_many may be its get, once per key
        try:
            return real_get_many(keys, *args, **kwargs)
        finally:
            inside_many.pop()

    monkeypatch.setattr(cache, "get", counting_get)
    monkeypatch.setattr(cache, "get_many", counting_get_many)
    client.force_login(UserFactory())
    client.get(market["event"].url)  # the versions made, the parts kept
    reads.clear()
    client.get(market["event"].url)  # the site, the route, the categories, three shared parts
    assert sorted(reads) == sorted([page_cache.VERSION_KEY, page_cache.STOCK_KEY])

    for key in (page_cache.VERSION_KEY, page_cache.STOCK_KEY):
        pinned = page_cache._request_version.set({})
        try:
            before = page_cache._version()
            page_cache._new_version(key)
            after = page_cache._version()
        finally:
            page_cache._request_version.reset(pinned)
        assert after != before


def test_each_pickup_point_is_listed_once_with_all_its_times(client, db):
    """Times that alternate between two points (9:00 park, 9:30 coliseum, 10:00 park) are
    listed under their point, each point once."""
    from datetime import timedelta as td

    from tests.cms.factories import pickup_point

    cooperative = CooperativeFactory()
    cassava = make_product(cooperative, name="Yuca fresca", price_cop=2500, stock=None)
    park, coliseum = pickup_point("Parque principal"), pickup_point("Coliseo municipal")
    from django.utils import timezone

    start = timezone.now() + td(days=4)
    event = make_market(
        offers=[(cassava, 2300, 50)],
        slots=[(park, start, 5), (coliseum, start + td(minutes=30), 5), (park, start + td(hours=1), 5)],
    )
    html = client.get(event.url).content.decode()
    points = html.split("<h3>Puntos de recogida</h3>", 1)[1].split("</ul>", 1)[0]
    assert points.count("Parque principal") == 1 and points.count("Coliseo municipal") == 1


def test_a_basket_is_priced_from_the_markets_kept_prices_until_the_market_changes(
    client, market, django_capture_on_commit_callbacks
):
    """A signed-in buyer's basket reads its lines (one query) and the market's prices from
    the page cache, which a sale keeps and a cooperative leaving the market forgets: her
    line is then shown as no longer offered, with no price."""
    event, honey = market["event"], market["honey"]
    buyer = UserFactory()
    client.force_login(buyer)
    cart = services.cart_get(user=buyer, create=True, channel_key=market_key(event))
    CartLine.objects.create(cart=cart, product=honey, quantity=Decimal("2"))

    def basket():
        with CaptureQueriesContext(connection) as queries:
            html = _get(client, event.url)[0].content.decode()
        read = 'SELECT "cms_marketoffer"."product_id" AS "product_id", "cms_marketoffer"."price_cop"'
        prices = [q for q in queries.captured_queries if q["sql"].startswith(read)]
        return html.split('id="cesta"', 1)[1], len(prices)

    html, priced = basket()
    assert "$\xa034.000" in html and "no se ofrece" not in html and priced == 1
    assert basket()[1] == 0, "the prices are read again on every page"
    _sell(event, market["cassava"], "1", django_capture_on_commit_callbacks)
    assert basket()[1] == 0, "a sale does not change the market's prices"
    honey.cooperative.verification_status = "rejected"
    with django_capture_on_commit_callbacks(execute=True):
        honey.cooperative.save(update_fields=["verification_status"])
    html, priced = basket()
    assert "Miel de abejas no se ofrece en este mercado." in html and "$\xa034.000" not in html
