"""Public URLs of the cms app outside the page tree: a market storefront's basket and
checkout (its forms post here: `cms.markets.storefront_views`), the cooperative
workspace's markets and the sitemap.

Included in market/urls.py inside `i18n_patterns`, before Wagtail's catch-all.
"""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from cms.markets import cooperative_views, index_views, storefront_views
from cms.sitemaps import SITEMAPS

app_name = "cms"

PREFIX = "espacio/<slug:slug>/mercados/"

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    # The header's link to the markets list (`index_views`): no page lives under ir/.
    path("ir/mercados/", index_views.markets, name="markets"),
    # Under the catalogue's basket (cesta/) and checkout (pedido/): a page of that name
    # under the site root could not be served, so no page lives at these paths.
    path("cesta/mercado/<int:page_id>/", storefront_views.cart_view, name="market_cart"),
    path("pedido/mercado/<int:page_id>/", storefront_views.checkout_view, name="market_checkout"),
    path(PREFIX, cooperative_views.market_list, name="workspace_markets"),
    path(PREFIX + "<int:page_id>/", cooperative_views.market_detail, name="workspace_market"),
    path(
        PREFIX + "<int:page_id>/empaque/", cooperative_views.market_packing, name="workspace_market_packing"
    ),
]
