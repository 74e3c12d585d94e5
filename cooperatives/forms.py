from django import forms
from django.utils.translation import gettext_lazy as _

from cooperatives.models import MembershipRole, Producer


class ProducerForm(forms.ModelForm):
    class Meta:
        model = Producer
        fields = ["name", "village", "gender", "consents_to_aggregate", "is_active"]

    def clean(self):
        data = super().clean()
        if data.get("gender") and not data.get("consents_to_aggregate"):
            self.add_error(
                "gender",
                _("Record gender only with the producer's consent to aggregate reports."),
            )
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER)
