from django import forms
from django.utils.translation import gettext_lazy as _

from cooperatives.models import MembershipRole, Producer


class ProducerForm(forms.ModelForm):
    class Meta:
        model = Producer
        fields = ["name", "village", "gender", "consents_to_aggregate", "is_active"]
        # Gender needs consent: Producer.clean() refuses it, in this form and everywhere else.


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER)
