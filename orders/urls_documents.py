"""URL patterns of orders/documents_views.py, joined into the "orders" namespace by orders/urls.py."""

urlpatterns = []
