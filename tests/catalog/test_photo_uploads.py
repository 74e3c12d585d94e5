"""Photo uploads, through the cooperative workspace and through the Wagtail admin.

Every hostile or broken file is refused with a message the uploader can act on, and leaves
no trace: no image row, no product photo, no file on disk.
"""

from io import BytesIO

import pytest
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from catalog.models import ProductPhoto
from market.images import PHOTO_SPECS
from tests.catalog import photos
from tests.catalog.helpers import spanish
from tests.factories import image_bytes

Image = get_image_model()

NOT_AN_IMAGE = "Envíe una imagen válida. El fichero que ha enviado no era una imagen"
UNSUPPORTED = "No esta soportado el formato de imagen. Formatos soportados: JPG, JPEG, PNG, WEBP."
TOO_BIG = "Este archivo es demasiado grande (11,0\xa0MB). El tamaño máximo de archivo es: 10,0\xa0MB."


def too_many_pixels() -> str:
    """Refused by the header alone, the same way at 42 megapixels as at 400 (the app's message)."""
    message = (
        "This image has too many pixels: photos can have at most %(max_megapixels)s megapixels. "
        "Make it smaller and upload it again."
    )
    return spanish(message) % {"max_megapixels": "40"}


BAD_UPLOADS = [
    pytest.param("photo.jpg", photos.not_an_image, NOT_AN_IMAGE, id="text-named-jpg"),
    pytest.param("photo.gif", photos.png_bytes, UNSUPPORTED, id="png-named-gif"),
    pytest.param("photo.exe", photos.png_bytes, UNSUPPORTED, id="png-named-exe"),
    pytest.param("photo.svg", photos.png_bytes, UNSUPPORTED, id="png-named-svg"),
    pytest.param("photo.jpg", photos.png_bytes, "No es una imagen .jpeg válida", id="png-named-jpg"),
    pytest.param("photo.jpg", photos.truncated_jpeg, NOT_AN_IMAGE, id="truncated-jpeg"),
    pytest.param("photo.jpg", photos.over_10_mb_jpeg, TOO_BIG, id="over-10-mb"),
    pytest.param("photo.png", photos.over_40_megapixel_png, too_many_pixels, id="over-40-megapixels"),
    pytest.param("photo.png", photos.decompression_bomb_png, too_many_pixels, id="decompression-bomb"),
]


def post_to_workspace(client, manager, product, file):
    client.force_login(manager)
    url = reverse("catalog:workspace_photo_upload", args=[product.cooperative.slug, product.pk])
    return client.post(url, {"photo": file})


def post_to_admin(client, superuser, file, title="Yuca recién cosechada"):
    client.force_login(superuser)
    root = Collection.get_first_root_node()
    return client.post(reverse("wagtailimages:add"), {"title": title, "file": file, "collection": root.pk})


@pytest.mark.parametrize(("name", "content", "message"), BAD_UPLOADS)
def test_bad_photo_in_the_workspace_is_refused_with_a_reason_and_stores_nothing(
    client, manager, product, media_root, name, content, message
):
    response = post_to_workspace(client, manager, product, photos.upload(name, content()))

    assert response.status_code == 400
    assert (message() if callable(message) else message) in response.content.decode()
    assert not ProductPhoto.objects.exists()
    assert not Image.objects.exists()
    assert photos.stored_files(media_root) == []


@pytest.mark.parametrize(("name", "content", "message"), BAD_UPLOADS)
def test_bad_photo_in_the_wagtail_admin_is_refused_with_a_reason_and_stores_nothing(
    client, superuser, media_root, name, content, message
):
    response = post_to_admin(client, superuser, photos.upload(name, content()))

    assert response.status_code == 200  # the form again, with its errors
    assert (message() if callable(message) else message) in response.content.decode()
    assert not Image.objects.exists()
    assert photos.stored_files(media_root) == []


def test_valid_jpeg_in_the_workspace_becomes_a_product_photo_with_webp_renditions(
    client, manager, product, media_root
):
    response = post_to_workspace(
        client, manager, product, photos.upload("yuca.jpg", image_bytes(size=(1200, 900)))
    )

    assert response.status_code == 302
    photo = ProductPhoto.objects.select_related("image").get(product=product)
    assert (photo.image.width, photo.image.height) == (1200, 900)
    assert (media_root / photo.image.file.name).is_file()
    assert photo.image.file.name.startswith("original_images/")
    renditions = list(photo.image.renditions.all())
    assert sorted(r.filter_spec for r in renditions) == sorted(PHOTO_SPECS)
    for rendition in renditions:
        with PILImage.open(media_root / rendition.file.name) as stored:
            assert stored.format == "WEBP"
            assert max(stored.size) <= 960

    public_page = client.get(reverse("catalog:product_detail", args=[product.cooperative.slug, product.slug]))
    assert any(r.url in public_page.content.decode() for r in renditions)


def test_phone_jpeg_with_extra_frames_is_accepted_as_a_plain_jpeg(client, manager, product, media_root):
    """Many phones save MPO: a JPEG followed by a preview or depth frame."""
    main, extra = PILImage.new("RGB", (160, 120), (200, 0, 0)), PILImage.new("RGB", (80, 60), (0, 0, 200))
    buffer = BytesIO()
    main.save(buffer, format="MPO", save_all=True, append_images=[extra])

    response = post_to_workspace(client, manager, product, photos.upload("IMG_0001.jpg", buffer.getvalue()))

    assert response.status_code == 302
    image = ProductPhoto.objects.get(product=product).image
    with PILImage.open(media_root / image.file.name) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (160, 120)
        assert getattr(stored, "n_frames", 1) == 1


def test_seventh_photo_is_refused_and_not_stored(client, manager, product, media_root):
    for n in range(6):
        post_to_workspace(client, manager, product, photos.upload(f"yuca{n}.jpg", image_bytes()))
    files_before = photos.stored_files(media_root)

    response = post_to_workspace(client, manager, product, photos.upload("yuca7.jpg", image_bytes()))

    assert spanish("A product can have at most six photos.") in client.get(response.url).content.decode()
    assert product.photos.count() == 6
    assert Image.objects.count() == 6
    assert photos.stored_files(media_root) == files_before


def test_valid_jpeg_in_the_wagtail_admin_is_stored_and_rendered_as_webp(client, superuser, media_root):
    response = post_to_admin(client, superuser, photos.upload("mercado.jpg", image_bytes(size=(800, 600))))

    assert response.status_code == 302
    image = Image.objects.get()
    assert image.title == "Yuca recién cosechada"
    assert (image.width, image.height) == (800, 600)
    assert (media_root / image.file.name).is_file()
    rendition = image.get_rendition("max-400x300")
    with PILImage.open(media_root / rendition.file.name) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (400, 300)


def test_renaming_an_image_in_the_wagtail_admin_keeps_its_cleaned_file(client, superuser, media_root):
    post_to_admin(client, superuser, photos.upload("mercado.jpg", image_bytes()))
    image = Image.objects.get()
    stored = photos.stored_files(media_root)

    response = client.post(
        reverse("wagtailimages:edit", args=[image.pk]),
        {"title": "Mercado de Anorí", "collection": image.collection_id, "tags": ""},
    )

    assert response.status_code == 302
    image.refresh_from_db()
    assert image.title == "Mercado de Anorí"
    assert photos.stored_files(media_root) == stored


def test_wagtail_admin_upload_page_offers_only_the_allowed_formats(client, superuser):
    client.force_login(superuser)

    response = client.get(reverse("wagtailimages:add"))

    assert response.status_code == 200
    assert "JPG, JPEG, PNG, WEBP" in response.content.decode()
