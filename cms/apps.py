from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Pages and markets")

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import PageViewRestriction, Site
        from wagtail.signals import (
            copy_for_translation_done,
            page_published,
            page_unpublished,
            post_page_move,
        )

        from catalog.models import Category, Product, ProductPhoto
        from cms.markets import channel, handover, receivers
        from cms.models import HomePage, MarketEventPage, MarketIndexPage
        from cms.templatetags.market_basket import basket_part
        from cooperatives.models import Cooperative
        from market import page_cache
        from orders import channels as order_channels
        from orders import handover as order_handover

        order_channels.register("market", channel.resolve)
        order_channels.register_baskets("market", channel.open_baskets)
        order_handover.register("market", handover.market_handovers)
        page_cache.register_fill("market_basket", basket_part)
        page_published.connect(receivers.market_published, dispatch_uid="cms_market_published")
        copy_for_translation_done.connect(receivers.market_translated, dispatch_uid="cms_market_translated")
        page_published.connect(receivers.pages_changed, dispatch_uid="cms_pages_changed_published")
        page_unpublished.connect(receivers.pages_changed, dispatch_uid="cms_pages_changed_unpublished")
        post_page_move.connect(receivers.pages_changed, dispatch_uid="cms_pages_changed_moved")
        # The pages the routing keeps (`cms.sites`, the markets' `route`), the sites included.
        routed = (HomePage, MarketIndexPage, MarketEventPage, Site)
        for model in (Product, ProductPhoto, Category, Cooperative, PageViewRestriction, *routed):
            post_save.connect(
                receivers.pages_changed, sender=model, dispatch_uid=f"cms_pages_changed_{model.__name__}"
            )
            post_delete.connect(
                receivers.pages_changed,
                sender=model,
                dispatch_uid=f"cms_pages_changed_deleted_{model.__name__}",
            )
