"""Public media served by the app itself when photos live on the local disk (no bucket).

Only the photos are public: Wagtail's originals and renditions (`original_images/`,
`images/`). Everything else under MEDIA_ROOT is not served here: a buyer's transfer proof
(`payment-proofs/`) is read only through its own view, which checks who asks. This serves the
same way with DJANGO_DEBUG on or off, so the photos of a one-box install (gunicorn, no web
server in front) are not 404 in production; behind nginx, map MEDIA_URL there instead.
"""

from django.conf import settings
from django.http import Http404
from django.urls import re_path
from django.views.static import serve

PUBLIC_PREFIXES = ("images/", "original_images/")
MAX_AGE = 7 * 24 * 3600  # renditions are named by content and size; an original is never overwritten


def media(request, path: str):
    if not path.startswith(PUBLIC_PREFIXES) or ".." in path.split("/"):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def media_urlpatterns() -> list:
    """The media route, when media are on the local disk and MEDIA_URL is a local path."""
    if settings.AWS_STORAGE_BUCKET_NAME or not settings.MEDIA_URL.startswith("/"):
        return []
    prefix = settings.MEDIA_URL.strip("/")
    return [re_path(rf"^{prefix}/(?P<path>.+)$", media, name="media")]
