"""The cooperative workspace shows nothing to anyone outside the cooperative.

The URLs are discovered from Django's resolver, not listed by hand: a workspace URL
added tomorrow is tested here without anyone editing this file, and fails if its view
forgets `workspace_membership`. If its route names an object this file does not know,
`_url_for` fails and says which one to teach it.

GET on a POST-only view answers 405 before any membership check, for everyone, the
cooperative's own manager included. That says nothing about whether the cooperative
or object exists, so a 405 is accepted for GET only when the manager gets it too.

The two cooperatives and their objects are built once for the module; every test runs in a
savepoint inside that transaction, so what one test writes is gone before the next. "Changes
nothing" is checked row by row on every table a request wrote to (see `_unchanged`).
"""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone, translation

from catalog.models import Category
from cooperatives.models import MembershipRole
from tests.cms.factories import make_market
from tests.factories import (
    CooperativeFactory,
    InvitationFactory,
    MembershipFactory,
    ProducerFactory,
    UserFactory,
    image_upload,
    make_photo,
    make_product,
)
from tests.helpers import built_once
from tests.orders.factories import place_order

WORKSPACE_ROUTE = "espacio/<slug:slug>/"
# As of this writing: 5 in cooperatives, 6 in catalog, 14 in orders, 3 in cms. Fewer is a broken discovery.
KNOWN_WORKSPACE_PATTERNS = 28
# Pages a plain member may open and where a POST changes nothing. Every other workspace
# URL is treated as state-changing and must answer 404 to a member's POST.
READ_ONLY_FOR_MEMBERS = {
    "catalog:workspace_products",
    "cooperatives:producer_list",
    "orders:workspace_document",
    "orders:workspace_document_pdf",
}
# Which object a `<int:...>` converter names, from the path segment just before it.
OBJECT_BY_SEGMENT = {
    "productos": "product",
    "productores": "producer",
    "invitaciones": "invitation",
    "fotos": "photo",
    "pedidos": "fulfilment",
    "documentos": "fulfilment",
    "lineas": "line",
    "mercados": "market",
}
# Every row of these apps that a request may have written is compared before and after it.
SNAPSHOT_APPS = ["market", "cooperatives", "catalog", "orders", "cms", "wagtailimages"]
# A statement that may write (anything but these) names the table it writes right after its verb.
READ_ONLY_SQL = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
WRITTEN_TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?\s', re.I)
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def discover_workspace_patterns() -> list[tuple[str, str]]:
    """(view name, full route) of every URL under `espacio/<slug:slug>/`."""
    found = []
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        if WORKSPACE_ROUTE in route:
            name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or route)
            found.append((name, route))
    return sorted(found)


WORKSPACE_PATTERNS = discover_workspace_patterns()
PATTERN_IDS = [name for name, _ in WORKSPACE_PATTERNS]
PATTERNS_WITH_OBJECTS = [(n, r) for n, r in WORKSPACE_PATTERNS if CONVERTER.findall(r)[1:]]
STATE_CHANGING = [(n, r) for n, r in WORKSPACE_PATTERNS if n not in READ_ONLY_FOR_MEMBERS]
READ_ONLY = [(n, r) for n, r in WORKSPACE_PATTERNS if n in READ_ONLY_FOR_MEMBERS]


def _url_for(route: str, side: dict, *, slug: str | None = None) -> str:
    """Fill `route` with the slug and real object ids of one cooperative's `side`."""
    segments = route.split("/")
    values = {}
    for index, segment in enumerate(segments):
        match = CONVERTER.fullmatch(segment)
        if not match:
            continue
        name = match["name"]
        if name == "slug":
            values[segment] = slug or side["cooperative"].slug
            continue
        kind = OBJECT_BY_SEGMENT.get(segments[index - 1]) if index else None
        if kind is None:
            pytest.fail(
                f"{route}: no object known for <{name}> after '{segments[index - 1]}/'. "
                "Add it to OBJECT_BY_SEGMENT and create one in the `world` fixture."
            )
        values[segment] = str(side[kind].pk)
    url = "/" + "/".join(values.get(s, s) for s in segments)
    with translation.override(settings.LANGUAGE_CODE):
        assert resolve(url).route == route, f"{url} does not resolve to {route}"
    return url


def _payload(name: str, side: dict) -> dict:
    """Valid data for each form, so that a missing check would really write something."""
    category = Category.objects.get(slug="tuberculos-y-raices")
    product = {
        "name": "Papa intrusa",
        "category": category.pk,
        "description": "",
        "unit": "kg",
        "price_cop": "9999",
        "min_quantity": "1",
        "quantity_step": "1",
        "stock": "5",
        "is_available": "on",
    }
    producer = {"name": "Productor intruso", "village": "", "gender": "", "is_active": "on"}
    return {
        "catalog:workspace_product_add": product,
        "catalog:workspace_product_edit": product,
        "catalog:workspace_product_visibility": {"hidden": "1"},
        "catalog:workspace_photo_upload": {"photo": image_upload()},
        "cooperatives:producer_add": producer,
        "cooperatives:producer_edit": producer,
        "cooperatives:member_list": {"email": "intrusa@example.org", "role": MembershipRole.MANAGER},
        "orders:fulfilment_reject": {"reason": "Sin cosecha"},
        "orders:fulfilment_line_reject": {"reason": "Sin cosecha"},
        "orders:fulfilment_record_delivery": {"line": side["line"].pk, "delivered_quantity": "1,5"},
        "cms:workspace_market": {"product": side["product"].pk, "quantity": "5"},
    }.get(name, {"confirm": "1"})


def _snapshot_models() -> list:
    return [
        model
        for label in SNAPSHOT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def _rows(models) -> dict:
    """Every row of `models`, with the fields of their parents (a market's page title too)."""
    return {m._meta.label: list(m._base_manager.order_by("pk").values()) for m in models}


def _models_written(queries) -> list | None:
    """The snapshot models whose rows `queries` may have changed; None when a statement may
    have written without naming its table (then every model is compared)."""
    tables = set()
    for query in queries:
        if READ_ONLY_SQL.match(query["sql"]):
            continue
        written = WRITTEN_TABLE.match(query["sql"])
        if written is None:
            return None
        tables.add(written[1])
    return [
        model
        for model in _snapshot_models()
        if tables & {m._meta.db_table for m in (model, *model._meta.get_parent_list())}
    ]


@contextmanager
def _unchanged(what: str):
    """Fails unless the requests made inside leave every row of SNAPSHOT_APPS and the outbox as
    they were. The rows compared are those of the tables the requests wrote to (read after
    them, and before them once a savepoint has undone them): a row snapshot of everything,
    without reading the untouched thousands (municipalities) at every request."""
    outbox = [(m.subject, tuple(m.to)) for m in mail.outbox]
    savepoint = transaction.savepoint()
    with CaptureQueriesContext(connection) as queries:
        yield
    models = _models_written(queries.captured_queries)
    if models is None:
        models = _snapshot_models()
    after = _rows(models)
    transaction.savepoint_rollback(savepoint)
    assert _rows(models) == after, f"{what} changed the database"
    assert [(m.subject, tuple(m.to)) for m in mail.outbox] == outbox, f"{what} sent mail"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _side(cooperative, manager) -> dict:
    producer = ProducerFactory(cooperative=cooperative)
    product = make_product(cooperative, name=f"Yuca de {cooperative.name}")
    product.producers.set([producer])
    return {
        "cooperative": cooperative,
        "manager": manager,
        "producer": producer,
        "product": product,
        "invitation": InvitationFactory(cooperative=cooperative),
        "photo": make_photo(product),
        # A market only this cooperative takes part in (upcoming: its offer can be confirmed).
        "market": make_market(
            title=f"Mercado de {cooperative.name}",
            opens_at=timezone.now() + timedelta(days=2),
            closes_at=timezone.now() + timedelta(days=4),
            offers=[(product, 2000, 10)],
        ),
    }


def _build_world() -> dict:
    coop_a, coop_b = CooperativeFactory(slug="coop-a"), CooperativeFactory(slug="coop-b")
    a = _side(coop_a, MembershipFactory(cooperative=coop_a, role=MembershipRole.MANAGER).user)
    b = _side(coop_b, MembershipFactory(cooperative=coop_b, role=MembershipRole.MANAGER).user)
    customer = UserFactory()
    order = place_order(customer, [(a["product"], 2), (b["product"], 3)])
    for side in (a, b):
        side["fulfilment"] = order.fulfilments.get(cooperative=side["cooperative"])
        side["line"] = side["fulfilment"].lines.get()
    return {
        "a": a,
        "b": b,
        "member_a": MembershipFactory(cooperative=coop_a, role=MembershipRole.MEMBER).user,
        "buyer": UserFactory(),
        "customer": customer,
    }


@pytest.fixture(scope="module")
def _world_rows(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _build_world) as world:
        yield world


@pytest.fixture
def world(_world_rows, db):
    """Two cooperatives, A and B, each with a manager, a producer, a product with its photo,
    an invitation and a market of its own; a member of A; a buyer who ordered from both and
    one who did not. Built once for the module; each test's changes are rolled back."""
    return _world_rows


def _manager_get_status(world, url) -> int:
    return _client(world["a"]["manager"]).get(url).status_code


def _assert_hidden(world, client, route, name, *, side="a", django_capture_on_commit_callbacks):
    """GET and POST `route` (filled with `side`'s ids, in A's URL) answer 404 and write nothing."""
    url = _url_for(route, world[side], slug=world["a"]["cooperative"].slug)

    with _unchanged(f"GET {url}"):
        response = client.get(url)
    if response.status_code == 405:
        own_url = _url_for(route, world["a"])
        assert _manager_get_status(world, own_url) == 405, f"GET {url} answers 405 only to outsiders"
    else:
        assert response.status_code == 404, f"GET {url}: {response.status_code}"

    with _unchanged(f"POST {url}"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _payload(name, world[side]))
    assert response.status_code == 404, f"POST {url}: {response.status_code}"


def test_discovery_finds_every_workspace_url_of_both_apps():
    names = [name for name, _ in WORKSPACE_PATTERNS]
    assert len(WORKSPACE_PATTERNS) >= KNOWN_WORKSPACE_PATTERNS, names
    assert {name.split(":")[0] for name in names} >= {"cooperatives", "catalog", "orders", "cms"}
    assert {
        "catalog:workspace_products",
        "catalog:workspace_photo_delete",
        "cooperatives:producer_edit",
        "cooperatives:invitation_revoke",
        "orders:fulfilment_confirm",
        "orders:workspace_document",
        "cms:workspace_market",
    } <= set(names)
    assert set(names) >= READ_ONLY_FOR_MEMBERS, "a read-only page was renamed: update the set"


@pytest.mark.parametrize(("name", "route"), WORKSPACE_PATTERNS, ids=PATTERN_IDS)
def test_manager_of_the_cooperative_reaches_every_url(world, name, route):
    """The positive control: the URLs built here are real, so the 404s below mean something."""
    url = _url_for(route, world["a"])
    client = _client(world["a"]["manager"])
    assert client.get(url).status_code in (200, 405), url
    assert client.post(url, _payload(name, world["a"])).status_code in (200, 302, 400), url


@pytest.mark.parametrize(("name", "route"), WORKSPACE_PATTERNS, ids=PATTERN_IDS)
@pytest.mark.parametrize(
    "who", ["manager of another cooperative", "buyer without membership", "buyer of the cooperative's order"]
)
def test_outsiders_get_404_and_change_nothing(world, name, route, who, django_capture_on_commit_callbacks):
    user = {
        "manager of another cooperative": world["b"]["manager"],
        "buyer without membership": world["buyer"],
        "buyer of the cooperative's order": world["customer"],
    }[who]
    _assert_hidden(
        world,
        _client(user),
        route,
        name,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(("name", "route"), WORKSPACE_PATTERNS, ids=PATTERN_IDS)
def test_anonymous_is_sent_to_login_and_changes_nothing(
    world, name, route, django_capture_on_commit_callbacks
):
    url = _url_for(route, world["a"])
    client = _client()
    login = reverse("account_login")
    with _unchanged(f"GET and POST {url}"), django_capture_on_commit_callbacks(execute=True):
        responses = [client.get(url), client.post(url, _payload(name, world["a"]))]
    for response in responses:
        assert response.status_code in (302, 404), f"{response.request['REQUEST_METHOD']} {url}"
        if response.status_code == 302:
            assert response["Location"].startswith(login + "?next="), response["Location"]


@pytest.mark.parametrize(("name", "route"), STATE_CHANGING, ids=[n for n, _ in STATE_CHANGING])
def test_plain_member_gets_404_on_every_state_changing_post(
    world, name, route, django_capture_on_commit_callbacks
):
    url = _url_for(route, world["a"])
    client = _client(world["member_a"])
    with _unchanged(f"POST {url}"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _payload(name, world["a"]))
    assert response.status_code == 404, f"POST {url}: {response.status_code}"


@pytest.mark.parametrize(("name", "route"), READ_ONLY, ids=[n for n, _ in READ_ONLY])
def test_plain_member_can_read_but_a_post_changes_nothing(
    world, name, route, django_capture_on_commit_callbacks
):
    url = _url_for(route, world["a"])
    client = _client(world["member_a"])
    assert client.get(url).status_code == 200
    with _unchanged(f"POST {url}"), django_capture_on_commit_callbacks(execute=True):
        client.post(url, _payload(name, world["a"]))


@pytest.mark.parametrize(("name", "route"), PATTERNS_WITH_OBJECTS, ids=[n for n, _ in PATTERNS_WITH_OBJECTS])
def test_manager_cannot_reach_another_cooperatives_objects_through_own_url(
    world, name, route, django_capture_on_commit_callbacks
):
    _assert_hidden(
        world,
        _client(world["a"]["manager"]),
        route,
        name,
        side="b",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(
    "name",
    [
        "cooperatives:producer_add",  # an INSERT
        "catalog:workspace_product_edit",  # an UPDATE
        "catalog:workspace_photo_delete",  # a DELETE
        "cooperatives:member_list",  # an invitation, and its e-mail on commit
    ],
)
def test_the_check_sees_what_a_request_writes(world, name, django_capture_on_commit_callbacks):
    """The negative control of `_unchanged`: the manager's own requests do change things."""
    url = _url_for(dict(WORKSPACE_PATTERNS)[name], world["a"])
    client = _client(world["a"]["manager"])
    with (
        pytest.raises(AssertionError, match="changed the database"),
        _unchanged(f"POST {url}"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(url, _payload(name, world["a"]))


def test_the_check_sees_mail_alone(world):
    with pytest.raises(AssertionError, match="sent mail"), _unchanged("sending"):
        mail.send_mail("Hola", "", "minga@example.org", ["alguien@example.org"])
