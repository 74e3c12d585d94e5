"""The cooperative workspace: producers, members and invitations.

Every view starts with `workspace_membership`, which answers 404 to anyone who is not
a member (or, for changes, a manager) of the cooperative in the URL.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cooperatives import roles, services
from cooperatives.exceptions import InvitationError
from cooperatives.forms import InvitationForm, ProducerForm
from cooperatives.models import Invitation, Producer
from cooperatives.permissions import user_cooperatives, workspace_membership


@login_required
def workspace_index(request):
    cooperatives = list(user_cooperatives(request.user))
    if len(cooperatives) == 1:
        return redirect("orders:workspace_home", cooperatives[0].slug)
    return render(request, "cooperatives/workspace_index.html", {"cooperatives": cooperatives})


@login_required
def producer_list(request, slug):
    membership = workspace_membership(request.user, slug)
    producers = membership.cooperative.producers.all()
    return render(
        request,
        "cooperatives/producer_list.html",
        {"membership": membership, "cooperative": membership.cooperative, "producers": producers},
    )


@login_required
def producer_edit(request, slug, pk=None):
    membership = workspace_membership(request.user, slug, manage=True)
    cooperative = membership.cooperative
    producer = (
        get_object_or_404(Producer, pk=pk, cooperative=cooperative)
        if pk
        else Producer(cooperative=cooperative)
    )
    form = ProducerForm(request.POST or None, instance=producer)
    if request.method == "POST" and form.is_valid():
        services.producer_save(producer=form.save(commit=False))
        messages.success(request, _("Producer saved."))
        return redirect("cooperatives:producer_list", slug)
    return render(
        request,
        "cooperatives/producer_form.html",
        {"membership": membership, "cooperative": cooperative, "form": form, "producer": producer},
    )


@login_required
def member_list(request, slug):
    membership = workspace_membership(request.user, slug)
    cooperative = membership.cooperative
    form = InvitationForm()
    if request.method == "POST":
        membership = workspace_membership(request.user, slug, manage=True)
        form = InvitationForm(request.POST)
        if form.is_valid():
            services.invitation_create(
                cooperative=cooperative,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("cooperatives:member_list", slug)
    context = {
        "membership": membership,
        "cooperative": cooperative,
        "members": cooperative.memberships.select_related("user").order_by("role", "user__email"),
        "invitations": cooperative.invitations.pending() if membership.is_manager() else [],
        "form": form,
    }
    return render(request, "cooperatives/member_list.html", context)


@login_required
@require_POST
def invitation_revoke(request, slug, pk):
    membership = workspace_membership(request.user, slug, manage=True)
    invitation = get_object_or_404(Invitation, pk=pk, cooperative=membership.cooperative)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, _("Invitation cancelled."))
    return redirect("cooperatives:member_list", slug)


@login_required
def invitation_accept(request, token):
    invitation = Invitation.objects.select_related("cooperative").filter(token=token).first()
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except InvitationError as error:
            messages.error(request, error.message)
        else:
            roles.note_membership(request, request.user)
            messages.success(
                request,
                _("Welcome to %(name)s.") % {"name": membership.cooperative.name},
            )
            return redirect("orders:workspace_home", membership.cooperative.slug)
    return render(request, "cooperatives/invitation_accept.html", {"invitation": invitation})
