"""Public catalogue pages and the cooperative workspace's product pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.exceptions import PhotoLimitError
from catalog.forms import CatalogFilterForm, PhotoUploadForm, ProductForm
from catalog.models import Product, ProductPhoto
from cooperatives.permissions import workspace_membership


def _page(request, qs, per_page=None):
    from django.conf import settings

    paginator = Paginator(qs, per_page or settings.MINGA_CATALOG_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def catalog_list(request):
    choices = selectors.filter_choices()
    form = CatalogFilterForm(request.GET, choices=choices)
    filters = form.filters()
    results = selectors.product_search(**filters)
    page = _page(request, results)
    query = request.GET.copy()
    query.pop("page", None)
    # The category links keep the other filters and the search words.
    other_filters = query.copy()
    other_filters.pop("category", None)
    return render(
        request,
        "catalog/catalog_list.html",
        {
            "form": form,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "results": results,
            "categories": choices["categories"],
            "other_filters": other_filters.urlencode(),
        },
    )


def product_detail(request, cooperative_slug, product_slug):
    product = selectors.product_detail(cooperative_slug=cooperative_slug, product_slug=product_slug)
    if product is None:
        raise Http404
    return render(request, "catalog/product_detail.html", {"product": product})


def cooperative_detail(request, slug):
    cooperative = selectors.cooperative_profile(slug=slug)
    if cooperative is None:
        raise Http404
    page = _page(request, selectors.product_search(cooperative=cooperative))
    return render(request, "catalog/cooperative_detail.html", {"cooperative": cooperative, "page": page})


# --- Workspace ---------------------------------------------------------------------------


@login_required
def workspace_products(request, slug):
    membership = workspace_membership(request.user, slug)
    cooperative = membership.cooperative
    products = selectors.product_cards(cooperative.products.all()).order_by("name")
    return render(
        request,
        "catalog/workspace_products.html",
        {"membership": membership, "cooperative": cooperative, "products": products},
    )


@login_required
def product_edit(request, slug, pk=None):
    membership = workspace_membership(request.user, slug, manage=True)
    cooperative = membership.cooperative
    product = (
        get_object_or_404(Product, pk=pk, cooperative=cooperative) if pk else Product(cooperative=cooperative)
    )
    form = ProductForm(request.POST or None, request.FILES or None, instance=product, cooperative=cooperative)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if product.pk:
            services.product_save(
                product=form.save(commit=False),
                certifications=data["certifications"],
                producers=data["producers"],
            )
        else:
            product, created = services.product_create(
                product=form.save(commit=False),
                form_key=data["form_key"],
                certifications=data["certifications"],
                producers=data["producers"],
                photo=data["photo"],
                uploaded_by=request.user,
            )
            if not created:
                messages.info(request, _("This product was already saved."))
                return redirect("catalog:workspace_product_edit", slug, product.pk)
        messages.success(request, _("Product saved."))
        return redirect("catalog:workspace_product_edit", slug, product.pk)
    return render(
        request,
        "catalog/workspace_product_form.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "form": form,
            "product": product,
            "photo_form": PhotoUploadForm() if product.pk else None,
            "photos": product.photos.select_related("image") if product.pk else [],
        },
    )


@login_required
@require_POST
def product_visibility(request, slug, pk):
    membership = workspace_membership(request.user, slug, manage=True)
    product = get_object_or_404(Product, pk=pk, cooperative=membership.cooperative)
    hidden = request.POST.get("hidden") == "1"
    services.product_set_hidden(product=product, hidden=hidden)
    messages.success(request, _("Product hidden.") if hidden else _("Product visible again."))
    return redirect("catalog:workspace_products", slug)


@login_required
@require_POST
def photo_upload(request, slug, pk):
    membership = workspace_membership(request.user, slug, manage=True)
    cooperative = membership.cooperative
    product = get_object_or_404(Product, pk=pk, cooperative=cooperative)
    form = PhotoUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.product_photo_add(
                product=product, file=form.cleaned_data["photo"], uploaded_by=request.user
            )
        except PhotoLimitError:
            messages.error(request, _("A product can have at most six photos."))
        else:
            messages.success(request, _("Photo added."))
        return redirect("catalog:workspace_product_edit", slug, product.pk)
    return render(
        request,
        "catalog/workspace_product_form.html",
        {
            "membership": membership,
            "cooperative": cooperative,
            "form": ProductForm(instance=product, cooperative=cooperative),
            "product": product,
            "photo_form": form,
            "photos": product.photos.select_related("image"),
        },
        status=400,
    )


@login_required
@require_POST
def photo_delete(request, slug, pk, photo_pk):
    membership = workspace_membership(request.user, slug, manage=True)
    photo = get_object_or_404(
        ProductPhoto, pk=photo_pk, product_id=pk, product__cooperative=membership.cooperative
    )
    services.product_photo_delete(photo=photo)
    messages.success(request, _("Photo removed."))
    return redirect("catalog:workspace_product_edit", slug, pk)
