"""Reads about buyer organisations that span relations; they own their joins and prefetches."""

from django.utils.text import Truncator

from market.models import BuyerOrganization, DeliveryAddress, OrganizationMember

ADDRESS_TEXT_MAX = 300  # `orders.Order.delivery_address` holds 300 characters


def organization_membership(*, user, organization_id: int) -> OrganizationMember | None:
    """The user's membership of the organisation, with the organisation; None when she is
    not a member (the views answer 404 then, whatever the organisation)."""
    if not user.is_authenticated:
        return None
    return (
        OrganizationMember.objects.select_related("organization__municipality__department")
        .filter(user=user, organization_id=organization_id)
        .first()
    )


def organization_page(*, organization: BuyerOrganization) -> dict:
    """What its members see: the members (with their accounts) and the delivery addresses."""
    return {
        "members": list(
            organization.members.select_related("user").order_by("user__first_name", "user__email")
        ),
        "addresses": list(delivery_addresses(organizations=[organization])),
    }


def user_organizations(*, user) -> list[OrganizationMember]:
    """The user's memberships with their organisations (one query), for the order list page."""
    if not user.is_authenticated:
        return []
    return list(
        OrganizationMember.objects.select_related("organization")
        .filter(user=user)
        .order_by("organization__legal_name")
    )


def delivery_addresses(*, organizations) -> list[DeliveryAddress]:
    """The saved delivery addresses of `organizations`, by organisation and label (one query)."""
    ids = [org.pk for org in organizations]
    if not ids:
        return []
    return list(
        DeliveryAddress.objects.select_related("municipality__department")
        .filter(organization_id__in=ids)
        .order_by("organization__legal_name", "label", "pk")
    )


def delivery_address_text(address: DeliveryAddress) -> str:
    """The address as an order keeps it: "label: address, municipality (department). instructions".

    An order copies this text when it is placed, so changing or removing the saved address
    later never changes a past order. The order holds 300 characters: when the whole text
    does not fit, the label goes first, then the instructions are shortened; the address and
    its municipality are what a driver needs.
    """
    municipality = address.municipality
    where = f"{address.address.strip()}, {municipality.name} ({municipality.department.name})"
    text = f"{address.label.strip()}: {where}"
    if len(text) > ADDRESS_TEXT_MAX:
        text = where
    instructions = address.instructions.strip()
    room = ADDRESS_TEXT_MAX - len(text) - len(". ")
    if instructions and room >= 10:
        text += ". " + Truncator(instructions).chars(room)
    return Truncator(text).chars(ADDRESS_TEXT_MAX)
