from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    """Funders' reports: programmes, their indicators, and the measures computed from sales.

    The top of the dependency chain: impact reads orders, catalog, cooperatives, cms and
    market; nothing imports impact.
    """

    name = "impact"
    verbose_name = _("Impact")
