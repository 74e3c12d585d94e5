"""Photos never publish where a family lives: metadata is gone from every stored file."""

from io import BytesIO

import pytest
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from catalog.models import ProductPhoto
from market.images import LARGE_SPEC
from tests.catalog import photos

Image = get_image_model()


@pytest.fixture
def phone_photo() -> bytes:
    content = photos.jpeg_with_metadata()
    with PILImage.open(BytesIO(content)) as source:  # the test means something only if this holds
        assert source.getexif().get_ifd(photos.GPS_IFD) == photos.GPS
        assert {"exif", "xmp", "comment"} <= set(source.info)
    return content


def upload_in_workspace(client, manager, product, name, content) -> Image:
    client.force_login(manager)
    url = reverse("catalog:workspace_photo_upload", args=[product.cooperative.slug, product.pk])
    response = client.post(url, {"photo": photos.upload(name, content)})
    assert response.status_code == 302
    return ProductPhoto.objects.select_related("image").get(product=product).image


def stored_originals_and_renditions(image, media_root):
    yield media_root / image.file.name
    for rendition in image.renditions.all():
        yield media_root / rendition.file.name


def test_workspace_photo_keeps_no_gps_camera_xmp_or_comment_in_any_stored_file(
    client, manager, product, media_root, phone_photo
):
    image = upload_in_workspace(client, manager, product, "IMG_2024.jpg", phone_photo)

    files = list(stored_originals_and_renditions(image, media_root))
    assert len(files) == 3  # the original and the two renditions pages use
    assert photos.stored_files(media_root) == sorted(files)
    for path in files:
        photos.assert_no_metadata(path)
    for path in files[1:]:
        with PILImage.open(path) as rendition:
            assert rendition.format == "WEBP"


def test_workspace_png_keeps_no_exif_or_text_chunks(client, manager, product, media_root):
    image = upload_in_workspace(client, manager, product, "finca.png", photos.png_with_metadata())

    for path in stored_originals_and_renditions(image, media_root):
        photos.assert_no_metadata(path)
    with PILImage.open(media_root / image.file.name) as original:
        assert original.format == "PNG"


def test_wagtail_admin_upload_keeps_no_gps_camera_xmp_or_comment(client, superuser, media_root, phone_photo):
    client.force_login(superuser)
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "Cosecha",
            "file": photos.upload("IMG_2024.jpg", phone_photo),
            "collection": Collection.get_first_root_node().pk,
        },
    )

    assert response.status_code == 302
    image = Image.objects.get()
    image.get_rendition("fill-300x200")  # what a page would ask for: WebP by FORMAT_CONVERSIONS
    files = list(stored_originals_and_renditions(image, media_root))
    assert len(files) == 2
    for path in files:
        photos.assert_no_metadata(path)
    with PILImage.open(files[1]) as rendition:
        assert rendition.format == "WEBP"


def test_wagtail_admin_multiple_upload_keeps_no_gps(client, superuser, media_root, phone_photo):
    """The admin's own 'Add images' page (drag and drop) uses the same form."""
    client.force_login(superuser)
    response = client.post(
        reverse("wagtailimages:add_multiple"),
        {
            "files[]": photos.upload("IMG_2024.jpg", phone_photo),
            "title": "Cosecha",
            "collection": Collection.get_first_root_node().pk,
        },
    )

    assert response.json()["success"] is True
    image = Image.objects.get()
    photos.assert_no_metadata(media_root / image.file.name)


def test_sideways_phone_photo_is_stored_upright_without_an_orientation_tag(
    client, manager, product, media_root
):
    image = upload_in_workspace(client, manager, product, "IMG_2025.jpg", photos.sideways_jpeg())

    assert (image.width, image.height) == (40, 60)
    for path in stored_originals_and_renditions(image, media_root):
        photos.assert_no_metadata(path)
    large = image.renditions.get(filter_spec=LARGE_SPEC)
    for path in (media_root / image.file.name, media_root / large.file.name):
        with PILImage.open(path) as stored:
            picture = stored.convert("RGB")
        assert picture.size == (40, 60)
        # Turned a quarter clockwise: what was the red left half is now the top.
        red, _, blue = picture.getpixel((20, 10))
        assert red > 150 and blue < 100
        red, _, blue = picture.getpixel((20, 50))
        assert blue > 150 and red < 100
