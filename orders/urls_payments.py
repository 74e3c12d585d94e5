"""URL patterns of orders/payments_views.py, joined into the "orders" namespace by orders/urls.py."""

urlpatterns = []
