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
    email = models.EmailField(_("e-mail address"), unique=True)
    phone = models.CharField(
        _("phone"),
        max_length=16,
        blank=True,
        validators=[validate_e164],
        help_text=_("International format, e.g. +573001234567."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email.split("@")[0]

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
