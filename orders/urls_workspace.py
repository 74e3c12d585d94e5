"""URL patterns of orders/workspace_views.py, joined into the "orders" namespace by orders/urls.py."""

urlpatterns = []
