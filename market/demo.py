"""Demo accounts, one per role, loaded by `manage.py load_demo` (development only).

Every demo account signs in with the same documented password, `DEMO_PASSWORD`. That is
why the command refuses to run unless `MINGA_ALLOW_DEMO_DATA` is true. Memberships of
cooperatives are made in `cooperatives/demo.py` (market must not import cooperatives).

Phone numbers are invented (+57 300 555 ….) and the e-mail domain is the project's own.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from market.models import (
    MARKET_BUILDERS_GROUP,
    BuyerOrganization,
    CreditDays,
    DeliveryAddress,
    Municipality,
    OrganizationKind,
    OrganizationMember,
    OrganizationStatus,
    User,
)
from market.nit import nit_check_digit

DEMO_PASSWORD = "minga-demo-2026"

# (e-mail, role): what each account is for. The README and the tests read this list.
DEMO_ACCOUNTS = [
    ("admin@minga.co", "Platform staff: superuser, Django and Wagtail admin"),
    ("gestora.coomulsepaz@minga.co", "Manager of COOMULSEPAZ (nurserywomen, Anorí)"),
    ("gestor.asoyupguz@minga.co", "Manager of ASOYUPGUZ (cassava, Puerto Guzmán)"),
    ("gestora.cacaopaz@minga.co", "Manager of Cacao de Paz del Putumayo (Puerto Asís)"),
    ("gestor.anchicaya@minga.co", "Manager of Asociación Campesina del Anchicayá (coffee, panela; Dagua)"),
    ("gestora.guaviare@minga.co", "Manager of Frutos del Guaviare (fish and fruit; San José del Guaviare)"),
    ("socia.coomulsepaz@minga.co", "Member (not manager) of COOMULSEPAZ"),
    ("constructora@minga.co", "Market Builder (group 'Market builders')"),
    ("comprador@minga.co", "Household buyer"),
    ("hotel@minga.co", "Institutional buyer: orders for an approved hotel in Cali, 30 days' credit"),
    (
        "financiador@minga.co",
        "Programme viewer: a funder's officer who reads the demo programme's impact report",
    ),
]

# e-mail -> (first name, last name, phone, flags)
_PEOPLE = {
    "admin@minga.co": ("Equipo", "Minga", "", {"is_staff": True, "is_superuser": True}),
    "gestora.coomulsepaz@minga.co": ("Luz Marina", "Zapata Úsuga", "+573005550101", {}),
    "gestor.asoyupguz@minga.co": ("Jhon Fredy", "Muñoz Castillo", "+573005550102", {}),
    "gestora.cacaopaz@minga.co": ("Yaneth", "Rosero Benavides", "+573005550103", {}),
    "gestor.anchicaya@minga.co": ("Hernán", "Valencia Ocoró", "+573005550104", {}),
    "gestora.guaviare@minga.co": ("Deisy Johana", "Parra Rojas", "+573005550105", {}),
    "socia.coomulsepaz@minga.co": ("Rosalba", "Úsuga Higuita", "", {}),
    "constructora@minga.co": ("Sandra Milena", "Cárdenas", "+573005550108", {}),
    "comprador@minga.co": ("Andrés Felipe", "Ospina", "", {}),
    "hotel@minga.co": ("Gloria", "Hurtado", "+573005550110", {}),
    "financiador@minga.co": ("Paula Andrea", "Restrepo", "", {}),
}

MARKET_BUILDER_EMAILS = {"constructora@minga.co"}


def upsert(model, *, lookup: dict, values: dict | None = None, clean: bool = True, save=None):
    """Get the row matching `lookup` or create it; save only the fields that differ.

    Unlike `update_or_create`, an unchanged row is not written again, so a second
    `load_demo` changes nothing. `save`, when given, is the app's service that validates and
    saves the row (e.g. `lambda p: producer_save(producer=p)`). Returns `(obj, created)`.
    """
    values = values or {}
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        if save is not None:
            save(obj)
            return obj, True
        if clean:
            obj.full_clean()
        obj.save()
        return obj, True
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    if changed:
        for field in changed:
            setattr(obj, field, values[field])
        if save is not None:
            save(obj)
            return obj, False
        if clean:
            obj.full_clean()
        obj.save(update_fields=[model._meta.get_field(f).attname for f in changed])
    return obj, False


def demo_user(email: str) -> User:
    """A demo account by e-mail (for the other apps' demo modules)."""
    return User.objects.get(email=email)


def _account(email: str) -> User:
    first, last, phone, flags = _PEOPLE[email]
    values = {"first_name": first, "last_name": last, "phone": phone, "is_active": True}
    values.update({"is_staff": False, "is_superuser": False} | flags)
    user, created = upsert(User, lookup={"email": email}, values=values, clean=False)
    # Re-set the password only when it is not the documented one (a new salt is a change).
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # allauth (ACCOUNT_EMAIL_VERIFICATION = "mandatory") needs a verified primary address.
    upsert(EmailAddress, lookup={"user": user, "email": email}, values={"verified": True, "primary": True})
    return user


def _hotel(user: User) -> BuyerOrganization:
    """An approved hotel (invented) buying with 30 days' credit, for the institutional journey."""
    cali = Municipality.objects.get(code="76001")
    body = "900512347"
    hotel, _ = upsert(
        BuyerOrganization,
        lookup={"nit": f"{body}-{nit_check_digit(body)}"},
        values={
            "kind": OrganizationKind.HOTEL,
            "legal_name": "Hotel Ribera del Pance S.A.S.",
            "billing_address": "Avenida 6N # 23-45, Cali",
            "municipality": cali,
            "email": "hotel@minga.co",
            "phone": "+573005550110",
            "status": OrganizationStatus.APPROVED,
            "credit_days": CreditDays.MONTH,
            "credit_limit_cop": 5_000_000,
        },
    )
    upsert(OrganizationMember, lookup={"organization": hotel, "user": user}, values={"can_order": True})
    upsert(
        DeliveryAddress,
        lookup={"organization": hotel, "label": "Cocina principal"},
        values={
            "address": "Avenida 6N # 23-45, Cali",
            "municipality": cali,
            "instructions": "Recibo de mercancía por la calle lateral, de 6 a 10 a. m.",
        },
    )
    return hotel


def load(*, stdout) -> None:
    builders, _ = Group.objects.get_or_create(name=MARKET_BUILDERS_GROUP)
    for email, _role in DEMO_ACCOUNTS:
        user = _account(email)
        if email in MARKET_BUILDER_EMAILS:
            user.groups.add(builders)
    hotel = _hotel(User.objects.get(email="hotel@minga.co"))
    stdout.write(f"  {len(DEMO_ACCOUNTS)} accounts, password {DEMO_PASSWORD!r}; buyer organisation {hotel}")
