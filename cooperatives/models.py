"""Producer cooperatives, who belongs to them, and the families who grow the goods."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from market.models import Municipality
from market.nit import validate_nit
from market.phones import validate_e164, whatsapp_link


class LegalForm(models.TextChoices):
    COOPERATIVE = "cooperativa", _("Cooperative")
    ASSOCIATION = "asociacion", _("Association")
    PRECOOPERATIVE = "precooperativa", _("Pre-cooperative")
    OTHER = "otra", pgettext_lazy("legal form", "Other")  # "otra (forma jurídica)"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class CooperativeQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=VerificationStatus.VERIFIED)

    def with_place(self):
        return self.select_related("municipality__department", "logo")


class Cooperative(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    legal_form = models.CharField(
        _("legal form"), max_length=20, choices=LegalForm.choices, default=LegalForm.COOPERATIVE
    )
    nit = models.CharField(
        _("NIT"),
        max_length=20,
        blank=True,
        validators=[validate_nit],
        help_text=_("Tax id with check digit, e.g. 900123456-8. Optional."),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="cooperatives",
        verbose_name=_("municipality"),
    )
    story = models.TextField(_("story"), blank=True)
    known_for = models.CharField(
        _("known for"),
        max_length=255,
        blank=True,
        help_text=_("The products the cooperative is known for, e.g. cassava, cacao."),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[validate_e164])
    whatsapp = models.CharField(_("WhatsApp"), max_length=16, blank=True, validators=[validate_e164])
    email = models.EmailField(_("e-mail"), blank=True)
    # How buyers receive goods from this cooperative, and what it asks of an order.
    offers_pickup = models.BooleanField(_("offers pickup"), default=True)
    pickup_address = models.CharField(_("pickup address"), max_length=255, blank=True)
    offers_delivery = models.BooleanField(_("offers delivery"), default=False)
    delivery_area = models.CharField(_("delivery area"), max_length=255, blank=True)
    delivery_fee_cop = models.PositiveIntegerField(_("delivery fee (COP)"), default=0)
    free_delivery_from_cop = models.PositiveIntegerField(
        _("free delivery from (COP)"),
        null=True,
        blank=True,
        help_text=_("Orders from this amount pay no delivery fee. Empty: always pay the fee."),
    )
    min_order_cop = models.PositiveIntegerField(
        _("minimum order (COP)"), default=0, help_text=_("0 means no minimum.")
    )
    verification_status = models.CharField(
        _("verification"),
        max_length=10,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = CooperativeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        constraints = [
            models.UniqueConstraint(
                fields=["nit"], condition=~models.Q(nit=""), name="cooperative_nit_unique"
            ),
        ]

    def __str__(self):
        return self.name

    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    def delivery_fee_for(self, subtotal_cop: int) -> int:
        """The delivery fee rule: a flat fee, waived from a threshold when one is set."""
        if self.free_delivery_from_cop is not None and subtotal_cop >= self.free_delivery_from_cop:
            return 0
        return self.delivery_fee_cop

    @property
    def whatsapp_url(self) -> str:
        return whatsapp_link(self.whatsapp)


class MembershipRole(models.TextChoices):
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")


class MembershipQuerySet(models.QuerySet):
    def managers(self):
        return self.filter(role=MembershipRole.MANAGER)

    def manager_emails(self, cooperative_id: int) -> list[str]:
        """Where a cooperative's e-mails go: each manager's address once, sorted, none empty."""
        emails = self.managers().filter(cooperative_id=cooperative_id).exclude(user__email="")
        return sorted(set(emails.values_list("user__email", flat=True)))


class Membership(models.Model):
    """A user's role in one cooperative. One user may belong to several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "cooperative"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.cooperative} ({self.get_role_display()})"

    def is_manager(self) -> bool:
        return self.role == MembershipRole.MANAGER


class InvitationQuerySet(models.QuerySet):
    def pending(self, at=None):
        at = at or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at)


class Invitation(models.Model):
    """An e-mailed link to join a cooperative. Expires, and can be used once."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(
        _("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.cooperative}"

    def is_pending(self, at=None) -> bool:
        at = at or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > at


class Gender(models.TextChoices):
    FEMALE = "female", _("Woman")
    MALE = "male", _("Man")
    OTHER = "other", _("Other")


class Producer(models.Model):
    """A family or member who grows for the cooperative, with or without an account.

    Gender and village are personal data: used only in aggregate reports, and only
    when `consents_to_aggregate` is set.
    """

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="producers")
    name = models.CharField(_("name"), max_length=150)
    village = models.CharField(_("village (vereda)"), max_length=120, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    consents_to_aggregate = models.BooleanField(
        _("consents to aggregate reports"),
        default=False,
        help_text=_("The producer agrees that gender and village are counted in reports."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="producer_profiles",
        verbose_name=_("user account"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("producer")
        verbose_name_plural = _("producers")

    def __str__(self):
        return self.name

    def clean(self):
        # The privacy rule lives here so that every path (workspace, Wagtail admin, services) keeps it.
        if self.gender and not self.consents_to_aggregate:
            raise ValidationError(
                {
                    "gender": ValidationError(
                        _("Record gender only with the producer's consent to aggregate reports."),
                        code="gender_without_consent",
                    )
                }
            )
