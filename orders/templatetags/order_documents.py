"""Tags for order pages that show document and bank-transfer details.

`{% load order_documents %}{% transfer_panel order %}` renders the bank account, the
order's reference and the link to the proof upload, for transfer orders only.
"""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("orders/transfer_panel.html")
def transfer_panel(order):
    return {"order": order, "bank_account": settings.MINGA_BANK_ACCOUNT}
