"""A photo with too many pixels is refused by its header alone, before anything is decoded.

Decoding a 48-megapixel upload takes ~150 MB of memory; a file of a few kilobytes can declare
it. So the pixel limit (WAGTAILIMAGES_MAX_IMAGE_PIXELS) is checked on the size the header
declares, and no decoder runs (`ImageFile.load`) and nothing is re-encoded (`Image.save`) for
a refused file, in either upload path: the cooperative workspace's photo field and the
Wagtail admin's image form. Broken and fake files get a clear form error too.
"""

import struct
import zlib
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageFile
from wagtail.images import get_image_model
from wagtail.models import Collection

from catalog.models import ProductPhoto
from market.images import PhotoField, strip_metadata
from tests.catalog import photos
from tests.catalog.helpers import spanish
from tests.factories import image_bytes

Image = get_image_model()

TOO_MANY_PIXELS = (
    "This image has too many pixels: photos can have at most %(max_megapixels)s megapixels. "
    "Make it smaller and upload it again."
)
# Django's message for a file that is not an image, as the other bad uploads say it.
NOT_AN_IMAGE = "Envíe una imagen válida. El fichero que ha enviado no era una imagen"


def too_many_pixels(max_megapixels="40") -> str:
    return spanish(TOO_MANY_PIXELS) % {"max_megapixels": max_megapixels}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring `width` x `height` RGB pixels, with almost no picture:
    what an attacker sends. A decoder would still allocate width * height * 3 bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + bytes(width * 3))  # the first row only
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to declare `width` x `height`."""
    content = bytearray(image_bytes(size=(64, 48)))
    sof = content.index(b"\xff\xc0")
    # Marker (2), length (2), precision (1), then height and width (2 each).
    struct.pack_into(">HH", content, sof + 5, height, width)
    return bytes(content)


OVERSIZE = [
    pytest.param("photo.jpg", lambda: jpeg_declaring(8000, 6000), id="jpeg-header-declaring-48-megapixels"),
    pytest.param("photo.png", lambda: png_declaring(8000, 6000), id="png-header-declaring-48-megapixels"),
    pytest.param("photo.png", photos.over_40_megapixel_png, id="real-42-megapixel-png"),
    pytest.param("photo.png", photos.decompression_bomb_png, id="decompression-bomb-400-megapixels"),
]
BROKEN = [
    pytest.param("photo.jpg", photos.not_an_image, id="text-named-jpg"),
    pytest.param("photo.jpg", photos.truncated_jpeg, id="truncated-jpeg"),
]


@contextmanager
def watching_decoders():
    """Count decodes from a file (`ImageFile.load`) and encodes (`Image.save`), still doing them."""
    with (
        mock.patch.object(
            ImageFile.ImageFile, "load", autospec=True, side_effect=ImageFile.ImageFile.load
        ) as load,
        mock.patch.object(PILImage.Image, "save", autospec=True, side_effect=PILImage.Image.save) as save,
    ):
        yield load, save


def decoded_images(load) -> int:
    """How many different images were decoded (one image may be asked to load more than once)."""
    return len({id(call.args[0]) for call in load.call_args_list})


def post_to_workspace(client, manager, product, file):
    client.force_login(manager)
    url = reverse("catalog:workspace_photo_upload", args=[product.cooperative.slug, product.pk])
    return client.post(url, {"photo": file})


def post_to_admin(client, superuser, file):
    client.force_login(superuser)
    root = Collection.get_first_root_node()
    return client.post(
        reverse("wagtailimages:add"), {"title": "Cosecha", "file": file, "collection": root.pk}
    )


def assert_nothing_stored(media_root):
    assert not ProductPhoto.objects.exists()
    assert not Image.objects.exists()
    assert photos.stored_files(media_root) == []


# --- The field and the cleaner ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), OVERSIZE)
def test_photo_field_refuses_too_many_pixels_without_decoding(name, content):
    upload = photos.upload(name, content())

    with watching_decoders() as (load, save), pytest.raises(ValidationError) as refused:
        PhotoField().clean(upload)

    load.assert_not_called()
    save.assert_not_called()
    assert refused.value.code == "file_too_many_pixels"
    assert refused.value.messages == [too_many_pixels()]


@pytest.mark.parametrize(("name", "content"), OVERSIZE)
def test_strip_metadata_refuses_too_many_pixels_without_decoding(name, content):
    """Demo data and the benchmark clean files with it directly, without the field."""
    upload = photos.upload(name, content())

    with watching_decoders() as (load, save), pytest.raises(ValidationError) as refused:
        strip_metadata(upload)

    load.assert_not_called()
    save.assert_not_called()
    assert refused.value.code == "file_too_many_pixels"
    assert refused.value.messages == [too_many_pixels()]


@pytest.mark.parametrize(("name", "content"), BROKEN)
def test_photo_field_refuses_a_broken_or_fake_image_as_not_an_image(name, content):
    upload = photos.upload(name, content())

    with watching_decoders() as (_, save), pytest.raises(ValidationError) as refused:
        PhotoField().clean(upload)

    assert refused.value.code == "invalid_image"
    assert NOT_AN_IMAGE in refused.value.messages[0]
    save.assert_not_called()


def test_limit_is_the_setting_and_an_image_exactly_at_it_is_accepted(settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 1200 * 900

    cleaned = PhotoField().clean(photos.upload("yuca.jpg", image_bytes(size=(1200, 900))))

    with PILImage.open(cleaned) as stored:
        assert stored.size == (1200, 900)
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 1_500_000
    with pytest.raises(ValidationError) as refused:
        PhotoField().clean(photos.upload("yuca.jpg", image_bytes(size=(1300, 1200))))
    assert refused.value.messages == [too_many_pixels("1,5")]  # as Spanish writes 1.5
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 1_000_000
    with pytest.raises(ValidationError) as refused:
        PhotoField().clean(photos.upload("yuca.jpg", image_bytes(size=(1200, 900))))
    assert refused.value.messages == [too_many_pixels("1")]


def test_a_valid_photo_is_decoded_once_not_once_per_check():
    """Wagtail's own pixel check decoded the whole photo; then the cleaner decoded it again."""
    upload = photos.upload("yuca.jpg", image_bytes(size=(1200, 900)))

    with watching_decoders() as (load, _):
        PhotoField().clean(upload)

    assert decoded_images(load) == 1


# --- Both upload paths ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), OVERSIZE)
def test_workspace_refuses_too_many_pixels_by_the_header_and_stores_nothing(
    client, manager, product, media_root, name, content
):
    upload = photos.upload(name, content())

    with watching_decoders() as (load, save):
        response = post_to_workspace(client, manager, product, upload)

    assert response.status_code == 400
    load.assert_not_called()
    save.assert_not_called()
    assert too_many_pixels() in response.content.decode()
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(("name", "content"), OVERSIZE)
def test_wagtail_admin_refuses_too_many_pixels_by_the_header_and_stores_nothing(
    client, superuser, media_root, name, content
):
    upload = photos.upload(name, content())

    with watching_decoders() as (load, save):
        response = post_to_admin(client, superuser, upload)

    assert response.status_code == 200  # the form again, with its error
    load.assert_not_called()
    save.assert_not_called()
    assert too_many_pixels() in response.content.decode()
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(("name", "content"), BROKEN)
def test_workspace_refuses_a_broken_or_fake_image_with_a_clear_error(
    client, manager, product, media_root, name, content
):
    response = post_to_workspace(client, manager, product, photos.upload(name, content()))

    assert response.status_code == 400
    assert NOT_AN_IMAGE in response.content.decode()
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(("name", "content"), BROKEN)
def test_wagtail_admin_refuses_a_broken_or_fake_image_with_a_clear_error(
    client, superuser, media_root, name, content
):
    response = post_to_admin(client, superuser, photos.upload(name, content()))

    assert response.status_code == 200
    assert NOT_AN_IMAGE in response.content.decode()
    assert_nothing_stored(media_root)
