from django.urls import path

from catalog import views
from market.page_cache import cached_for_anonymous

app_name = "catalog"

urlpatterns = [
    path("catalogo/", cached_for_anonymous(views.catalog_list), name="list"),
    path(
        "catalogo/<slug:cooperative_slug>/<slug:product_slug>/",
        views.product_detail,
        name="product_detail",
    ),
    path("cooperativas/<slug:slug>/", views.cooperative_detail, name="cooperative_detail"),
    path("espacio/<slug:slug>/productos/", views.workspace_products, name="workspace_products"),
    path("espacio/<slug:slug>/productos/nuevo/", views.product_edit, name="workspace_product_add"),
    path(
        "espacio/<slug:slug>/productos/<int:pk>/",
        views.product_edit,
        name="workspace_product_edit",
    ),
    path(
        "espacio/<slug:slug>/productos/<int:pk>/visibilidad/",
        views.product_visibility,
        name="workspace_product_visibility",
    ),
    path(
        "espacio/<slug:slug>/productos/<int:pk>/fotos/",
        views.photo_upload,
        name="workspace_photo_upload",
    ),
    path(
        "espacio/<slug:slug>/productos/<int:pk>/fotos/<int:photo_pk>/borrar/",
        views.photo_delete,
        name="workspace_photo_delete",
    ),
]
