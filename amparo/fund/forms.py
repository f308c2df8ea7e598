from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.hotline.referrals import referrals_search
from amparo.people.models import Organization

from .models import BondState, Decision, Donation, Fund, FundRequest, PayerKind

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 2})


class RequestForm(forms.ModelForm):
    phone = forms.CharField(label=_("The member's phone number"), max_length=30, required=False)
    phone.help_text = _("To show their record against the fund's rule and text them the decision.")

    class Meta:
        model = FundRequest
        fields = ["kind", "amount", "purpose", "deadline"]
        widgets = {"deadline": DATE, "purpose": TEXT}


class DecideForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Your word"), choices=Decision.Verdict.choices)
    reason = forms.CharField(label=_("Reason"), widget=TEXT, max_length=2000)
    referral = forms.ModelChoiceField(Organization.objects.none(), required=False)
    referral.label = _("When declining: free legal help to refer the person to")

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [o.pk for o in referrals_search(network=network, need="legal")]
        self.fields["referral"].queryset = Organization.objects.filter(pk__in=ids)  # type: ignore[attr-defined]


class PostedForm(forms.Form):
    payer_kind = forms.ChoiceField(label=_("Who paid the bond to ICE"), choices=PayerKind.choices)
    payer = forms.CharField(label=_("Their name"), max_length=200)
    receipt = forms.CharField(label=_("Receipt number"), max_length=200)


class BondStateForm(forms.Form):
    state = forms.ModelChoiceField(BondState.objects.none(), label=_("Bond state"))
    amount = forms.DecimalField(max_digits=12, decimal_places=2, required=False)
    amount.label = _("Amount back or lost (blank: all still out)")

    def __init__(self, *args: Any, network: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = BondState.objects.filter(network=network)  # type: ignore[attr-defined]


class DonationForm(forms.ModelForm):
    class Meta:
        model = Donation
        fields = ["amount", "received_on", "donor"]
        widgets = {"received_on": DATE}


class RuleForm(forms.ModelForm):
    class Meta:
        model = Fund
        fields = [
            "min_activities",
            "window_days",
            "committee_members_qualify",
            "two_approvers_from",
        ]
