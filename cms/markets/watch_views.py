"""The "Avísenme cuando abra" form's POST (`MarketEventPage`'s `avisenme/` route).

`page` is the page the visitor reads (maybe a translation); `event` the market that sells
(its original), to which the watch belongs. She is told in the language she asked in.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cms.markets import services
from cms.markets.watch_form import SESSION_KEY, MarketWatchForm, watch_context
from cms.models import MarketState
from market.i18n import url_in_language


def market_watch(request, page, event):
    back = url_in_language(page.url)
    if request.method != "POST":
        return redirect(back)
    if event.state_at(timezone.now()) != MarketState.UPCOMING:
        messages.info(request, _("This market is no longer waiting to open."))
        return redirect(back)
    signed_in = request.user.is_authenticated
    form = MarketWatchForm(request.POST, signed_in=signed_in)
    if not form.is_valid():
        context = page.get_context(request)
        context.update(watch_context(event=event, request=request, form=form))
        return TemplateResponse(request, page.get_template(request), context, status=400)
    phone = form.cleaned_data.get("phone", "")
    _watch, created = services.market_watch_add(
        event=event,
        user=request.user if signed_in else None,
        phone=phone,
        whatsapp=form.cleaned_data.get("whatsapp", False),
        language=get_language(),
    )
    if not signed_in:
        key = SESSION_KEY % event.pk
        request.session[key] = [p for p in request.session.get(key, []) if p != phone][-4:] + [phone]
    if created:
        messages.success(request, _("Done: we will let you know when this market opens."))
    else:
        messages.info(request, _("We already have it: we will let you know when this market opens."))
    return redirect(back + "#avisenme")
