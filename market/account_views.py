"""A person's own account pages: sign-up with only a mobile, and her message settings."""

from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from market.account_forms import PhoneSignupForm
from market.messages_settings import MessageSettingsForm


class PhoneSignupView(SignupView):
    """allauth's sign-up (its rate limit, stages and phone verification), with a mobile only."""

    template_name = "account/signup_phone.html"
    form_class = PhoneSignupForm

    def get_form_class(self):
        return PhoneSignupForm


phone_signup = PhoneSignupView.as_view()


@login_required
def message_settings(request):
    """Her channels in her order, WhatsApp consent, or no messages at all."""
    user = request.user
    form = MessageSettingsForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your message settings were saved."))
        return redirect("market:message_settings")
    return render(request, "market/message_settings.html", {"form": form, "user_phone": user.phone})
