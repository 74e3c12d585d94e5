from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from market import account_views
from market import views as market_views
from market.media import media_urlpatterns

# The Wagtail and Django admins have login forms of their own that no rate limit guards: both
# send people to the site's login (limited per account and per address), keeping `next`.
_site_login = RedirectView.as_view(url=reverse_lazy("account_login"), query_string=True)

urlpatterns = [
    path("cms/login/", _site_login, name="cms_login_redirect"),
    path("django-admin/login/", _site_login, name="django_admin_login_redirect"),
    path("robots.txt", market_views.robots_txt, name="robots_txt"),
    path("favicon.ico", market_views.favicon, name="favicon"),
    path("", include("market.urls_messages")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cms/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
]

urlpatterns += i18n_patterns(
    # Ours before allauth's: sign-up with only a mobile number (allauth's view and flows).
    path("cuenta/registro/celular/", account_views.phone_signup, name="account_signup_phone"),
    path("cuenta/", include("allauth.urls")),
    path("", include("cooperatives.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("market.urls_organizations")),
    path("", include("cms.urls")),
    path("", include("impact.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

# Photos on the local disk, with DJANGO_DEBUG on or off (market/media.py: photos only).
urlpatterns = media_urlpatterns() + urlpatterns
