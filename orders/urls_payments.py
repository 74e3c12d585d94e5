"""URL patterns of orders/payment_views.py, joined into the "orders" namespace by orders/urls.py."""

from django.urls import path

from orders import payment_views

urlpatterns = [
    path("pedidos/<str:number>/pagar/", payment_views.pay_card, name="pay_card"),
    path("pedidos/<str:number>/pago/", payment_views.pay_card_return, name="pay_card_return"),
    path("pagos/stripe/webhook/", payment_views.stripe_webhook, name="stripe_webhook"),
]
