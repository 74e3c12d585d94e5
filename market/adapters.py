"""django-allauth's adapter: where Minga keeps a person's mobile number and sends her codes.

* The number lives on `User.phone` (E.164) with `User.phone_verified`; one account per verified
  number (a unique constraint). A person may have a phone and no e-mail (`User.email` None).
* Codes leave through the outbox (`market.account_messages`), by SMS, or WhatsApp first when
  she chose it.
* Login stages: a phone-only person verifies her number by a code before she is signed in
  (there is nothing else to verify); a person with an e-mail verifies the e-mail as before,
  and is then asked to verify the mobile she gave (`get_signup_redirect_url`), without being
  held at the door if the SMS does not come.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.stages import EmailVerificationStage, PhoneVerificationStage
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from market.account_messages import ACCOUNT_EXISTS, NO_ACCOUNT, send_account_notice, send_login_code
from market.models import User
from market.phones import normalize_phone


def _has_email(user) -> bool:
    return bool(user is not None and user.email)


class PhoneOnlyVerificationStage(PhoneVerificationStage):
    """The mobile is verified at sign-up when it is her only way in; a person who also has an
    e-mail verifies her e-mail at the door and her mobile right after (or later)."""

    def handle(self):
        user = self.login.user
        if user is None and self.login.email:
            return None, True  # an e-mail sign-up that exists already: the e-mail stage says so
        if user is not None and (_has_email(user) or not self.login.signup):
            return None, True
        return super().handle()


class EmailIfAnyVerificationStage(EmailVerificationStage):
    """Mandatory e-mail verification, for those who have an e-mail."""

    def handle(self):
        user = self.login.user
        if user is not None and not _has_email(user) and not self.login.email:
            return None, True
        return super().handle()


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        ours = {
            "allauth.account.stages.PhoneVerificationStage": "market.adapters.PhoneOnlyVerificationStage",
            "allauth.account.stages.EmailVerificationStage": "market.adapters.EmailIfAnyVerificationStage",
        }
        return [ours.get(path, path) for path in super().get_login_stages()]

    # --- The user -----------------------------------------------------------------------

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)  # sets the phone, unsaved
        if not user.email:
            user.email = None  # unique: a phone-only person has none, not ""
        if commit:
            user.save()
        return user

    def get_signup_redirect_url(self, request):
        user = request.user
        if user.is_authenticated and user.phone and not user.phone_verified:
            return reverse("account_change_phone")
        return super().get_signup_redirect_url(request)

    # --- Phone numbers --------------------------------------------------------------------

    def phone_form_field(self, **kwargs):
        from market.account_forms import MobilePhoneField

        kwargs.pop("label", None)  # allauth's "Phone": ours says "Mobile number"
        return MobilePhoneField(**kwargs)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        if user.pk is not None:
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user) -> tuple[str, bool] | None:
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str):
        """The account whose verified number this is; else a phone-only account that has not
        verified it yet (its first sign-in by code verifies it). Never an account that has an
        e-mail and only typed this number: the number is not hers until a code proves it."""
        try:
            phone = normalize_phone(phone)
        except ValidationError:
            return None
        if not phone:
            return None
        users = User.objects.filter(phone=phone, is_active=True)
        return (
            users.filter(phone_verified=True).first()
            or users.filter(phone_verified=False, email__isnull=True).order_by("pk").first()
        )

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_login_code(phone=phone, code=code, user=user)

    def send_account_already_exists_sms(self, phone: str) -> None:
        url = self.request.build_absolute_uri(reverse("account_request_login_code"))
        day = timezone.localdate().isoformat()  # at most one a day per number
        send_account_notice(
            ACCOUNT_EXISTS, phone=phone, sign_in_url=url, event=f"account_exists:{phone}:{day}"
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        url = self.request.build_absolute_uri(reverse("account_signup_phone"))
        day = timezone.localdate().isoformat()
        send_account_notice(NO_ACCOUNT, phone=phone, sign_in_url=url, event=f"no_account:{phone}:{day}")
