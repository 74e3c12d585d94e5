"""Writes that carry a rule or a side effect for buyer organisations.

A signed-in person registers her business (`organization_register`): it starts PENDING,
she is its first member and may order for it once staff approve it in the Wagtail admin
(`market/wagtail_hooks.py`), where they also set credit terms. Until then checkout does not
offer it (`BuyerOrganization.objects.approved()`). Members who may order keep the
organisation's delivery addresses.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from market import notifications
from market.exceptions import AddressLimitError, DuplicateNitError, OrganizationError
from market.models import (
    BuyerOrganization,
    CreditDays,
    DeliveryAddress,
    Municipality,
    OrganizationMember,
    OrganizationStatus,
    User,
)
from market.nit import normalize_nit

MAX_DELIVERY_ADDRESSES = 12
MAX_PENDING_REGISTRATIONS = 3  # per person: staff review each one by hand


@dataclass(frozen=True)
class AddressInput:
    """A delivery address as a member types it."""

    label: str
    address: str
    municipality: Municipality
    instructions: str = ""


def _duplicate_nit_error() -> DuplicateNitError:
    return DuplicateNitError(
        _(
            "An organisation with this NIT is already registered. If you work there, ask the "
            "person who registered it, or write to us, to add you as a member."
        )
    )


def nit_taken(nit: str) -> bool:
    """Whether an organisation already has this NIT, however it was written (dots, spaces,
    dash): staff may have typed one in the admin as `900.123.456-8`."""
    digits = normalize_nit(nit).replace("-", "")
    stripped = F("nit")
    for mark in ("-", ".", " "):
        stripped = Replace(stripped, Value(mark), Value(""))
    return BuyerOrganization.objects.annotate(nit_digits=stripped).filter(nit_digits=digits).exists()


def _new_address(*, organization: BuyerOrganization, data: AddressInput) -> DeliveryAddress:
    address = DeliveryAddress(
        organization=organization,
        label=data.label.strip(),
        address=data.address.strip(),
        municipality=data.municipality,
        instructions=data.instructions.strip(),
    )
    address.full_clean()
    address.save()
    return address


def organization_register(
    *,
    user: User,
    kind: str,
    legal_name: str,
    nit: str,
    billing_address: str,
    municipality: Municipality,
    email: str,
    phone: str = "",
    first_address: AddressInput | None = None,
) -> BuyerOrganization:
    """Register a business for staff to review: PENDING, no credit, `user` its member who may
    order, and its first delivery address if given. Staff are told by e-mail: the messages are
    written in this transaction (`market.notifications`) and leave once it commits.

    Raises DuplicateNitError (nothing saved) when the NIT is taken; ValidationError when a
    value breaks the model's rules (the form checks them first).
    """
    nit = normalize_nit(nit)
    try:
        with transaction.atomic():
            waiting = OrganizationMember.objects.filter(
                user=user, organization__status=OrganizationStatus.PENDING
            ).count()
            if waiting >= MAX_PENDING_REGISTRATIONS:
                raise OrganizationError(
                    _(
                        "You already have %(count)s registrations waiting for review. We will write "
                        "to you; you can register another one after that."
                    )
                    % {"count": waiting}
                )
            if nit_taken(nit):
                raise _duplicate_nit_error()
            organization = BuyerOrganization(
                kind=kind,
                legal_name=legal_name.strip(),
                nit=nit,
                billing_address=billing_address.strip(),
                municipality=municipality,
                email=email.strip().lower(),
                phone=phone,
                status=OrganizationStatus.PENDING,
                credit_days=CreditDays.NONE,
                credit_limit_cop=0,
            )
            organization.full_clean(validate_unique=False)  # the NIT was checked above
            organization.save()
            OrganizationMember.objects.create(organization=organization, user=user, can_order=True)
            if first_address is not None:
                _new_address(organization=organization, data=first_address)
            notifications.organization_registered(organization)
    except IntegrityError:
        # Two registrations of one NIT at the same moment: the unique constraint keeps one.
        raise _duplicate_nit_error() from None
    return organization


def organization_decide(*, organization: BuyerOrganization, reason: str = "") -> bool:
    """Save `organization` as staff edited it (the admin form) and, when its status moved to
    approved or refused, tell its members in the same transaction, with `reason` when
    refused. Returns whether they were told: the same decision saved again tells nobody.

    The row is locked while the old status is read, so that two staff saving at once tell
    the members once. A refusal needs a reason (the admin form asks for it).
    """
    decided = (OrganizationStatus.APPROVED, OrganizationStatus.REJECTED)
    with transaction.atomic():
        previous = (
            BuyerOrganization.objects.select_for_update()
            .filter(pk=organization.pk)
            .values_list("status", flat=True)
            .first()
            if organization.pk
            else None
        )
        if (
            organization.status == OrganizationStatus.REJECTED
            and not reason.strip()
            and previous != organization.status
        ):
            raise OrganizationError(_("Write why the organisation is refused: its members will read it."))
        organization.save()
        if organization.status == previous or organization.status not in decided:
            return False
        notifications.organization_decided(organization, reason=reason)
    return True


def _check_may_order(*, organization: BuyerOrganization, actor: User) -> None:
    allowed = OrganizationMember.objects.filter(
        organization=organization, user_id=actor.pk, can_order=True
    ).exists()
    if not allowed:
        raise OrganizationError(_("Only members who may order can change the delivery addresses."))


def delivery_address_add(
    *, organization: BuyerOrganization, actor: User, data: AddressInput
) -> DeliveryAddress:
    """Save a delivery address for the organisation; `actor` must be a member who may order.

    At most `MAX_DELIVERY_ADDRESSES`, so the list offered at checkout stays short on a phone.
    """
    with transaction.atomic():
        _check_may_order(organization=organization, actor=actor)
        if organization.delivery_addresses.count() >= MAX_DELIVERY_ADDRESSES:
            raise AddressLimitError(
                _("An organisation keeps at most %(max)s delivery addresses: remove one first.")
                % {"max": MAX_DELIVERY_ADDRESSES}
            )
        return _new_address(organization=organization, data=data)


def delivery_address_remove(*, organization: BuyerOrganization, actor: User, address_id: int) -> bool:
    """Remove one of the organisation's addresses (never another's). Orders keep their own
    copy of the address text, so past orders do not change. Returns whether one was removed."""
    with transaction.atomic():
        _check_may_order(organization=organization, actor=actor)
        deleted, _count = DeliveryAddress.objects.filter(pk=address_id, organization=organization).delete()
    return bool(deleted)
