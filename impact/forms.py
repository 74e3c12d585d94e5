"""The report's filters: a period in months and where (department, municipality, cooperative,
market), offered from what the programme covers. A value that is not offered is refused
with a message and the filter is left out."""

from django import forms
from django.utils.translation import gettext_lazy as _

from impact.report import PeriodError, month_end, month_start

ALL = ("", _("All"))


class ReportFilterForm(forms.Form):
    desde = forms.CharField(
        label=_("From (month)"), required=False, widget=forms.TextInput(attrs={"type": "month", "size": 8})
    )
    hasta = forms.CharField(
        label=_("To (month)"), required=False, widget=forms.TextInput(attrs={"type": "month", "size": 8})
    )
    departamento = forms.ChoiceField(label=_("Department"), required=False)
    municipio = forms.ChoiceField(label=_("Municipality"), required=False)
    cooperativa = forms.ChoiceField(label=_("Cooperative"), required=False)
    mercado = forms.ChoiceField(label=_("Market"), required=False)

    def __init__(self, data, *, programme, cooperatives, markets):
        super().__init__(data)
        self.programme = programme
        departments = {c.municipality.department_id: c.municipality.department.name for c in cooperatives}
        places = {c.municipality_id: c.municipality.name for c in cooperatives}
        self.fields["departamento"].choices = [ALL, *sorted(departments.items(), key=lambda kv: kv[1])]
        self.fields["municipio"].choices = [ALL, *sorted(places.items(), key=lambda kv: kv[1])]
        self.fields["cooperativa"].choices = [ALL, *((str(c.pk), c.name) for c in cooperatives)]
        self.fields["mercado"].choices = [ALL, *((str(m.pk), m.title) for m in markets)]

    def _month(self, name, parse):
        text = self.cleaned_data.get(name, "")
        if not text:
            return None
        try:
            return parse(text)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_desde(self):
        return self._month("desde", month_start)

    def clean_hasta(self):
        return self._month("hasta", month_end)

    def clean(self):
        data = super().clean()
        start, end = data.get("desde"), data.get("hasta")
        if start and end and end < start:
            self.add_error("hasta", _("The period ends before it starts."))
        return data

    def report_arguments(self) -> dict:
        """The period (the programme's own where not given) and the filters that are valid."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: data.get(name) for name in self.fields if name not in self.errors}
        start = valid.get("desde") or self.programme.starts_on
        end = valid.get("hasta") or self.programme.ends_on
        if end < start:
            start, end = self.programme.starts_on, self.programme.ends_on
        return {
            "start": start,
            "end": end,
            "department": valid.get("departamento") or "",
            "municipality": valid.get("municipio") or "",
            "cooperative": int(valid["cooperativa"]) if valid.get("cooperativa") else None,
            "market": int(valid["mercado"]) if valid.get("mercado") else None,
        }
