from django.urls import path

from orders import urls_documents, urls_payments, urls_workspace, views

app_name = "orders"

urlpatterns = [
    path("cesta/", views.cart_view, name="cart"),
    path("cesta/agregar/", views.cart_add, name="cart_add"),
    path("cesta/cambiar/", views.cart_update, name="cart_update"),
    path("cesta/quitar/", views.cart_remove, name="cart_remove"),
    path("pedido/", views.checkout, name="checkout"),
    path("pedidos/", views.order_list, name="list"),
    path("pedidos/<str:number>/", views.order_detail, name="detail"),
    path("pedidos/<str:number>/cancelar/", views.order_cancel, name="cancel"),
    path("pedidos/<str:number>/repetir/", views.order_again, name="again"),
    path("pedidos/<str:number>/calendario/", views.order_calendar, name="calendar"),
]
urlpatterns += urls_workspace.urlpatterns + urls_payments.urlpatterns + urls_documents.urlpatterns
