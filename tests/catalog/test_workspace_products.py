"""A cooperative manages its products in the workspace; buyers find them in the catalogue."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.images import get_image_model

from catalog import services
from catalog.models import Category, Certification, Product, ProductPhoto
from cooperatives.models import VerificationStatus
from market.models import Municipality
from tests.catalog import photos
from tests.catalog.helpers import spanish
from tests.factories import CooperativeFactory, MembershipFactory, ProducerFactory, image_bytes, make_product


def card_names(response) -> set[str]:
    """The product names a buyer sees on the catalogue's cards."""
    assert response.status_code == 200
    names = re.findall(r"<h3>(.*?)</h3>", response.content.decode())
    return {re.sub(r"</?mark>", "", name) for name in names}  # a search marks the words it matched


def catalogue(client, **filters) -> set[str]:
    return card_names(client.get(reverse("catalog:list"), filters))


def product_page(client, product):
    return client.get(reverse("catalog:product_detail", args=[product.cooperative.slug, product.slug]))


def product_form_data(**changes) -> dict:
    data = {
        "name": "Ñame espino",
        "category": Category.objects.get(slug="tuberculos-y-raices").pk,
        "description": "Cosechado en la vereda El Roble.",
        "unit": "kg",
        "price_cop": "3200",
        "min_quantity": "1",
        "quantity_step": "0.5",
        "stock": "80",
        "is_available": "on",
        "harvest": ["3", "4"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- A manager's work ---------------------------------------------------------------------


def test_manager_adds_a_product_that_buyers_then_find(client, manager, cooperative):
    producer = ProducerFactory(cooperative=cooperative, name="Familia Gómez")
    organic = Certification.objects.get(code="organico")
    client.force_login(manager)

    response = client.post(
        reverse("catalog:workspace_product_add", args=[cooperative.slug]),
        product_form_data(certifications=[organic.pk], producers=[producer.pk]),
    )

    product = Product.objects.get(cooperative=cooperative)
    assert response.status_code == 302
    assert response.url == reverse("catalog:workspace_product_edit", args=[cooperative.slug, product.pk])
    assert (product.name, product.slug, product.price_cop) == ("Ñame espino", "name-espino", 3200)
    assert (product.quantity_step, product.stock) == (Decimal("0.5"), Decimal("80"))
    assert product.harvest_month_numbers() == [3, 4]
    assert catalogue(client) == {"Ñame espino"}
    page = product_page(client, product).content.decode()
    assert "$\xa03.200" in page
    assert "Familia Gómez" in page
    assert "Orgánico" in page


def test_manager_changes_price_and_stock_and_buyers_see_the_new_values(client, manager, product):
    client.force_login(manager)

    response = client.post(
        reverse("catalog:workspace_product_edit", args=[product.cooperative.slug, product.pk]),
        product_form_data(name=product.name, price_cop="4100", stock="12.5"),
    )

    assert response.status_code == 302
    assert spanish("Product saved.") in client.get(response.url).content.decode()
    product.refresh_from_db()
    assert (product.price_cop, product.stock) == (4100, Decimal("12.5"))
    page = product_page(client, product).content.decode()
    assert "$\xa04.100" in page
    assert "12,5" in page


def test_hidden_product_leaves_the_catalogue_and_returns_when_shown_again(client, manager, product):
    client.force_login(manager)
    visibility = reverse("catalog:workspace_product_visibility", args=[product.cooperative.slug, product.pk])

    client.post(visibility, {"hidden": "1"})

    assert catalogue(client) == set()
    assert product_page(client, product).status_code == 404
    workspace = client.get(reverse("catalog:workspace_products", args=[product.cooperative.slug]))
    assert product.name in workspace.content.decode()  # the cooperative still sees it

    client.post(visibility, {"hidden": "0"})

    assert catalogue(client) == {product.name}
    assert product_page(client, product).status_code == 200


# --- Who may do it ------------------------------------------------------------------------


def test_member_sees_the_product_list_without_links_to_change_it(client, member, product):
    client.force_login(member)

    response = client.get(reverse("catalog:workspace_products", args=[product.cooperative.slug]))

    assert response.status_code == 200
    html = response.content.decode()
    assert product.name in html
    assert reverse("catalog:workspace_product_add", args=[product.cooperative.slug]) not in html
    assert (
        reverse("catalog:workspace_product_visibility", args=[product.cooperative.slug, product.pk])
        not in html
    )


@pytest.mark.parametrize("who", ["member", "outsider"])
@pytest.mark.parametrize("action", ["add", "edit", "hide", "upload photo"])
def test_only_the_cooperatives_managers_may_change_its_products(
    request, client, product, media_root, who, action
):
    client.force_login(request.getfixturevalue(who))
    slug, pk = product.cooperative.slug, product.pk
    requests = {
        "add": (reverse("catalog:workspace_product_add", args=[slug]), product_form_data()),
        "edit": (
            reverse("catalog:workspace_product_edit", args=[slug, pk]),
            product_form_data(price_cop="1"),
        ),
        "hide": (reverse("catalog:workspace_product_visibility", args=[slug, pk]), {"hidden": "1"}),
        "upload photo": (
            reverse("catalog:workspace_photo_upload", args=[slug, pk]),
            {"photo": photos.upload("yuca.jpg", image_bytes())},
        ),
    }
    url, data = requests[action]

    if action in ("add", "edit"):
        assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404

    assert list(Product.objects.values_list("name", "price_cop", "is_hidden")) == [
        (product.name, product.price_cop, False)
    ]
    assert not ProductPhoto.objects.exists()
    assert not get_image_model().objects.exists()
    assert photos.stored_files(media_root) == []


# --- Bad input ----------------------------------------------------------------------------

BAD_INPUT = [
    pytest.param({"price_cop": "0"}, "The price must be greater than zero.", id="price-zero"),
    pytest.param(
        {"price_cop": "mil"}, "Write the price in whole pesos, e.g. 25.000.", id="price-not-a-number"
    ),
    pytest.param({"stock": "-1"}, "Stock cannot be negative.", id="negative-stock"),
    pytest.param({"quantity_step": "0"}, "The step must be greater than zero.", id="step-zero"),
    pytest.param({"min_quantity": "0"}, "The minimum must be greater than zero.", id="minimum-zero"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_new_product_with_bad_input_shows_the_error_and_saves_nothing(
    client, manager, cooperative, changes, message
):
    client.force_login(manager)

    response = client.post(
        reverse("catalog:workspace_product_add", args=[cooperative.slug]), product_form_data(**changes)
    )

    assert response.status_code == 200
    assert spanish(message) in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_edit_with_bad_input_shows_the_error_and_changes_nothing(client, manager, product, changes, message):
    client.force_login(manager)
    before = Product.objects.values().get(pk=product.pk)

    response = client.post(
        reverse("catalog:workspace_product_edit", args=[product.cooperative.slug, product.pk]),
        product_form_data(**changes),
    )

    assert response.status_code == 200
    assert spanish(message) in response.content.decode()
    assert Product.objects.values().get(pk=product.pk) == before


def test_producer_of_another_cooperative_cannot_be_attached(client, manager, cooperative, product):
    stranger = ProducerFactory(name="Familia Ajena")  # belongs to another cooperative
    client.force_login(manager)

    added = client.post(
        reverse("catalog:workspace_product_add", args=[cooperative.slug]),
        product_form_data(producers=[stranger.pk]),
    )
    edited = client.post(
        reverse("catalog:workspace_product_edit", args=[cooperative.slug, product.pk]),
        product_form_data(name=product.name, producers=[stranger.pk]),
    )

    refusal = f"Escoja una opción válida. {stranger.pk} no es una de las opciones disponibles."
    for response in (added, edited):
        assert response.status_code == 200
        assert refusal in response.content.decode()
    assert list(Product.objects.all()) == [product]
    assert not product.producers.exists()


def test_product_service_never_attaches_another_cooperatives_producer(product):
    own, stranger = ProducerFactory(cooperative=product.cooperative), ProducerFactory()

    services.product_save(product=product, producers=[own, stranger])

    assert list(product.producers.all()) == [own]


# --- What buyers see ----------------------------------------------------------------------


def test_products_of_an_unverified_cooperative_are_not_public(client, db):
    waiting = CooperativeFactory(verification_status=VerificationStatus.PENDING)
    product = make_product(waiting, name="Cacao fino")

    assert catalogue(client) == set()
    assert catalogue(client, q="cacao") == set()
    assert product_page(client, product).status_code == 404
    assert client.get(reverse("catalog:cooperative_detail", args=[waiting.slug])).status_code == 404
    assert "Cacao fino" not in client.get("/").content.decode()


def test_waiting_cooperative_is_told_its_products_are_not_public_yet(client, db):
    waiting = CooperativeFactory(verification_status=VerificationStatus.PENDING)
    client.force_login(MembershipFactory(cooperative=waiting).user)

    response = client.get(reverse("catalog:workspace_products", args=[waiting.slug]))

    message = "Your cooperative is waiting for verification: its products are not public yet."
    assert spanish(message) in response.content.decode()


@pytest.fixture
def market(db):
    """Two cooperatives in two departments, four products with different seals."""
    anori = CooperativeFactory(
        name="Asociación Campesina de Anorí", municipality=Municipality.objects.get(code="05040")
    )
    popayan = CooperativeFactory(
        name="Apícola del Cauca", municipality=Municipality.objects.get(code="19001")
    )
    category = {slug: Category.objects.get(slug=slug) for slug in ("cafe", "yuca", "miel", "platano")}
    seal = {code: Certification.objects.get(code=code) for code in ("organico", "comercio-justo")}
    for cooperative, name, slug, seals, description in [
        (anori, "Café de altura", "cafe", ["organico"], ""),
        (anori, "Yuca fresca", "yuca", [], "Variedad chirosa, de la vereda El Roble."),
        (popayan, "Miel de abejas", "miel", ["comercio-justo"], ""),
        (popayan, "Plátano hartón", "platano", ["organico"], ""),
    ]:
        product = make_product(cooperative, name=name, category=category[slug], description=description)
        product.certifications.set([seal[code] for code in seals])
    return {"anori": anori, "popayan": popayan}


@pytest.mark.parametrize("text", ["cafe", "CAFÉ", "café altura", "  Cafe  "])
def test_search_ignores_accents_and_case(client, market, text):
    assert catalogue(client, q=text) == {"Café de altura"}


def test_search_also_reads_the_description_and_the_cooperative(client, market):
    assert catalogue(client, q="platano") == {"Plátano hartón"}
    assert catalogue(client, q="chirosa") == {"Yuca fresca"}
    assert catalogue(client, q="apicola") == {"Miel de abejas", "Plátano hartón"}
    assert catalogue(client, q="cosecha inexistente") == set()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"category": "tuberculos-y-raices"}, {"Yuca fresca", "Plátano hartón"}),  # with its subcategories
        ({"category": "miel"}, {"Miel de abejas"}),
        ({"cooperative": "@popayan"}, {"Miel de abejas", "Plátano hartón"}),
        ({"department": "05"}, {"Café de altura", "Yuca fresca"}),
        ({"certification": "organico"}, {"Café de altura", "Plátano hartón"}),
        ({"certification": "organico", "department": "19"}, {"Plátano hartón"}),
        ({"q": "yuca", "category": "tuberculos-y-raices", "department": "05"}, {"Yuca fresca"}),
        ({"q": "miel", "department": "05"}, set()),
    ],
)
def test_filters_narrow_the_catalogue(client, market, filters, expected):
    filters = {key: market[v[1:]].slug if v.startswith("@") else v for key, v in filters.items()}

    assert catalogue(client, **filters) == expected


EVERYTHING = {"Café de altura", "Yuca fresca", "Miel de abejas", "Plátano hartón"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"category": "nope", "department": "zz"}, EVERYTHING),
        ({"cooperative": "no-existe", "certification": "inventada"}, EVERYTHING),
        ({"department": "91"}, EVERYTHING),  # a real department, but no cooperative there to filter by
        ({"category": "' OR 1=1 --", "page": "9999"}, EVERYTHING),
        ({"q": "x" * 500, "page": "abc"}, set()),
    ],
)
def test_unknown_filter_values_are_ignored_not_an_error(client, market, filters, expected):
    assert catalogue(client, **filters) == expected
