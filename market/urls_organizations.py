"""Buyer organisations' pages and a person's message settings (under the language prefix,
Spanish paths)."""

from django.urls import path

from market import account_views, views

app_name = "market"

urlpatterns = [
    path("cuenta/mensajes/", account_views.message_settings, name="message_settings"),
    path("organizacion/registrar/", views.organization_register, name="organization_register"),
    path("organizacion/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organizacion/<int:pk>/direcciones/nueva/", views.address_add, name="address_add"),
    path(
        "organizacion/<int:pk>/direcciones/<int:address_pk>/quitar/",
        views.address_remove,
        name="address_remove",
    ),
]
