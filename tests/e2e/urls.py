"""URLconf for the browser journeys: the project's own URLs, plus uploaded media.

`market.urls` serves MEDIA only when DEBUG is true (Django's `static()` helper returns nothing
otherwise), and tests run with DEBUG off. The live server therefore gets this URLconf, which puts
`django.views.static.serve` for MEDIA_URL in front of the project's patterns. The list is
concatenated, not `include()`d, so `i18n_patterns` stays at the root and LocaleMiddleware keeps
working exactly as in production.
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from market.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    re_path(
        r"^{}(?P<path>.*)$".format(settings.MEDIA_URL.lstrip("/")),
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
    *project_urlpatterns,
]
