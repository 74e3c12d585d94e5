"""The first product form takes a photo, and saving it twice (a double tap, a retry after a
timeout) makes one product: the form carries a one-time key, unique in the cooperative."""

import re
from unittest import mock

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Category, Product, ProductPhoto
from tests.factories import CooperativeFactory, MembershipFactory, image_upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _add_url(cooperative) -> str:
    return reverse("catalog:workspace_product_add", args=[cooperative.slug])


def _form_key(client, cooperative) -> str:
    html = client.get(_add_url(cooperative)).content.decode()
    found = re.search(r'<input type="hidden" name="form_key" value="([A-Za-z0-9_-]+)"', html)
    assert found, "the new-product form carries a one-time key"
    return found[1]


def _form_data(**changes) -> dict:
    data = {
        "name": "Miel de abejas",
        "category": Category.objects.get(slug="miel").pk,
        "unit": "litro",
        "price_cop": "30000",
        "min_quantity": "1",
        "quantity_step": "1",
        "stock": "20",
        "is_available": "on",
    }
    data.update(changes)
    return data


def test_the_first_form_takes_a_photo_with_the_product(client, manager, cooperative):
    client.force_login(manager)
    html = client.get(_add_url(cooperative)).content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="photo"' in html

    response = client.post(
        _add_url(cooperative), _form_data(form_key=_form_key(client, cooperative), photo=image_upload())
    )

    product = Product.objects.get(cooperative=cooperative)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "catalog:workspace_product_edit", args=[cooperative.slug, product.pk]
    )
    assert ProductPhoto.objects.filter(product=product).count() == 1


def test_the_photo_is_optional_and_the_edit_form_has_none(client, manager, cooperative):
    client.force_login(manager)
    client.post(_add_url(cooperative), _form_data(form_key=_form_key(client, cooperative)))
    product = Product.objects.get(cooperative=cooperative)
    assert not product.photos.exists()
    edit = client.get(
        reverse("catalog:workspace_product_edit", args=[cooperative.slug, product.pk])
    ).content.decode()
    assert 'name="form_key"' not in edit
    assert edit.count('name="photo"') == 1, "only the separate upload form"


def test_saving_the_same_form_twice_makes_one_product_with_one_photo(client, manager, cooperative):
    client.force_login(manager)
    key = _form_key(client, cooperative)

    first = client.post(_add_url(cooperative), _form_data(form_key=key, photo=image_upload()))
    second = client.post(_add_url(cooperative), _form_data(form_key=key, photo=image_upload()), follow=True)

    product = Product.objects.get(cooperative=cooperative)
    assert first["Location"] == second.redirect_chain[0][0]
    assert "Este producto ya estaba guardado." in second.content.decode()
    assert ProductPhoto.objects.filter(product=product).count() == 1


def test_two_posts_at_once_meet_at_the_unique_key(client, manager, cooperative):
    """The second post did not see the first's product when it looked; the database's unique
    key stops its insert, and it answers with the first's product."""
    client.force_login(manager)
    key = _form_key(client, cooperative)
    client.post(_add_url(cooperative), _form_data(form_key=key))
    first = Product.objects.get(cooperative=cooperative)

    real = services._product_with_key
    calls = []

    def blind_first_look(cooperative_id, form_key):
        calls.append(form_key)
        return None if len(calls) == 1 else real(cooperative_id, form_key)

    with mock.patch.object(services, "_product_with_key", side_effect=blind_first_look):
        response = client.post(_add_url(cooperative), _form_data(form_key=key))

    assert len(calls) == 2
    assert response["Location"] == reverse(
        "catalog:workspace_product_edit", args=[cooperative.slug, first.pk]
    )
    assert Product.objects.filter(cooperative=cooperative).count() == 1


def test_new_forms_make_new_products_and_a_post_without_a_key_still_works(client, manager, cooperative):
    client.force_login(manager)
    client.post(_add_url(cooperative), _form_data(form_key=_form_key(client, cooperative)))
    client.post(_add_url(cooperative), _form_data(form_key=_form_key(client, cooperative)))
    client.post(_add_url(cooperative), _form_data(form_key=""))
    client.post(_add_url(cooperative), _form_data(form_key="<not a key>"))
    assert Product.objects.filter(cooperative=cooperative).count() == 4


def test_another_cooperatives_key_does_not_reach_its_product(client, manager, cooperative):
    neighbour = CooperativeFactory(name="Vecina")
    neighbour_manager = MembershipFactory(cooperative=neighbour, role="manager").user
    client.force_login(neighbour_manager)
    key = _form_key(client, neighbour)
    client.post(_add_url(neighbour), _form_data(form_key=key))

    client.force_login(manager)
    response = client.post(_add_url(cooperative), _form_data(form_key=key, name="Panela"))

    own = Product.objects.get(cooperative=cooperative)
    assert own.name == "Panela"
    assert response["Location"] == reverse("catalog:workspace_product_edit", args=[cooperative.slug, own.pk])


def test_a_bad_photo_is_refused_and_nothing_is_saved(client, manager, cooperative):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(manager)
    response = client.post(
        _add_url(cooperative),
        _form_data(
            form_key=_form_key(client, cooperative), photo=SimpleUploadedFile("x.jpg", b"not an image")
        ),
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Product.objects.exists() and not ProductPhoto.objects.exists()
