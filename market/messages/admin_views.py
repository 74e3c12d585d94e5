"""Messages in the Wagtail admin (Settings → Messages), for staff only: what left, on which
channel, whether it was delivered, and the failures first, each with its error and a button
that sends it again (`market.messages.sending.message_resend`). Anyone not staff gets 404."""

from django.contrib import messages as flash
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from market.jobs.admin_views import require_staff
from market.messages.sending import message_resend
from market.models import Message, MessageState

PAGE = 100


class MessageListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "market/admin/messages.html"
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        require_staff(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Messages")

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": _("Messages")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = self.request.GET.get("estado", MessageState.FAILED)
        if state not in MessageState.values:
            state = MessageState.FAILED
        counts = dict(Message.objects.values_list("state").annotate(n=Count("pk")).order_by())
        context.update(
            state=state,
            states=[(value, label, counts.get(value, 0)) for value, label in MessageState.choices],
            rows=Message.objects.filter(state=state).select_related("user")[:PAGE],
            page=PAGE,
        )
        return context


@require_POST
def message_resend_view(request, pk: int):
    require_staff(request.user)
    message = get_object_or_404(Message, pk=pk)
    if message.state != MessageState.FAILED:
        flash.error(request, _("Only a failed message can be sent again."))
    else:
        message_resend(message=message)
        text = _("The message to %(address)s is queued again.") % {"address": message.address}
        flash.success(request, text)
    return redirect(reverse("market_messages") + "?estado=failed")
