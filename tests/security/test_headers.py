"""Security headers with production settings, as a browser on the public site receives them.

The test settings already run with DJANGO_DEBUG off, so HSTS, secure cookies and the
Content-Security-Policy come from market/settings.py unchanged; only SECURE_SSL_REDIRECT
is off in tests, and every request here is made over HTTPS (`secure=True`) instead.
"""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cooperatives.models import MembershipRole
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.orders.factories import place_order


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, <style>, style="" and on*=""."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "text/javascript").lower()
            # A JSON data block is not executed, so CSP does not apply to it.
            if "src" not in attributes and kind not in ("application/json", "application/ld+json"):
                self._in_script = True
                self.problems.append(f"inline <script> {attrs}")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            elif name.startswith("on") or _is_javascript_url(name, value):
                self.problems.append(f'<{tag} {name}="{value}">')


def _is_javascript_url(name: str, value: str | None) -> bool:
    urls = ("href", "src", "action", "formaction")
    return name in urls and (value or "").strip().lower().startswith("javascript:")


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


@pytest.fixture
def public_pages(db):
    """The pages a buyer opens first, with real content in them."""
    cooperative = CooperativeFactory(name="Asociación Yuqueros del Sinú", slug="yuqueros")
    product = make_product(cooperative, name="Yuca fresca")
    market = make_market(offers=[(product, 2000, 30)])
    return {
        "home": "/",
        "catalogue": reverse("catalog:list"),
        "product": reverse("catalog:product_detail", args=[cooperative.slug, product.slug]),
        "login": reverse("account_login"),
        "signup": reverse("account_signup"),
        "cooperative": reverse("catalog:cooperative_detail", args=[cooperative.slug]),
        "cart": reverse("orders:cart"),
        "market": market.url,
    }


HEADER_PAGES = ["home", "catalogue", "product", "login"]


@pytest.mark.parametrize("page", HEADER_PAGES)
def test_production_headers_on_public_pages(public_pages, page):
    response = Client().get(public_pages[page], secure=True)
    assert response.status_code == 200, response.status_code

    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"

    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"], "no 'unsafe-inline', no other host"
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"], "Stripe's host only when card payments are on"
    assert not any("unsafe" in source for sources in csp.values() for source in sources)


def test_csrf_cookie_is_secure_on_a_page_with_a_form(public_pages):
    response = Client().get(public_pages["login"], secure=True)
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


def test_session_cookie_is_secure_and_http_only_after_sign_in(db):
    user = UserFactory(email="rosa@example.org")
    client = Client()
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "clave-de-prueba-123"},
        secure=True,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


PUBLIC_PAGES = ["home", "catalogue", "product", "login", "signup", "cooperative", "cart", "market"]


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_have_no_inline_script_or_style(public_pages, page):
    response = Client().get(public_pages[page], secure=True)
    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []


def test_signed_in_pages_have_no_inline_script_or_style(db):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    for url in [reverse("orders:list"), reverse("orders:cart"), reverse("account_email"), "/"]:
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_workspace_and_order_pages_have_no_inline_script_or_style(db):
    """The pages behind sign-in, for a cooperative manager and a buyer with an order."""
    cooperative = CooperativeFactory(slug="yuqueros")
    manager = MembershipFactory(cooperative=cooperative, role=MembershipRole.MANAGER).user
    product = make_product(cooperative, name="Yuca fresca")
    buyer = UserFactory()
    order = place_order(buyer, [(product, 2)])
    fulfilment = order.fulfilments.get()
    slug = cooperative.slug
    pages = {
        manager: [
            reverse("catalog:workspace_products", args=[slug]),
            reverse("catalog:workspace_product_edit", args=[slug, product.pk]),
            reverse("cooperatives:producer_list", args=[slug]),
            reverse("cooperatives:member_list", args=[slug]),
            reverse("orders:fulfilment_list", args=[slug]),
            reverse("orders:fulfilment_detail", args=[slug, fulfilment.pk]),
            reverse("orders:fulfilment_packing_list", args=[slug, fulfilment.pk]),
            reverse("orders:workspace_document", args=[slug, fulfilment.pk]),
            reverse("orders:statement", args=[slug]),
            reverse("cms:workspace_markets", args=[slug]),
        ],
        buyer: [
            reverse("orders:detail", args=[order.number]),
            reverse("orders:document", args=[order.number, fulfilment.pk]),
            reverse("orders:checkout"),
        ],
    }
    for user, urls in pages.items():
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url, secure=True)
            assert response.status_code in (200, 302), (url, response.status_code)
            assert inline_code(response.content.decode()) == [], url


def test_the_inline_finder_finds_what_csp_blocks():
    html = (
        '<p style="color:red">x</p><script>alert(1)</script><script src="/static/a.js"></script>'
        '<style>p{}</style><button onclick="go()">b</button><a href="javascript:go()">a</a>'
        '<script type="application/json">{"a": 1}</script>'
    )
    assert len(inline_code(html)) == 5


def test_card_payments_allow_stripe_checkout_as_a_form_target(public_pages, settings):
    """The pay-by-card form's 303 goes to Checkout: its host joins form-action with the key."""
    settings.STRIPE_SECRET_KEY = "sk_test_not_a_real_key"
    settings.STRIPE_API_BASE = ""
    response = Client().get(public_pages["home"], secure=True)
    assert csp_directives(response)["form-action"] == ["'self'", "https://checkout.stripe.com"]
    # Tests and the browser journeys point Stripe at a local stub, which hosts Checkout too.
    settings.STRIPE_API_BASE = "http://127.0.0.1:8765"
    response = Client().get(public_pages["home"], secure=True)
    assert csp_directives(response)["form-action"] == ["'self'", "http://127.0.0.1:8765"]


def test_photos_on_object_storage_are_allowed_as_images(monkeypatch):
    """img-src follows the media storage: read market/settings.py again with a bucket set."""
    import importlib

    import market.settings as production

    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "minga-media")
    monkeypatch.setenv("AWS_S3_CUSTOM_DOMAIN", "media.minga.example.org")
    try:
        directives = importlib.reload(production).CONTENT_SECURITY_POLICY["DIRECTIVES"]
        assert directives["img-src"] == ["'self'", "data:", "https://media.minga.example.org"]
        assert directives["script-src"] == ["'self'"]
        assert directives["form-action"] == ["'self'"]
    finally:
        monkeypatch.undo()
        importlib.reload(production)


def test_wagtail_admin_is_left_out_of_the_strict_policy(db):
    """The Wagtail admin ships inline scripts: it is excluded by path, nothing else is."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    admin = client.get("/cms/", secure=True)
    assert admin.status_code == 200
    assert "Content-Security-Policy" not in admin.headers
    assert admin.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert settings.CONTENT_SECURITY_POLICY["EXCLUDE_URL_PREFIXES"] == ["/cms/", "/django-admin/"]


def test_check_deploy_reports_nothing(settings):
    """`manage.py check --deploy` with production values (CI runs it on market.settings too)."""
    settings.SECURE_SSL_REDIRECT = True
    call_command("check", deploy=True, fail_level="WARNING")
