"""URL patterns of orders/workspace_views.py, joined into the "orders" namespace by orders/urls.py."""

from django.urls import path

from orders import workspace_views as views
from orders.models import FulfilmentStatus

PREFIX = "espacio/<slug:slug>/pedidos/"

urlpatterns = [
    path("espacio/<slug:slug>/", views.workspace_home, name="workspace_home"),
    path(PREFIX, views.fulfilment_list, name="fulfilment_list"),
    path(PREFIX + "exportar.csv", views.fulfilment_csv, name="fulfilment_csv"),
    path(PREFIX + "<int:pk>/", views.fulfilment_detail, name="fulfilment_detail"),
    path(PREFIX + "<int:pk>/empaque/", views.fulfilment_packing_list, name="fulfilment_packing_list"),
    path(
        PREFIX + "<int:pk>/empaque/pdf/",
        views.fulfilment_packing_list,
        {"as_pdf": True},
        name="fulfilment_packing_list_pdf",
    ),
    path(
        PREFIX + "<int:pk>/confirmar/",
        views.fulfilment_move,
        {"to": FulfilmentStatus.CONFIRMED},
        name="fulfilment_confirm",
    ),
    path(PREFIX + "<int:pk>/rechazar/", views.fulfilment_reject, name="fulfilment_reject"),
    path(
        PREFIX + "<int:pk>/lineas/<int:line_pk>/rechazar/",
        views.fulfilment_line_reject,
        name="fulfilment_line_reject",
    ),
    path(
        PREFIX + "<int:pk>/lineas/<int:line_pk>/familias/",
        views.fulfilment_line_supply,
        name="fulfilment_line_supply",
    ),
    path(
        PREFIX + "<int:pk>/cantidad-entregada/",
        views.fulfilment_record_delivery,
        name="fulfilment_record_delivery",
    ),
    path(
        PREFIX + "<int:pk>/listo/",
        views.fulfilment_move,
        {"to": FulfilmentStatus.READY},
        name="fulfilment_ready",
    ),
    path(
        PREFIX + "<int:pk>/entregado/",
        views.fulfilment_move,
        {"to": FulfilmentStatus.HANDED_OVER},
        name="fulfilment_handed_over",
    ),
    path(PREFIX + "<int:pk>/pago-recibido/", views.fulfilment_mark_paid, name="fulfilment_mark_paid"),
]
