from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import MONTHS, Category, Certification, Product
from cooperatives.models import Cooperative, Producer
from market.forms import CompactSelect, OneTimeKeyField, PesosField, QuantityField
from market.images import PhotoField
from market.models import Department


class CatalogFilterForm(forms.Form):
    """The public catalogue's filters. Unknown values are ignored, never a 500.

    Every catalogue page and search renders them, the cooperatives' list with every verified
    cooperative (500 in the `search-100k` bench): their selects are `CompactSelect`, written
    in one pass, since Django's template per option cost a search page half of its CPU."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        to_field_name="slug",
        widget=CompactSelect,
    )
    cooperative = forms.ModelChoiceField(
        label=_("Cooperative"),
        queryset=Cooperative.objects.none(),
        required=False,
        to_field_name="slug",
        widget=CompactSelect,
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, widget=CompactSelect
    )
    certification = forms.ModelChoiceField(
        label=_("Certification"),
        queryset=Certification.objects.none(),
        required=False,
        to_field_name="code",
        widget=CompactSelect,
    )

    def __init__(self, data, *, choices: dict):
        super().__init__(data)
        # Choices were read once by the selector; the fields validate against them.
        self.fields["category"].queryset = Category.objects.all()
        self.fields["category"].choices = [("", _("All"))] + [
            (c.slug, f"{c.name} ({c.product_count})") for c in choices["categories"]
        ]
        self.fields["cooperative"].queryset = Cooperative.objects.verified()
        self.fields["cooperative"].choices = [("", _("All"))] + [
            (c.slug, c.name) for c in choices["cooperatives"]
        ]
        self.fields["department"].queryset = Department.objects.all()
        self.fields["department"].choices = [("", _("All"))] + [
            (d.code, d.name) for d in choices["departments"]
        ]
        self.fields["certification"].queryset = Certification.objects.all()
        self.fields["certification"].choices = [("", _("All"))] + [
            (c.code, c.name) for c in choices["certifications"]
        ]
        self._choices = choices

    def _pick(self, name, key, attr):
        value = self.data.get(name) or ""
        return next((obj for obj in self._choices[key] if str(getattr(obj, attr)) == value), None)

    def _cooperative(self) -> Cooperative | None:
        row = self._pick("cooperative", "cooperatives", "slug")  # a row (`filter_choices`)
        return Cooperative(pk=row.id, name=row.name, slug=row.slug) if row else None

    def filters(self) -> dict:
        """The chosen filters, resolved from the already-loaded choices (no queries)."""
        return {
            "text": (self.data.get("q") or "")[:100],
            "category": self._pick("category", "categories", "slug"),
            "cooperative": self._cooperative(),
            "department": self._pick("department", "departments", "code"),
            "certification": self._pick("certification", "certifications", "code"),
        }


class ProductForm(forms.ModelForm):
    harvest = forms.TypedMultipleChoiceField(
        label=_("Harvest months"),
        choices=MONTHS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "category",
            "description",
            "unit",
            "price_cop",
            "min_quantity",
            "quantity_step",
            "stock",
            "is_available",
            "certifications",
            "producers",
        ]
        # Numbers the Colombian way: "0,5" and "25" shown and read, prices as "25.000".
        field_classes = {
            "price_cop": PesosField,
            "min_quantity": QuantityField,
            "quantity_step": QuantityField,
            "stock": QuantityField,
        }
        widgets = {
            "certifications": forms.CheckboxSelectMultiple,
            "producers": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, cooperative: Cooperative, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producers"].queryset = Producer.objects.filter(cooperative=cooperative, is_active=True)
        self.fields["certifications"].queryset = Certification.objects.all()
        self.fields["category"].queryset = Category.objects.all()
        self.fields["stock"].allow_zero = True  # sold out until the next harvest
        for name, code, message in (
            ("min_quantity", "not_positive", _("The minimum must be greater than zero.")),
            ("quantity_step", "not_positive", _("The step must be greater than zero.")),
            ("stock", "negative", _("Stock cannot be negative.")),
        ):
            self.fields[name].error_messages[code] = message
        if not self.instance.pk:
            # The first form takes a photo too, and a key so that a double tap saves it once.
            self.fields["photo"] = PhotoField(
                label=_("Photo"), required=False, help_text=_("You can add more photos once it is saved.")
            )
            self.fields["form_key"] = OneTimeKeyField()
            self.order_fields(["name", "photo"])  # the photo near the top, where a phone shows it
        if self.instance.pk:
            self.fields["harvest"].initial = self.instance.harvest_month_numbers()

    def clean(self):
        data = super().clean()
        price = data.get("price_cop")
        if price is not None and price <= 0:
            self.add_error("price_cop", _("The price must be greater than zero."))
        return data

    def save(self, commit=True):
        product = super().save(commit=False)
        product.harvest_months = sum(1 << (m - 1) for m in self.cleaned_data.get("harvest") or [])
        return product


class PhotoUploadForm(forms.Form):
    photo = PhotoField(label=_("Photo"))
