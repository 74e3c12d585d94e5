"""Every state-changing request needs POST and a CSRF token; a GET never changes anything.

The URL list is discovered, not typed: Django's resolver is walked recursively, and the
routes of Wagtail's routable pages (a market's basket and checkout) are added. Each URL
name must be classified below, as a read (READ_ONLY), a state-changing POST (POSTS) or
the one CSRF-exempt endpoint (the Stripe webhook, which checks a signature instead): a new
pattern nobody classified makes `test_every_url_pattern_is_classified` fail.

Left out of the walk: the Wagtail admin (`cms/`), the Django admin (`django-admin/`),
Wagtail documents (`documents/`) and allauth (`cuenta/`), which protect their own forms;
a few allauth POSTs are still checked explicitly at the end.

"Changes nothing" is checked on every table of the database (except Wagtail's rendition
cache, which a first view of a photo fills) and on the outgoing mail.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import get_page_models

from cms.models import MarketEventPage
from cooperatives.models import MembershipRole
from impact.models import Programme
from market.messages.stop_views import stop_url
from market.models import MARKET_BUILDERS_GROUP
from orders.models import PaymentProof
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory as _CooperativeFactory
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    ProducerFactory,
    UserFactory,
    image_upload,
    make_photo,
    make_product,
)
from tests.orders.factories import fill_cart, make_organization, place_order

# --- Discovery ---------------------------------------------------------------------------

SKIPPED_PREFIXES = ("cms/", "django-admin/", "documents/", "cuenta/")
# Ours under "cuenta/": classified like the rest.
NOT_SKIPPED = {"market:message_settings"}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else None
            yield from _walk(pattern, route, inner or pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name or f"<unnamed {route}>", pattern.callback


def discovered_urls() -> dict[str, tuple[str, Callable]]:
    """URL name -> (route, view) for every pattern of the project outside SKIPPED_PREFIXES,
    plus `page:<model>:<route name>` for every route of every routable Wagtail page type."""
    found = {}
    for route, name, callback in _walk(get_resolver()):
        if route.lstrip("^").startswith(SKIPPED_PREFIXES) and name not in NOT_SKIPPED:
            continue
        found[name] = (route, callback)
    for model in get_page_models():
        if issubclass(model, RoutablePageMixin):
            for pattern in model.get_subpage_urls():
                found[f"page:{model._meta.label_lower}:{pattern.name}"] = (str(pattern.pattern), None)
    return found


# --- The objects every URL needs ----------------------------------------------------------


class World:
    """One cooperative with its manager and a product; a buyer with an order. The rest (photos,
    markets, invitations, a transfer order) is made on first use, so each test pays for what
    its URL needs."""

    def __init__(self):
        self.cooperative = _CooperativeFactory(slug="yuqueros", pickup_address="Bodega, vereda El Retiro")
        self.slug = self.cooperative.slug
        self.manager = MembershipFactory(cooperative=self.cooperative, role=MembershipRole.MANAGER).user
        self.product = make_product(self.cooperative, name="Yuca fresca", price_cop=2500)
        self.buyer = UserFactory(email="rosa@example.org")
        self.order = place_order(self.buyer, [(self.product, 2)])
        self.fulfilment = self.order.fulfilments.get()
        self.line = self.order.lines.get()

    @cached_property
    def invitee(self):
        return UserFactory(email="invitada@example.org")

    @cached_property
    def invitation_for_invitee(self):
        return InvitationFactory(cooperative=self.cooperative, email=self.invitee.email)

    @cached_property
    def invitation(self):
        return InvitationFactory(cooperative=self.cooperative)

    @cached_property
    def producer(self):
        return ProducerFactory(cooperative=self.cooperative)

    @cached_property
    def photo(self):
        return make_photo(self.product)

    @cached_property
    def cart_line(self):
        return fill_cart(self.buyer, [(self.product, 1)]).lines.get()

    @cached_property
    def transfer_order(self):
        return place_order(self.buyer, [(self.product, 1)], payment_method="transfer")

    @cached_property
    def proof(self):
        return PaymentProof.objects.create(
            order=self.transfer_order,
            file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="proof.pdf"),
            uploaded_by=self.buyer,
        )

    @cached_property
    def open_market(self) -> MarketEventPage:
        return make_market(title="Mercado abierto", offers=[(self.product, 2000, 10)])

    @cached_property
    def upcoming_market(self) -> MarketEventPage:
        now = timezone.now()
        return make_market(
            title="Mercado que viene",
            opens_at=now + timedelta(days=2),
            closes_at=now + timedelta(days=4),
            offers=[(self.product, 2000, 10)],
        )


@pytest.fixture
def world(db, settings) -> World:
    settings.STRIPE_WEBHOOK_SECRET = "whsec_tests_only"
    return World()


# --- Classification -----------------------------------------------------------------------

CHANGES = "changes"  # with a valid token, the request does change something
ANSWERS = "answers"  # with a valid token, it is answered (not 403, no 500) but may change nothing


@dataclass
class Url:
    url: Callable[[World], str]
    user: str | None = None  # attribute of World: who has the rights; None is anonymous
    get: int = 200  # what a GET answers
    data: Callable[[World], dict] = field(default=lambda w: {})
    control: str = CHANGES
    given: Callable[[World], object] = field(default=lambda w: None)  # made before the requests


def ws(name, *args):
    return lambda w: reverse(name, args=[w.slug, *(a(w) for a in args)])


def fulfilment_pk(w):
    return w.fulfilment.pk


def organization(w):
    """The buyer's organisation with a saved address, made on first use in the test."""
    if "organization" not in w.__dict__:
        w.organization = make_organization(member=w.buyer)
        w.organization.address = w.organization.delivery_addresses.create(
            label="Cocina", address="Calle 1 # 2-3", municipality=w.organization.municipality
        )
    return w.organization


def programme(w):
    """A programme over the cooperative, read by its manager as a viewer, made on first use."""
    if "programme" not in w.__dict__:
        w.programme = Programme.objects.create(
            name="Programa",
            slug="programa",
            funder="Fondo",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        w.programme.cooperatives.set([w.cooperative])
        w.programme.viewers.set([w.manager])
        w.programme.save()
    return w.programme


def builder_market(w):
    """The open market, run by the manager as its Market Builder."""
    w.manager.groups.add(Group.objects.get(name=MARKET_BUILDERS_GROUP))
    type(w.open_market).objects.filter(pk=w.open_market.pk).update(owner=w.manager)
    return w.open_market.pk


def _programme_url(name):
    return lambda w: reverse(name, args=[programme(w).slug])


# Reads: a GET renders (or redirects) and changes nothing; so does a POST with a valid token.
READ_ONLY = {
    "impact:programme_list": Url(lambda w: (programme(w), reverse("impact:programme_list"))[1], "manager"),
    "impact:programme_detail": Url(_programme_url("impact:programme_detail"), "manager"),
    "impact:programme_csv": Url(_programme_url("impact:programme_csv"), "manager"),
    "impact:programme_xlsx": Url(_programme_url("impact:programme_xlsx"), "manager"),
    "impact:programme_pdf": Url(_programme_url("impact:programme_pdf"), "manager"),
    "impact:cooperative_impact": Url(ws("impact:cooperative_impact"), "manager"),
    "impact:market_impact": Url(
        lambda w: reverse("impact:market_impact", args=[builder_market(w)]), "manager"
    ),
    "impact:purchases_certificate": Url(
        lambda w: reverse("impact:purchases_certificate", args=[organization(w).pk, 2026]), "buyer"
    ),
    "wagtail_serve": Url(lambda w: "/"),
    "page:cms.marketeventpage:index_route": Url(lambda w: w.open_market.url),
    "page:cms.marketeventpage:calendar": Url(lambda w: w.open_market.url + "calendario/"),
    "catalog:list": Url(lambda w: reverse("catalog:list")),
    "cms:sitemap": Url(lambda w: reverse("cms:sitemap")),
    "cms:markets": Url(lambda w: reverse("cms:markets"), get=302),  # on to the markets list
    "robots_txt": Url(lambda w: reverse("robots_txt")),
    "favicon": Url(lambda w: reverse("favicon"), get=302),
    "media": Url(lambda w: reverse("media", args=["images/none.jpg"]), get=404),
    "catalog:product_detail": Url(lambda w: reverse("catalog:product_detail", args=[w.slug, w.product.slug])),
    "catalog:cooperative_detail": Url(lambda w: reverse("catalog:cooperative_detail", args=[w.slug])),
    "catalog:workspace_products": Url(ws("catalog:workspace_products"), "manager"),
    "cooperatives:workspace_index": Url(lambda w: reverse("cooperatives:workspace_index"), "manager", 302),
    "cooperatives:producer_list": Url(ws("cooperatives:producer_list"), "manager"),
    "orders:cart": Url(lambda w: reverse("orders:cart"), "buyer"),
    "market:organization_detail": Url(
        lambda w: reverse("market:organization_detail", args=[organization(w).pk]), "buyer"
    ),
    "orders:list": Url(lambda w: reverse("orders:list"), "buyer"),
    "orders:detail": Url(lambda w: reverse("orders:detail", args=[w.order.number]), "buyer"),
    # A catalogue pickup has no time window to put in a calendar: 404 to its buyer too.
    "orders:calendar": Url(lambda w: reverse("orders:calendar", args=[w.order.number]), "buyer", 404),
    "orders:pay_card_return": Url(
        lambda w: reverse("orders:pay_card_return", args=[w.order.number]), "buyer", 404
    ),
    "orders:document": Url(
        lambda w: reverse("orders:document", args=[w.order.number, w.fulfilment.pk]), "buyer"
    ),
    "orders:document_pdf": Url(
        lambda w: reverse("orders:document_pdf", args=[w.order.number, w.fulfilment.pk]), "buyer"
    ),
    "orders:transfer": Url(lambda w: reverse("orders:transfer", args=[w.transfer_order.number]), "buyer"),
    "orders:transfer_proof_file": Url(
        lambda w: reverse("orders:transfer_proof_file", args=[w.transfer_order.number, w.proof.pk]), "buyer"
    ),
    "orders:fulfilment_list": Url(ws("orders:fulfilment_list"), "manager"),
    "orders:fulfilment_csv": Url(ws("orders:fulfilment_csv"), "manager"),
    "orders:fulfilment_detail": Url(ws("orders:fulfilment_detail", fulfilment_pk), "manager"),
    "orders:fulfilment_packing_list": Url(ws("orders:fulfilment_packing_list", fulfilment_pk), "manager"),
    "orders:fulfilment_packing_list_pdf": Url(
        ws("orders:fulfilment_packing_list_pdf", fulfilment_pk), "manager"
    ),
    "orders:workspace_home": Url(ws("orders:workspace_home"), "manager"),
    "orders:workspace_document": Url(ws("orders:workspace_document", fulfilment_pk), "manager"),
    "orders:workspace_document_pdf": Url(ws("orders:workspace_document_pdf", fulfilment_pk), "manager"),
    "orders:statement": Url(ws("orders:statement"), "manager"),
    "cms:workspace_markets": Url(ws("cms:workspace_markets"), "manager"),
    "cms:workspace_market_packing": Url(
        ws("cms:workspace_market_packing", lambda w: w.open_market.pk), "manager"
    ),
}


def _producer(w):
    return {"name": "Familia Arrieta", "village": "Vereda El Vergel", "gender": "", "is_active": "on"}


def _proof_upload(w):
    return {"file": SimpleUploadedFile("recibo.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")}


# State-changing requests: each needs POST and a CSRF token. `user` has the rights.
POSTS = {
    "set_language": Url(lambda w: reverse("set_language"), None, 302, lambda w: {"language": "en"}, ANSWERS),
    "wagtailcore_login": Url(
        lambda w: reverse("wagtailcore_login"),
        None,
        200,
        lambda w: {"username": w.buyer.email, "password": "clave-de-prueba-123"},
        ANSWERS,
    ),
    "wagtailcore_authenticate_with_password": Url(
        lambda w: reverse("wagtailcore_authenticate_with_password", args=[1, 1]),
        None,
        404,
        lambda w: {"password": "x"},
        ANSWERS,
    ),
    # The cooperative workspace (a manager)
    "cooperatives:producer_add": Url(ws("cooperatives:producer_add"), "manager", 200, _producer),
    "cooperatives:producer_edit": Url(
        ws("cooperatives:producer_edit", lambda w: w.producer.pk), "manager", 200, _producer
    ),
    "cooperatives:member_list": Url(
        ws("cooperatives:member_list"),
        "manager",
        200,
        lambda w: {"email": "nueva@example.org", "role": MembershipRole.MEMBER},
    ),
    "cooperatives:invitation_revoke": Url(
        ws("cooperatives:invitation_revoke", lambda w: w.invitation.pk), "manager", 405
    ),
    "cooperatives:invitation_accept": Url(
        lambda w: reverse("cooperatives:invitation_accept", args=[w.invitation_for_invitee.token]), "invitee"
    ),
    "catalog:workspace_product_add": Url(
        ws("catalog:workspace_product_add"), "manager", 200, lambda w: {"name": "Ñame"}, ANSWERS
    ),
    "catalog:workspace_product_edit": Url(
        ws("catalog:workspace_product_edit", lambda w: w.product.pk), "manager", 200, lambda w: {}, ANSWERS
    ),
    "catalog:workspace_product_visibility": Url(
        ws("catalog:workspace_product_visibility", lambda w: w.product.pk),
        "manager",
        405,
        lambda w: {"hidden": "1"},
    ),
    "catalog:workspace_photo_upload": Url(
        ws("catalog:workspace_photo_upload", lambda w: w.product.pk),
        "manager",
        405,
        lambda w: {"photo": image_upload()},
    ),
    "catalog:workspace_photo_delete": Url(
        ws("catalog:workspace_photo_delete", lambda w: w.product.pk, lambda w: w.photo.pk), "manager", 405
    ),
    "orders:fulfilment_confirm": Url(ws("orders:fulfilment_confirm", fulfilment_pk), "manager", 405),
    "orders:fulfilment_reject": Url(
        ws("orders:fulfilment_reject", fulfilment_pk), "manager", 405, lambda w: {"reason": "Sin cosecha"}
    ),
    "orders:fulfilment_line_reject": Url(
        ws("orders:fulfilment_line_reject", fulfilment_pk, lambda w: w.line.pk), "manager", 405
    ),
    # Which families supplied a line: none named here, so it answers with a message.
    "orders:fulfilment_line_supply": Url(
        ws("orders:fulfilment_line_supply", fulfilment_pk, lambda w: w.line.pk),
        "manager",
        405,
        control=ANSWERS,
    ),
    "orders:fulfilment_record_delivery": Url(
        ws("orders:fulfilment_record_delivery", fulfilment_pk),
        "manager",
        405,
        lambda w: {"line": w.line.pk, "delivered_quantity": "2,5"},
        ANSWERS,  # only once confirmed; a placed order answers with a message
    ),
    "orders:fulfilment_ready": Url(
        ws("orders:fulfilment_ready", fulfilment_pk), "manager", 405, control=ANSWERS
    ),
    "orders:fulfilment_handed_over": Url(
        ws("orders:fulfilment_handed_over", fulfilment_pk), "manager", 405, control=ANSWERS
    ),
    "orders:fulfilment_mark_paid": Url(ws("orders:fulfilment_mark_paid", fulfilment_pk), "manager", 405),
    "cms:workspace_market": Url(
        ws("cms:workspace_market", lambda w: w.upcoming_market.pk),
        "manager",
        200,
        lambda w: {"product": w.product.pk, "quantity": "8"},
    ),
    # A business registering itself, and its delivery addresses
    "market:organization_register": Url(
        lambda w: reverse("market:organization_register"),
        "buyer",
        200,
        lambda w: {
            "kind": "restaurant",
            "legal_name": "Restaurante La Olla",
            "nit": "900.123.456-8",
            "billing_address": "Cra 4 # 10-20",
            "municipality": "76001",
            "email": "compras@laolla.co",
            "phone": "3001234567",
        },
    ),
    # Her message channels; the stop link at the foot of an e-mail (GET asks, POST stops)
    "market:message_settings": Url(
        lambda w: reverse("market:message_settings"),
        "buyer",
        200,
        lambda w: {"first": "none"},
    ),
    "messages:stop": Url(lambda w: stop_url(w.buyer.email), None, 200),
    "market:address_add": Url(
        lambda w: reverse("market:address_add", args=[organization(w).pk]),
        "buyer",
        200,
        lambda w: {"label": "Bodega", "address": "Calle 5 # 3-20", "municipality": "76001"},
    ),
    "market:address_remove": Url(
        lambda w: reverse("market:address_remove", args=[organization(w).pk, organization(w).address.pk]),
        "buyer",
        405,
    ),
    # The buyer
    "orders:cart_add": Url(
        lambda w: reverse("orders:cart_add"),
        "buyer",
        405,
        lambda w: {"product": w.product.pk, "quantity": "1"},
    ),
    "orders:cart_update": Url(
        lambda w: reverse("orders:cart_update"),
        "buyer",
        405,
        lambda w: {"product": w.product.pk, "quantity": "3"},
    ),
    "orders:cart_remove": Url(
        lambda w: reverse("orders:cart_remove"),
        "buyer",
        405,
        lambda w: {"product": w.product.pk},
        given=lambda w: w.cart_line,
    ),
    "orders:checkout": Url(
        lambda w: reverse("orders:checkout"),
        "buyer",
        200,
        lambda w: {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"},
        given=lambda w: w.cart_line,  # something in the cart to check out
    ),
    # GET is the confirmation page ("are you sure?"), which changes nothing.
    "orders:cancel": Url(lambda w: reverse("orders:cancel", args=[w.order.number]), "buyer", 200),
    "orders:again": Url(lambda w: reverse("orders:again", args=[w.order.number]), "buyer", 405),
    "orders:pay_card": Url(
        lambda w: reverse("orders:pay_card", args=[w.order.number]), "buyer", 404, control=ANSWERS
    ),
    "orders:transfer_proof": Url(
        lambda w: reverse("orders:transfer_proof", args=[w.transfer_order.number]),
        "buyer",
        405,
        _proof_upload,
    ),
    "page:cms.marketeventpage:cart": Url(
        lambda w: w.open_market.url + "cesta/",
        "buyer",
        302,
        lambda w: {"product": w.product.pk, "quantity": "2", "action": "add"},
    ),
    # "Avísenme cuando abra": a signed-in person with one tap (a MarketWatch row).
    "page:cms.marketeventpage:watch": Url(lambda w: w.upcoming_market.url + "avisenme/", "buyer", 302),
    "page:cms.marketeventpage:checkout": Url(
        lambda w: w.open_market.url + "pedido/",
        "buyer",
        302,  # an empty market basket sends her back to the storefront
        lambda w: {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"},
        ANSWERS,
    ),
    # The same, at the plain URLs the storefront's forms post to.
    "cms:market_cart": Url(
        lambda w: reverse("cms:market_cart", args=[w.open_market.pk]),
        "buyer",
        302,
        lambda w: {"product": w.product.pk, "quantity": "2", "action": "add"},
    ),
    "cms:market_checkout": Url(
        lambda w: reverse("cms:market_checkout", args=[w.open_market.pk]),
        "buyer",
        302,  # an empty market basket sends her back to the storefront
        lambda w: {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"},
        ANSWERS,
    ),
}

# Signature-checked callbacks from payment and message providers: no browser posts them.
CSRF_EXEMPT = {"orders:stripe_webhook", "messages:twilio_status", "messages:twilio_incoming"}


# --- Helpers ------------------------------------------------------------------------------

# Wagtail stores a resized copy of a photo the first time a page shows it: a cache, not state.
CACHE_TABLES = {"wagtailimages_rendition"}


def state() -> dict:
    """Every row of every table (but caches), and the number of e-mails sent."""
    snapshot = {"mail": len(mail.outbox)}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in CACHE_TABLES:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = sorted(repr(row) for row in cursor.fetchall())
            snapshot[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return snapshot


def changed(before: dict, after: dict) -> list[str]:
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def client_for(world: World, user: str | None, *, enforce_csrf: bool) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    if user:
        client.force_login(getattr(world, user))
    return client


TOKEN = "s3cr3tCsrfTokenForTestsOnly01234"  # 32 characters: a valid unmasked secret


def with_token(client: Client, data: dict) -> dict:
    client.cookies[settings.CSRF_COOKIE_NAME] = TOKEN
    return {**data, "csrfmiddlewaretoken": TOKEN}


# --- Tests --------------------------------------------------------------------------------


def test_every_url_pattern_is_classified():
    discovered = set(discovered_urls())
    classified = set(READ_ONLY) | set(POSTS) | CSRF_EXEMPT
    assert not set(READ_ONLY) & set(POSTS)
    unknown = sorted(discovered - classified)
    assert unknown == [], f"New URL patterns: classify them in {__name__} (READ_ONLY or POSTS)"
    assert sorted(classified - discovered) == [], "Classified URL names that no longer exist"


def test_only_the_provider_callbacks_are_csrf_exempt():
    exempt = {
        name
        for name, (_route, view) in discovered_urls().items()
        if view is not None and getattr(view, "csrf_exempt", False)
    }
    assert exempt == CSRF_EXEMPT


@pytest.mark.parametrize("name", sorted(POSTS))
def test_a_state_changing_url_needs_post_and_a_csrf_token(world, name):
    spec = POSTS[name]
    spec.given(world)
    url, data = spec.url(world), spec.data(world)

    client = client_for(world, spec.user, enforce_csrf=True)
    browser = client_for(world, spec.user, enforce_csrf=False)  # signing in writes: do it first
    before = state()

    # 1. A POST without a token (a cross-site form) is refused, and nothing changes.
    response = client.post(url, data)
    assert response.status_code == 403
    assert b"CSRF" in response.content, "refused by the CSRF check, not by a permission check"
    assert changed(before, state()) == []
    assert "django_language" not in response.cookies

    # 2. A GET (a link, an image tag, a prefetch) changes nothing either.
    response = browser.get(url)
    assert response.status_code == spec.get
    assert changed(before, state()) == []

    # 3. The control: with a valid token the same POST goes through, for a user with the
    #    rights, so the 403 above was the missing token's doing.
    data = with_token(client, spec.data(world))  # uploads are read once: make them again
    response = client.post(url, data)
    assert response.status_code not in (403, 500), response.status_code
    if spec.control == CHANGES:
        assert response.status_code != 404
        assert changed(before, state()) != [], "a valid request should have changed something"


@pytest.mark.parametrize("name", sorted(READ_ONLY))
def test_a_read_changes_nothing_whatever_the_method(world, name):
    spec = READ_ONLY[name]
    client = client_for(world, spec.user, enforce_csrf=True)
    cross_site = client_for(world, spec.user, enforce_csrf=True)
    url = spec.url(world)
    client.get(url)  # a first view may fill caches (renditions)
    before = state()
    response = client.get(url)
    assert response.status_code == spec.get
    assert changed(before, state()) == []
    # A POST, even with a valid token, must not turn a read into a write.
    response = client.post(url, with_token(client, {"product": world.product.pk, "quantity": "1"}))
    assert response.status_code < 500
    assert changed(before, state()) == []
    # And without a token it is refused like any other POST.
    response = cross_site.post(url, {})
    assert response.status_code == 403
    assert changed(before, state()) == []


# --- The Stripe webhook: no CSRF token, a signature instead --------------------------------


def _stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


def _event(event_id="evt_security_1"):
    return json.dumps(
        {"id": event_id, "object": "event", "type": "customer.created", "data": {"object": {}}}
    ).encode()


def test_the_stripe_webhook_refuses_an_unsigned_post(world):
    client = Client(enforce_csrf_checks=True)
    url = reverse("orders:stripe_webhook")
    before = state()
    unsigned = client.post(url, _event(), content_type="application/json")
    forged = client.post(
        url,
        _event(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_stripe_signature(_event(), "whsec_guessed"),
    )
    assert (unsigned.status_code, forged.status_code) == (400, 400)
    assert changed(before, state()) == []
    assert client.get(url).status_code == 405


def test_the_stripe_webhook_accepts_a_signed_post_without_csrf_token(world):
    """The control: the 400s above are the signature's doing, and CSRF is not in the way."""
    client = Client(enforce_csrf_checks=True)
    payload = _event()
    response = client.post(
        reverse("orders:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_stripe_signature(payload, settings.STRIPE_WEBHOOK_SECRET),
    )
    assert response.status_code == 200


# --- allauth: its own views, checked explicitly -----------------------------------------------


def test_allauth_sign_in_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("account_login"), {"login": world.buyer.email, "password": "clave-de-prueba-123"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_allauth_sign_out_needs_post_and_a_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.buyer)
    assert client.post(reverse("account_logout")).status_code == 403
    assert client.get(reverse("account_logout")).status_code == 200  # a confirmation page
    assert client.session.get("_auth_user_id") == str(world.buyer.pk)


def test_allauth_sign_up_and_password_reset_without_csrf_token_change_nothing(world):
    client = Client(enforce_csrf_checks=True)
    before = state()
    signup = client.post(
        reverse("account_signup"),
        {"email": "nuevo@example.org", "password1": "una-clave-larga-9", "password2": "una-clave-larga-9"},
    )
    phone_signup = client.post(reverse("account_signup_phone"), {"first_name": "Rosa", "phone": "3005550199"})
    reset = client.post(reverse("account_reset_password"), {"email": world.buyer.email})
    assert (signup.status_code, phone_signup.status_code, reset.status_code) == (403, 403, 403)
    assert changed(before, state()) == []
