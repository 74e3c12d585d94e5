"""The project's own models: the user and Colombia's political geography (DIVIPOLA)."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

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
