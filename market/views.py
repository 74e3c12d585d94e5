"""Buyer organisations for their members: self-registration, the organisation's page and
its delivery addresses. Views stay thin: a form validates, a service acts.

Every page about one organisation starts with `_membership`, which answers 404 to anyone
who is not its member (staff included: they use the Wagtail admin), so a URL never tells
whether an organisation or an address exists.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from market import selectors, services
from market.exceptions import AddressLimitError, DuplicateNitError, OrganizationError
from market.forms import DeliveryAddressForm, OrganizationRegisterForm
from market.models import OrganizationMember

FIRST_ADDRESS_PREFIX = "entrega"


def _membership(request, pk: int) -> OrganizationMember:
    membership = selectors.organization_membership(user=request.user, organization_id=pk)
    if membership is None:
        raise Http404
    return membership


@login_required
def organization_register(request):
    data = request.POST if request.method == "POST" else None
    form = OrganizationRegisterForm(data)
    address_form = DeliveryAddressForm(data, prefix=FIRST_ADDRESS_PREFIX, first=True)
    if data is not None and all([form.is_valid(), address_form.is_valid()]):
        first_address = address_form.address_input(municipality=form.cleaned_data["municipality"])
        try:
            organization = services.organization_register(
                user=request.user, first_address=first_address, **form.cleaned_data
            )
        except DuplicateNitError as error:
            form.add_error("nit", error.message)
        except OrganizationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Thank you. We received the registration of %(name)s.") % {"name": organization.legal_name},
            )
            return redirect("market:organization_detail", organization.pk)
    return render(
        request,
        "market/organization_register.html",
        {"form": form, "address_form": address_form},
        status=400 if data is not None else 200,
    )


@login_required
def organization_detail(request, pk):
    """The organisation as its members see it: status, credit, members, addresses."""
    membership = _membership(request, pk)
    organization = membership.organization
    context = {"membership": membership, "organization": organization}
    context.update(selectors.organization_page(organization=organization))
    return render(request, "market/organization_detail.html", context)


@login_required
def address_add(request, pk):
    """A member who may order saves a delivery address (a page of its own: the list of
    municipalities is heavy, the organisation's page stays light)."""
    membership = _membership(request, pk)
    if not membership.can_order:
        raise Http404
    organization = membership.organization
    form = DeliveryAddressForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_address_add(
                organization=organization, actor=request.user, data=form.address_input()
            )
        except AddressLimitError as error:
            form.add_error(None, error.message)
        except OrganizationError:
            raise Http404 from None
        else:
            messages.success(request, _("Delivery address saved."))
            return redirect("market:organization_detail", organization.pk)
    return render(
        request,
        "market/address_form.html",
        {"organization": organization, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def address_remove(request, pk, address_pk):
    membership = _membership(request, pk)
    if not membership.can_order:
        raise Http404
    try:
        removed = services.delivery_address_remove(
            organization=membership.organization, actor=request.user, address_id=address_pk
        )
    except OrganizationError:
        raise Http404 from None
    if not removed:
        raise Http404  # another organisation's address, or one already removed
    messages.success(request, _("Delivery address removed."))
    return redirect("market:organization_detail", pk)


def robots_txt(request):
    """Crawlers may read the public pages; the sitemap lists them in both languages."""
    lines = [
        "User-agent: *",
        "Disallow: /cms/",
        "Disallow: /django-admin/",
        "Disallow: /espacio/",
        "Disallow: /cuenta/",
        "Disallow: /en/espacio/",
        "Disallow: /en/cuenta/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the site's icon
    (an SVG in the static files, under its hashed name in production)."""
    response = redirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
