"""The project's own models: the user, Colombia's political geography (DIVIPOLA), buyer
organisations, and the bookkeeping of background jobs (workers' heartbeats, the effect ledger,
staff retries: see `market.jobs`)."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from market.nit import validate_nit
from market.phones import validate_e164

MARKET_BUILDERS_GROUP = "Market builders"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. Logs in with e-mail; roles come from memberships and groups, not flags."""

    username = None
    # Optional: a producer or buyer may have only a mobile number (sign-in by a code by SMS).
    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=16,
        blank=True,
        validators=[validate_e164],
        help_text=_("International format, e.g. +573001234567."),
    )
    # A code sent to the number came back: messages by SMS and WhatsApp may go to it.
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    # The channels she chose for messages, in her order ("whatsapp,sms,email"); None: the
    # default (see `market.messages.recipients`), "": none (she reads them on the site).
    message_channels = models.CharField(_("message channels"), max_length=40, null=True, blank=True)
    whatsapp_consent_at = models.DateTimeField(_("WhatsApp consent given at"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # One account per verified mobile number: it signs her in.
            models.UniqueConstraint(
                fields=["phone"], condition=models.Q(phone_verified=True), name="user_verified_phone_unique"
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email or self.phone

    @property
    def display_name(self) -> str:
        return self.get_full_name() or (self.email or "").split("@")[0] or self.phone

    def is_market_builder(self) -> bool:
        return self.groups.filter(name=MARKET_BUILDERS_GROUP).exists()


class Department(models.Model):
    """A Colombian department, with its two-digit DANE (DIVIPOLA) code."""

    code = models.CharField(_("DANE code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class Municipality(models.Model):
    """A municipality, with its five-digit DANE (DIVIPOLA) code."""

    code = models.CharField(_("DANE code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=80)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="municipalities")

    class Meta:
        ordering = ["department__name", "name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self):
        return self.name


class OrganizationKind(models.TextChoices):
    HOTEL = "hotel", _("Hotel")
    RESTAURANT = "restaurant", _("Restaurant")
    SUPPLY_CENTRE = "supply_centre", _("Supply centre")
    SCHOOL = "school", _("School or public programme")
    SHOP = "shop", _("Shop")
    OTHER = "other", _("Other")


class OrganizationStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CreditDays(models.IntegerChoices):
    NONE = 0, _("No credit")
    WEEK = 7, _("7 days")
    FORTNIGHT = 15, _("15 days")
    MONTH = 30, _("30 days")


class BuyerOrganizationQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=OrganizationStatus.APPROVED)

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(members__user=user, members__can_order=True)


class BuyerOrganization(models.Model):
    """An institutional buyer (hotel, restaurant, supply centre...). Staff approve it and
    may grant credit terms and a credit limit."""

    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    legal_name = models.CharField(_("legal name"), max_length=200)
    nit = models.CharField(_("NIT"), max_length=20, validators=[validate_nit], unique=True)
    billing_address = models.CharField(_("billing address"), max_length=255)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    email = models.EmailField(_("billing e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[validate_e164])
    status = models.CharField(
        _("status"), max_length=10, choices=OrganizationStatus.choices, default=OrganizationStatus.PENDING
    )
    credit_days = models.PositiveSmallIntegerField(
        _("credit terms"), choices=CreditDays.choices, default=CreditDays.NONE
    )
    credit_limit_cop = models.PositiveBigIntegerField(_("credit limit (COP)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = BuyerOrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("buyer organisation")
        verbose_name_plural = _("buyer organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_days__in=[0, 7, 15, 30]), name="organization_credit_days_valid"
            ),
        ]

    def __str__(self):
        return self.legal_name

    def is_approved(self) -> bool:
        return self.status == OrganizationStatus.APPROVED

    def has_credit(self) -> bool:
        return self.is_approved() and self.credit_days > 0 and self.credit_limit_cop > 0


class OrganizationMember(models.Model):
    organization = models.ForeignKey(BuyerOrganization, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organization_memberships")
    can_order = models.BooleanField(_("may order"), default=True)

    class Meta:
        verbose_name = _("organisation member")
        verbose_name_plural = _("organisation members")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="organization_member_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.organization}"


class DeliveryAddress(models.Model):
    organization = models.ForeignKey(
        BuyerOrganization, on_delete=models.CASCADE, related_name="delivery_addresses"
    )
    label = models.CharField(_("label"), max_length=80, help_text=_("e.g. Main kitchen"))
    address = models.CharField(_("address"), max_length=255)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    instructions = models.CharField(_("instructions"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("delivery address")
        verbose_name_plural = _("delivery addresses")

    def __str__(self):
        return f"{self.label}: {self.address}"


# --- Background jobs (market.jobs) ----------------------------------------------------------


class JobWorker(models.Model):
    """A live `manage.py jobs_worker` process. A thread refreshes `seen_at` every few seconds;
    `task_id` is the task it runs now, written in the transaction that claims the task and
    cleared in the one that records its result. A RUNNING task whose worker is not seen for a
    lease, or no longer runs it, is taken up again (`market.jobs.worker.reap`)."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen at"), db_index=True)
    task_id = models.UUIDField(_("current task"), null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("job worker")
        verbose_name_plural = _("job workers")

    def __str__(self):
        return f"{self.host}:{self.pid} ({self.worker_id})"


class JobEffectState(models.TextChoices):
    STARTED = "started", _("started")
    DONE = "done", _("done")


class JobEffect(models.Model):
    """One external effect (an e-mail to one address about one event) that a job did, or is
    doing: the ledger that makes a job run twice do what it does once (`market.jobs.effect_once`)."""

    key = models.CharField(_("key"), max_length=255, unique=True)
    state = models.CharField(_("state"), max_length=8, choices=JobEffectState.choices)
    started_at = models.DateTimeField(_("started at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job effect")
        verbose_name_plural = _("job effects")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="started", done_at__isnull=True)
                | models.Q(state="done", done_at__isnull=False),
                name="job_effect_done_at_iff_done",
            ),
        ]

    def __str__(self):
        return f"{self.key} ({self.state})"


class JobRetry(models.Model):
    """A staff member put a failed or stuck task back in the queue. The task gets a fresh
    budget of attempts: those before `attempts_before` no longer count."""

    task_id = models.UUIDField(_("task"), db_index=True)
    attempts_before = models.PositiveIntegerField(_("attempts before"))
    retried_by = models.ForeignKey(
        "market.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retried by"),
    )
    retried_at = models.DateTimeField(_("retried at"))

    class Meta:
        ordering = ["-retried_at", "-pk"]
        verbose_name = _("job retry")
        verbose_name_plural = _("job retries")

    def __str__(self):
        return f"{self.task_id} @ {self.retried_at:%Y-%m-%d %H:%M}"


# --- Messages (market.messages: the one outbox) -------------------------------------------


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class MessageState(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Written for a channel after her first one: sent only if the one before it fails.
    STANDBY = "standby", _("on standby")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    # A standby message whose earlier channel got through: not needed.
    SKIPPED = "skipped", _("not needed")


class MessageQuerySet(models.QuerySet):
    def about(self, about: str):
        """The messages about one thing ("order:12"), oldest first."""
        return self.filter(about=about).order_by("created_at", "pk")

    def failed(self):
        return self.filter(state=MessageState.FAILED)


class Message(models.Model):
    """One message to one person on one channel about one event: written in the transaction
    of the event (the outbox), sent by the jobs worker (`market.messages.sending`), at most once
    per event, recipient and channel."""

    event = models.CharField(_("event"), max_length=120)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    # What it is about, for the pages that list messages: "order:12", "fulfilment:7"...
    about = models.CharField(_("about"), max_length=60, blank=True, db_index=True)
    # "user:12", "phone:+573001234567" or "email:ana@example.org".
    recipient = models.CharField(_("recipient"), max_length=120)
    user = models.ForeignKey(
        "market.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    language = models.CharField(_("language"), max_length=7, default="es")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(blank=True)
    # WhatsApp: the pre-approved template and its variables, in their order.
    template = models.CharField(_("template"), max_length=60, blank=True)
    variables = models.JSONField(_("variables"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True, db_index=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    # The message on a channel that failed, when this one is the fallback.
    fallback_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="fallback"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"], name="message_once_per_channel"
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.address} ({self.channel}, {self.state})"


class MessageOptOut(models.Model):
    """A phone or e-mail address that asked not to get messages on a channel ("PARE", a link)."""

    address = models.CharField(_("address"), max_length=254)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message opt-out")
        verbose_name_plural = _("message opt-outs")
        constraints = [models.UniqueConstraint(fields=["address", "channel"], name="message_opt_out_once")]

    def __str__(self):
        return f"{self.address} ({self.channel})"
