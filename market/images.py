"""The one upload cleaner for photos: validate, then re-encode without any metadata.

Validation (extension, real format, 10 MB, 40 megapixels, decompression bombs) is
Wagtail's `WagtailImageField`, configured in settings. After it passes, the pixels are
copied into a fresh image, so EXIF (GPS!), XMP, IPTC, ICC comments and text chunks of
the original are gone from the stored file and from every rendition made from it.
"""

import os
import warnings
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
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


def strip_metadata(uploaded) -> SimpleUploadedFile:
    """Return a copy of the image `uploaded` that carries pixels and nothing else.

    The EXIF orientation is applied to the pixels first so the photo stays upright.
    """
    uploaded.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            source = PILImage.open(uploaded)
            source.load()
        except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
            raise ValidationError(_("This image has too many pixels."), code="file_too_many_pixels") from None
        except Exception as exc:  # Pillow raises many types for corrupt files.
            raise ValidationError(_("This file is not a valid image."), code="invalid_image") from exc
    fmt = source.format or "JPEG"
    if fmt == "MPO":  # Phones' JPEG with extra frames (preview, depth): keep the main picture.
        fmt = "JPEG"
    if fmt not in _SAVE_FORMATS:
        raise ValidationError(_("This file is not a valid image."), code="invalid_image")
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
    """Wagtail's validated image field whose cleaned value has no metadata."""

    def to_python(self, data):
        try:
            return super().to_python(data)
        except ValidationError:
            raise
        except Exception as exc:  # Wagtail decodes the file to count its pixels; a truncated one fails.
            raise ValidationError(self.error_messages["invalid_image"], code="invalid_image") from exc

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if value and value is not initial and hasattr(value, "read"):
            return strip_metadata(value)
        return value


class CleanImageForm(BaseImageForm):
    """Base of the Wagtail admin's image form (WAGTAILIMAGES_IMAGE_FORM_BASE): its file field
    is the workspace's PhotoField, so both places validate and clean uploads the same way."""

    file = PhotoField(label=_("File"), widget=BaseImageForm.Meta.widgets["file"])
