from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Pages and markets")

    def ready(self):
        from wagtail.signals import copy_for_translation_done, page_published

        from cms.markets import channel, handover, receivers
        from orders import channels as order_channels
        from orders import handover as order_handover

        order_channels.register("market", channel.resolve)
        order_handover.register("market", handover.market_handovers)
        page_published.connect(receivers.market_published, dispatch_uid="cms_market_published")
        copy_for_translation_done.connect(receivers.market_translated, dispatch_uid="cms_market_translated")
