from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperativesConfig(AppConfig):
    name = "cooperatives"
    verbose_name = _("Cooperatives")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from cooperatives.roles import remember_membership

        user_logged_in.connect(remember_membership, dispatch_uid="cooperatives.remember_membership")
