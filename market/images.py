"""The one upload cleaner for photos: validate, then re-encode without any metadata.

Validation (extension, real format, 10 MB) is Wagtail's `WagtailImageField`, configured in
settings; the pixel limit (WAGTAILIMAGES_MAX_IMAGE_PIXELS) is checked on the size the file's
header declares, before anything is decoded, so an oversize photo or a decompression bomb
costs the server a few kilobytes of reading, not hundreds of megabytes of memory. After it
passes, the pixels are copied into a fresh image, so EXIF (GPS!), XMP, IPTC, ICC comments and
text chunks of the original are gone from the stored file and from every rendition made from it.
"""

import os
import warnings
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageOps
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

_SAVE_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}

# Renditions made when a photo is uploaded, so pages never create them while rendering.
THUMBNAIL_SPEC = "fill-400x300|format-webp|webpquality-70"
LARGE_SPEC = "max-960x720|format-webp|webpquality-75"
PHOTO_SPECS = (THUMBNAIL_SPEC, LARGE_SPEC)

TOO_MANY_PIXELS = _(
    "This image has too many pixels: photos can have at most %(max_megapixels)s megapixels. "
    "Make it smaller and upload it again."
)
NOT_AN_IMAGE = _("This file is not a valid image.")


def _too_many_pixels(max_pixels: int) -> ValidationError:
    megapixels = max_pixels / 1_000_000
    return ValidationError(
        TOO_MANY_PIXELS,
        code="file_too_many_pixels",
        params={"max_megapixels": number_format(megapixels, 0 if megapixels.is_integer() else 1)},
    )


def open_header(uploaded, max_pixels: int | None = None) -> PILImage.Image:
    """Open `uploaded` reading only its header, and refuse it if the size it declares has
    more than `max_pixels` (default WAGTAILIMAGES_MAX_IMAGE_PIXELS) pixels.

    Nothing is decoded here: the returned image is not loaded yet. A file Pillow cannot
    identify is refused as not an image; one whose data is broken past the header is refused
    when it is loaded (in `strip_metadata`).
    """
    if max_pixels is None:
        max_pixels = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
    uploaded.seek(0)
    with warnings.catch_warnings():
        # Pillow warns past its own limit (market.apps sets it to ours) and raises past twice
        # it, both from the header; the comparison below is the one that decides.
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        try:
            image = PILImage.open(uploaded)
        except PILImage.DecompressionBombError:
            raise _too_many_pixels(max_pixels or 2 * PILImage.MAX_IMAGE_PIXELS) from None
        except Exception as exc:  # Pillow raises many types for files it cannot identify.
            raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from exc
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return image


def strip_metadata(uploaded) -> SimpleUploadedFile:
    """Return a copy of the image `uploaded` that carries pixels and nothing else.

    The pixel limit is checked on the header before the image is decoded. The EXIF
    orientation is applied to the pixels first so the photo stays upright.
    """
    source = open_header(uploaded)
    try:
        source.load()
    except Exception as exc:  # Truncated or corrupt data past a valid header.
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from exc
    fmt = source.format or "JPEG"
    if fmt == "MPO":  # Phones' JPEG with extra frames (preview, depth): keep the main picture.
        fmt = "JPEG"
    if fmt not in _SAVE_FORMATS:
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image")
    image = ImageOps.exif_transpose(source)
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = PILImage.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette())
    out = BytesIO()
    options = {"JPEG": {"quality": 88, "optimize": True}, "WEBP": {"quality": 85}}.get(fmt, {})
    clean.save(out, format=fmt, **options)
    name = os.path.basename(uploaded.name or "photo")
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{_SAVE_FORMATS[fmt]}")


class PhotoField(WagtailImageField):
    """Wagtail's validated image field whose cleaned value has no metadata.

    Its pixel check reads the header only (Wagtail's decodes the whole image to count its
    pixels); the one decode happens in `strip_metadata`, after every check has passed.
    """

    def _not_an_image(self) -> ValidationError:
        """The field's own wording, so every unreadable file is refused with the same message."""
        return ValidationError(self.error_messages["invalid_image"], code="invalid_image")

    def check_image_pixel_size(self, f):
        try:
            open_header(f, self.max_image_pixels)
        except ValidationError as error:
            if error.code != "invalid_image":
                raise
            raise self._not_an_image() from error
        finally:
            f.seek(0)

    def to_python(self, data):
        try:
            return super().to_python(data)
        except ValidationError:
            raise
        except Exception as exc:  # Nothing unexpected in a broken upload may become a server error.
            raise self._not_an_image() from exc

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if value and value is not initial and hasattr(value, "read"):
            try:
                return strip_metadata(value)
            except ValidationError as error:  # A file broken past its header fails to decode here.
                if error.code != "invalid_image":
                    raise
                raise self._not_an_image() from error
        return value


class CleanImageForm(BaseImageForm):
    """Base of the Wagtail admin's image form (WAGTAILIMAGES_IMAGE_FORM_BASE): its file field
    is the workspace's PhotoField, so both places validate and clean uploads the same way."""

    file = PhotoField(label=_("File"), widget=BaseImageForm.Meta.widgets["file"])
