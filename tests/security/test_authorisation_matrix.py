"""The authorisation matrix: every URL pattern of the project, every role, party A's objects.

Every pattern is discovered from Django's resolver (walked recursively, namespaces
included) plus the routes of Wagtail's routable pages (a market's storefront, basket,
checkout and calendar). Each must have a row in MATRIX saying how to build its URL with
the objects of party A (A's order number, A's cooperative and its fulfilment, product,
producer, invitation and photo, A's market page) and what each role gets:

- allowed roles get their status (200, or a redirect where the view redirects);
- every other role gets 404 or 403, or a redirect to a login page (anonymous, and
  signed-in people without Wagtail admin access on the Wagtail admin views), and the
  body never holds A's private data (buyer A's e-mail, A's order numbers, A's notes,
  the invitee's e-mail);
- a POST-only view answers GET with 405 to everyone alike (that reveals nothing), so
  for those the denied roles are also checked with a POST, which must be refused.

A new URL pattern without a row in MATRIX makes `test_every_url_pattern_is_in_the_matrix`
fail and names it.

The data is built once for the module inside a transaction that is rolled back at the end.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import get_page_models

from cooperatives.models import MembershipRole
from impact.models import Programme
from market.messages.stop_views import stop_url
from orders import services as order_services
from orders.models import PaymentProof
from tests.cms.factories import make_builder, make_market
from tests.factories import (
    CooperativeFactory,
    InvitationFactory,
    MembershipFactory,
    ProducerFactory,
    UserFactory,
    make_photo,
    make_product,
)
from tests.orders.factories import make_organization

# The module fixture builds the data once; the mark gives each test its database access.
pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "buyer_a",
    "buyer_b",
    "manager_a",
    "manager_b",
    "builder_a",
    "builder_b",
    "viewer_a",
    "viewer_b",
    "staff",
)

# Route prefixes left out of the walk, and why.
SKIPPED_PREFIXES = {
    "cms/": "Wagtail's own admin: guarded by Wagtail (access_admin + page permissions); "
    "our market views `cms_market_*` under it ARE covered",
    "django-admin/": "the Django admin: staff only, guarded by django.contrib.admin",
    "cuenta/": "allauth's account pages (login, signup, e-mail): no object of another party",
    "i18n/": "set_language: switches the visitor's own language, no object",
    "documents/": "Wagtail documents: not used by Minga (no document is ever uploaded)",
}
ALWAYS_COVERED = "cms_market_"
# Ours under "cuenta/": her own message settings.
NOT_SKIPPED = {"market:message_settings"}
# Wagtail's page-serving catch-all: the home page and the market pages it serves are
# covered through the rows "home" and "page:cms.marketeventpage:*" below.
SKIPPED_NAMES = {"wagtail_serve": "Wagtail's page-serving catch-all (see rows home and page:*)"}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n)
            yield from _walk(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name or f"<unnamed {route}>"


def discovered() -> dict[str, str]:
    """URL name -> route of every pattern outside the skipped prefixes, plus the routable pages."""
    found = {}
    for route, name in _walk(get_resolver()):
        bare = route.lstrip("^")
        if (
            bare.startswith(tuple(SKIPPED_PREFIXES))
            and not name.startswith(ALWAYS_COVERED)
            and name not in NOT_SKIPPED
        ):
            continue
        if name in SKIPPED_NAMES:
            continue
        found[name] = route
    found["home"] = "/"
    for model in get_page_models():
        if issubclass(model, RoutablePageMixin):
            for pattern in model.get_subpage_urls():
                found[f"page:{model._meta.label_lower}:{pattern.name}"] = str(pattern.pattern)
    return found


# --- The world: party A, party B, staff ---------------------------------------------------


class World:
    def __init__(self):
        now = timezone.now()
        self.coop_a = CooperativeFactory(slug="coop-a", name="Cooperativa A")
        self.coop_b = CooperativeFactory(slug="coop-b", name="Cooperativa B")
        self.manager_a = MembershipFactory(cooperative=self.coop_a, role=MembershipRole.MANAGER).user
        self.manager_b = MembershipFactory(cooperative=self.coop_b, role=MembershipRole.MANAGER).user
        self.buyer_a = UserFactory(email="compradora-a@example.org")
        self.buyer_b = UserFactory(email="comprador-b@example.org")
        self.builder_a = make_builder()
        self.builder_b = make_builder()
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.anonymous = None

        self.producer = ProducerFactory(cooperative=self.coop_a, name="Productora De A")
        self.product = make_product(self.coop_a, name="Yuca de A")
        self.product.producers.set([self.producer])
        self.product_b = make_product(self.coop_b, name="Papa de B")
        self.photo = make_photo(self.product)
        self.invitation = InvitationFactory(cooperative=self.coop_a, email="invitada-a@example.org")

        self.market = make_market(
            title="Mercado de A", offers=[(self.product, 2000, 50)], owner=self.builder_a
        )
        self.market_b = make_market(
            title="Mercado de B", offers=[(self.product_b, 2000, 50)], owner=self.builder_b
        )
        self.upcoming = make_market(
            title="Mercado futuro de A",
            opens_at=now + timedelta(days=2),
            closes_at=now + timedelta(days=4),
            offers=[(self.product, 2000, 10)],
            owner=self.builder_a,
        )
        # A's order: in A's market, by buyer A, with a private note.
        self.order = self._place(
            self.buyer_a, channel=f"market:{self.market.pk}", slot=self.market.slots.first()
        )
        self.fulfilment = self.order.fulfilments.get()
        self.line = self.fulfilment.lines.get()
        # A's bank-transfer order with a proof of payment.
        self.transfer_order = self._place(self.buyer_a, payment_method="transfer")
        self.proof = PaymentProof.objects.create(
            order=self.transfer_order,
            file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="proof.pdf"),
            uploaded_by=self.buyer_a,
        )
        # Buyer B has an order of her own (at cooperative B), so her pages are not empty.
        self._place(self.buyer_b, product=self.product_b)
        # Programme viewers (a funder's officer): A's programme covers cooperative A.
        self.viewer_a = UserFactory(email="oficial-a@example.org")
        self.viewer_b = UserFactory(email="oficial-b@example.org")
        self.programme = self._programme("programa-a", self.coop_a, self.viewer_a)
        self._programme("programa-b", self.coop_b, self.viewer_b)

    @staticmethod
    def _programme(slug, cooperative, viewer):
        programme = Programme.objects.create(
            name=slug, slug=slug, funder="Fondo", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
        )
        programme.cooperatives.set([cooperative])
        programme.viewers.set([viewer])
        programme.save()
        return programme

    def _place(self, buyer, *, channel="", slot=None, payment_method="cash", product=None):
        cart = order_services.cart_get(user=buyer, create=True, channel_key=channel)
        order_services.cart_set_quantity(cart=cart, product_id=(product or self.product).pk, raw_quantity="2")
        choice = order_services.CheckoutChoice(
            delivery_method="pickup",
            payment_method=payment_method,
            notes="NOTA-PRIVADA-DE-A" if buyer == self.buyer_a else "",
            slot_id=slot.pk if slot else None,
        )
        return order_services.order_place(buyer=buyer, cart=cart, choice=choice)

    def private(self) -> list[str]:
        """What nobody outside party A (and staff) may ever read."""
        return [
            self.buyer_a.email,
            self.order.number,
            self.transfer_order.number,
            "NOTA-PRIVADA-DE-A",
            self.invitation.email,
        ]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = World()
            world.clients = {}
            for role in ROLES:
                client = Client()
                user = getattr(world, role)
                if user is not None:
                    client.force_login(user)
                world.clients[role] = client
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- The matrix ---------------------------------------------------------------------------

DENIED = "denied"  # 404, 403, or a redirect to a login page; never A's data


@dataclass
class Row:
    url: Callable[[World], str]
    expect: dict[str, int | str] = field(default_factory=dict)
    post_only: bool = False  # GET answers 405 to everyone; denied roles are checked with a POST
    public: bool = False  # everyone gets the page; private data must still not leak


def everyone(url, status=200) -> Row:
    return Row(url, dict.fromkeys(ROLES, status), public=True)


def only(url, allowed: dict[str, int], *, post_only=False) -> Row:
    expect = {role: allowed.get(role, DENIED) for role in ROLES}
    if post_only:
        expect = {role: 405 if status != DENIED else DENIED for role, status in expect.items()}
    return Row(url, expect, post_only=post_only)


def signed_in(url, status=200, anonymous=DENIED) -> Row:
    """A page about the visitor's own things (her cart, her orders): no object of A in the URL."""
    return Row(url, {role: (anonymous if role == "anonymous" else status) for role in ROLES})


def post_only_for_everyone(url) -> Row:
    return Row(url, dict.fromkeys(ROLES, 405))


def ws(name, *args):
    return lambda w: reverse(name, args=[w.coop_a.slug, *(a(w) for a in args)])


def buyer(name, *args):
    return lambda w: reverse(name, args=[w.order.number, *(a(w) for a in args)])


def admin(name, *args):
    return lambda w: reverse(name, args=[w.market.pk, *(a(w) for a in args)])


def fulfilment(w):
    return w.fulfilment.pk


def organization_a(w):
    """Buyer A's organisation with a saved address, made inside the test (rolled back with it)."""
    organization = make_organization(member=w.buyer_a)
    organization.address = organization.delivery_addresses.create(
        label="Cocina de A", address="Calle 1 # 2-3", municipality=organization.municipality
    )
    return organization


def organization_address_a(w):
    organization = organization_a(w)
    return reverse("market:address_remove", args=[organization.pk, organization.address.pk])


def programme_a(name):
    return lambda w: reverse(name, args=[w.programme.slug])


VIEWER_A = {"viewer_a": 200, "staff": 200}
MANAGER_A = {"manager_a": 200}
MANAGER_A_POST = {"manager_a": 405}
BUYER_A = {"buyer_a": 200}
BUILDER_A = {"builder_a": 200, "staff": 200}

MATRIX: dict[str, Row] = {
    # Public pages
    "home": everyone(lambda w: "/"),
    "catalog:list": everyone(lambda w: reverse("catalog:list")),
    "cms:sitemap": everyone(lambda w: reverse("cms:sitemap")),
    "cms:markets": everyone(lambda w: reverse("cms:markets"), status=302),  # on to the markets list
    "robots_txt": everyone(lambda w: reverse("robots_txt")),
    "favicon": everyone(lambda w: reverse("favicon"), 302),
    # Photos only: anything else under MEDIA_ROOT (a transfer proof) is 404 for everyone.
    "media": everyone(lambda w: reverse("media", args=["payment-proofs/2026/12/comprobante.pdf"]), 404),
    "catalog:product_detail": everyone(
        lambda w: reverse("catalog:product_detail", args=[w.coop_a.slug, w.product.slug])
    ),
    "catalog:cooperative_detail": everyone(
        lambda w: reverse("catalog:cooperative_detail", args=[w.coop_a.slug])
    ),
    "page:cms.marketeventpage:index_route": everyone(lambda w: w.market.url),
    "page:cms.marketeventpage:calendar": everyone(lambda w: w.market.url + "calendario/"),
    "wagtailcore_login": everyone(lambda w: reverse("wagtailcore_login")),
    # No such page view restriction: 404 to everyone.
    "wagtailcore_authenticate_with_password": everyone(
        lambda w: reverse("wagtailcore_authenticate_with_password", args=[999999, w.market.pk]), 404
    ),
    # The visitor's own basket (session or account) and checkout
    # The market basket is shown on the storefront: its GET redirects there.
    "page:cms.marketeventpage:cart": everyone(lambda w: w.market.url + "cesta/", 302),
    "page:cms.marketeventpage:checkout": signed_in(lambda w: w.market.url + "pedido/", 302),
    # The same, at the plain URLs the storefront's forms post to.
    "cms:market_cart": everyone(lambda w: reverse("cms:market_cart", args=[w.market.pk]), 302),
    "cms:market_checkout": signed_in(lambda w: reverse("cms:market_checkout", args=[w.market.pk]), 302),
    # "Avísenme cuando abra": a POST form for everyone; its GET redirects to the market.
    "page:cms.marketeventpage:watch": everyone(lambda w: w.market.url + "avisenme/", 302),
    "orders:cart": everyone(lambda w: reverse("orders:cart")),
    "orders:cart_add": post_only_for_everyone(lambda w: reverse("orders:cart_add")),
    "orders:cart_update": post_only_for_everyone(lambda w: reverse("orders:cart_update")),
    "orders:cart_remove": post_only_for_everyone(lambda w: reverse("orders:cart_remove")),
    "orders:checkout": signed_in(lambda w: reverse("orders:checkout"), 302),
    "orders:list": signed_in(lambda w: reverse("orders:list")),
    # Signature-checked, CSRF-exempt: GET is refused for everyone.
    "orders:stripe_webhook": post_only_for_everyone(lambda w: reverse("orders:stripe_webhook")),
    "messages:twilio_status": post_only_for_everyone(lambda w: reverse("messages:twilio_status")),
    "messages:twilio_incoming": post_only_for_everyone(lambda w: reverse("messages:twilio_incoming")),
    # A business registers itself (any signed-in person); buyer A's organisation, for its members
    "messages:stop": everyone(lambda w: stop_url(w.buyer_a.email)),
    "market:message_settings": signed_in(lambda w: reverse("market:message_settings")),
    "market:organization_register": signed_in(lambda w: reverse("market:organization_register")),
    "market:organization_detail": only(
        lambda w: reverse("market:organization_detail", args=[organization_a(w).pk]), BUYER_A
    ),
    "market:address_add": only(lambda w: reverse("market:address_add", args=[organization_a(w).pk]), BUYER_A),
    "market:address_remove": only(organization_address_a, BUYER_A, post_only=True),
    # Buyer A's order
    "orders:detail": only(buyer("orders:detail"), BUYER_A),
    # GET is the "are you sure?" page, for her own order only; the POST cancels.
    "orders:cancel": only(buyer("orders:cancel"), BUYER_A),
    "orders:again": only(buyer("orders:again"), BUYER_A, post_only=True),
    # Her pickup slot as a calendar file (A's order is a market order with a slot).
    "orders:calendar": only(buyer("orders:calendar"), BUYER_A),
    # A cash order cannot be paid by card: 404 to its buyer too.
    "orders:pay_card": only(buyer("orders:pay_card"), {}, post_only=True),
    # A cash order has no card payment to return from: 404 to its buyer too.
    "orders:pay_card_return": only(buyer("orders:pay_card_return"), {}),
    "orders:document": only(buyer("orders:document", fulfilment), BUYER_A),
    "orders:document_pdf": only(buyer("orders:document_pdf", fulfilment), BUYER_A),
    "orders:transfer": only(lambda w: reverse("orders:transfer", args=[w.transfer_order.number]), BUYER_A),
    "orders:transfer_proof": only(
        lambda w: reverse("orders:transfer_proof", args=[w.transfer_order.number]), BUYER_A, post_only=True
    ),
    "orders:transfer_proof_file": only(
        lambda w: reverse("orders:transfer_proof_file", args=[w.transfer_order.number, w.proof.pk]),
        {"buyer_a": 200, "manager_a": 200, "staff": 200},
    ),
    # Cooperative A's workspace
    "cooperatives:workspace_index": Row(
        lambda w: reverse("cooperatives:workspace_index"),
        dict.fromkeys(ROLES, 200) | {"anonymous": DENIED, "manager_a": 302, "manager_b": 302},
    ),
    "cooperatives:producer_list": only(ws("cooperatives:producer_list"), MANAGER_A),
    "cooperatives:producer_add": only(ws("cooperatives:producer_add"), MANAGER_A),
    "cooperatives:producer_edit": only(ws("cooperatives:producer_edit", lambda w: w.producer.pk), MANAGER_A),
    "cooperatives:member_list": only(ws("cooperatives:member_list"), MANAGER_A),
    "cooperatives:invitation_revoke": only(
        ws("cooperatives:invitation_revoke", lambda w: w.invitation.pk), MANAGER_A, post_only=True
    ),
    # The token is the secret (whoever holds it sees the invitation page, never the invitee's
    # e-mail); anyone signed in may open it, accepting checks the address.
    "cooperatives:invitation_accept": signed_in(
        lambda w: reverse("cooperatives:invitation_accept", args=[w.invitation.token])
    ),
    "catalog:workspace_products": only(ws("catalog:workspace_products"), MANAGER_A),
    "catalog:workspace_product_add": only(ws("catalog:workspace_product_add"), MANAGER_A),
    "catalog:workspace_product_edit": only(
        ws("catalog:workspace_product_edit", lambda w: w.product.pk), MANAGER_A
    ),
    "catalog:workspace_product_visibility": only(
        ws("catalog:workspace_product_visibility", lambda w: w.product.pk), MANAGER_A, post_only=True
    ),
    "catalog:workspace_photo_upload": only(
        ws("catalog:workspace_photo_upload", lambda w: w.product.pk), MANAGER_A, post_only=True
    ),
    "catalog:workspace_photo_delete": only(
        ws("catalog:workspace_photo_delete", lambda w: w.product.pk, lambda w: w.photo.pk),
        MANAGER_A,
        post_only=True,
    ),
    "orders:fulfilment_list": only(ws("orders:fulfilment_list"), MANAGER_A),
    "orders:fulfilment_csv": only(ws("orders:fulfilment_csv"), MANAGER_A),
    "orders:fulfilment_detail": only(ws("orders:fulfilment_detail", fulfilment), MANAGER_A),
    "orders:fulfilment_packing_list": only(ws("orders:fulfilment_packing_list", fulfilment), MANAGER_A),
    "orders:fulfilment_packing_list_pdf": only(
        ws("orders:fulfilment_packing_list_pdf", fulfilment), MANAGER_A
    ),
    "orders:workspace_home": only(ws("orders:workspace_home"), MANAGER_A),
    "orders:fulfilment_confirm": only(ws("orders:fulfilment_confirm", fulfilment), MANAGER_A, post_only=True),
    "orders:fulfilment_reject": only(ws("orders:fulfilment_reject", fulfilment), MANAGER_A, post_only=True),
    "orders:fulfilment_line_reject": only(
        ws("orders:fulfilment_line_reject", fulfilment, lambda w: w.line.pk), MANAGER_A, post_only=True
    ),
    "orders:fulfilment_line_supply": only(
        ws("orders:fulfilment_line_supply", fulfilment, lambda w: w.line.pk), MANAGER_A, post_only=True
    ),
    "orders:fulfilment_record_delivery": only(
        ws("orders:fulfilment_record_delivery", fulfilment), MANAGER_A, post_only=True
    ),
    "orders:fulfilment_ready": only(ws("orders:fulfilment_ready", fulfilment), MANAGER_A, post_only=True),
    "orders:fulfilment_handed_over": only(
        ws("orders:fulfilment_handed_over", fulfilment), MANAGER_A, post_only=True
    ),
    "orders:fulfilment_mark_paid": only(
        ws("orders:fulfilment_mark_paid", fulfilment), MANAGER_A, post_only=True
    ),
    "orders:workspace_document": only(ws("orders:workspace_document", fulfilment), MANAGER_A),
    "orders:workspace_document_pdf": only(ws("orders:workspace_document_pdf", fulfilment), MANAGER_A),
    "orders:statement": only(ws("orders:statement"), MANAGER_A),
    "cms:workspace_markets": only(ws("cms:workspace_markets"), MANAGER_A),
    "cms:workspace_market": only(ws("cms:workspace_market", lambda w: w.market.pk), MANAGER_A),
    "cms:workspace_market_packing": only(
        ws("cms:workspace_market_packing", lambda w: w.market.pk), MANAGER_A
    ),
    # The Market Builder's admin views on builder A's market (staff run every market)
    "cms_market_list": Row(
        lambda w: reverse("cms_market_list"),
        dict.fromkeys(ROLES, DENIED) | {"builder_a": 200, "builder_b": 200, "staff": 200},
    ),
    "cms_market_report": only(admin("cms_market_report"), BUILDER_A),
    "cms_market_hand_over": only(
        admin("cms_market_hand_over", lambda w: w.order.number), BUILDER_A, post_only=True
    ),
    "cms_market_assist": only(admin("cms_market_assist"), BUILDER_A),
    "cms_market_copy": only(admin("cms_market_copy"), BUILDER_A),
    "cms_market_offers_add": only(admin("cms_market_offers_add"), BUILDER_A),
    "cms_market_slots_generate": only(admin("cms_market_slots_generate"), BUILDER_A),
    "cms_market_new": Row(
        lambda w: reverse("cms_market_new"),
        dict.fromkeys(ROLES, DENIED) | {"builder_a": 200, "builder_b": 200, "staff": 200},
    ),
    # Impact: a programme's viewers and staff read its aggregates; a Market Builder her
    # markets' figures; a cooperative its own (every member reads them).
    "impact:programme_list": Row(
        lambda w: reverse("impact:programme_list"),
        dict.fromkeys(ROLES, DENIED)
        | {"builder_a": 200, "builder_b": 200, "viewer_a": 200, "viewer_b": 200, "staff": 200},
    ),
    "impact:programme_detail": only(programme_a("impact:programme_detail"), VIEWER_A),
    "impact:programme_csv": only(programme_a("impact:programme_csv"), VIEWER_A),
    "impact:programme_xlsx": only(programme_a("impact:programme_xlsx"), VIEWER_A),
    "impact:programme_pdf": only(programme_a("impact:programme_pdf"), VIEWER_A),
    "impact:market_impact": only(lambda w: reverse("impact:market_impact", args=[w.market.pk]), BUILDER_A),
    "impact:cooperative_impact": only(ws("impact:cooperative_impact"), MANAGER_A),
    # Buyer A's organisation's yearly certificate of purchases (Ley 2046): its members only.
    "impact:purchases_certificate": only(
        lambda w: reverse("impact:purchases_certificate", args=[organization_a(w).pk, 2026]), BUYER_A
    ),
}

DISCOVERED = discovered()


def test_every_url_pattern_is_in_the_matrix():
    missing = set(DISCOVERED) - set(MATRIX)
    assert missing == set(), f"URL patterns without a row in MATRIX: {sorted(missing)}"
    stale = set(MATRIX) - set(DISCOVERED)
    assert stale == set(), f"MATRIX rows for patterns that no longer exist: {sorted(stale)}"
    assert len(DISCOVERED) >= 60, "discovery found too few patterns: is the walk broken?"
    assert {n for n in DISCOVERED if n.startswith(ALWAYS_COVERED)} == {
        "cms_market_list",
        "cms_market_report",
        "cms_market_hand_over",
        "cms_market_assist",
        "cms_market_copy",
        "cms_market_new",
        "cms_market_offers_add",
        "cms_market_slots_generate",
    }


def test_every_row_names_every_role():
    for name, row in MATRIX.items():
        assert set(row.expect) == set(ROLES), name


LOGIN_PREFIXES = ("/cuenta/login/", "/cms/login/")


def _is_denied(response) -> bool:
    if response.status_code in (403, 404):
        return True
    if response.status_code == 302:
        return response["Location"].split("?")[0].startswith(LOGIN_PREFIXES)
    return False


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(world, name):
    row = MATRIX[name]
    url = row.url(world)
    private = world.private()
    problems = []
    for role in ROLES:
        expected = row.expect[role]
        client = world.clients[role]
        response = client.get(url)
        body = _body(response)
        if expected == DENIED:
            if row.post_only:
                if response.status_code != 405 and not _is_denied(response):
                    problems.append(f"{role}: GET {response.status_code}, expected 405 or denied")
                response = client.post(url, {})
                body = _body(response)
            if not _is_denied(response):
                where = response.get("Location", "")
                problems.append(f"{role}: {response.status_code} {where}, expected 404/403/login")
        elif response.status_code != expected:
            problems.append(f"{role}: {response.status_code}, expected {expected}")
        may_read = role in ("buyer_a", "staff") or (expected != DENIED and not row.public)
        if not may_read:
            leaked = [value for value in private if value in body]
            if leaked:
                problems.append(f"{role}: response holds A's private data {leaked}")
    assert not problems, f"{name} ({url}):\n" + "\n".join(problems)
