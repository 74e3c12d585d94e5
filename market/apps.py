from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = _("Platform")

    def ready(self):
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from PIL import Image

        from market import page_cache
        from market.roles import remember_roles
        from market.templatetags.roles import role_links_html

        user_logged_in.connect(remember_roles, dispatch_uid="market.remember_roles")
        page_cache.register_fill("roles", role_links_html)

        # Pillow refuses to open images past twice this many pixels, before decoding them,
        # so an upload cannot make the server decode a huge image to find it too large.
        Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
