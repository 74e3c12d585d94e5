from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from market import page_cache
        from orders.receivers import merge_cart_on_login
        from orders.templatetags.basket import basket_badge

        user_logged_in.connect(merge_cart_on_login, dispatch_uid="orders_merge_cart_on_login")
        page_cache.register_fill("basket", basket_badge)
