"""The public volunteer sign-up form (no login, works without JavaScript)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network
from amparo.lib.phones import normalize_phone
from amparo.lib.quickwidgets import quick_renderer

from .signup import SignupData, session_label, signup_places, signup_roles, signup_sessions

LANGUAGES = [(code, name) for code, name in settings.LANGUAGES]
#: The site's languages named in themselves ("English", "Español"), for whoever reads
#: the page in the other one.
OWN_NAMES = [(code, capfirst(get_language_info(code)["name_local"])) for code, _n in LANGUAGES]
#: Other languages a volunteer may speak: the site's, plus those often needed for
#: interpreting in immigrant workers' communities (codes as stored on Person).
OTHER_LANGUAGES = [
    *LANGUAGES,
    ("pt", _("Portuguese")),
    ("ht", _("Haitian Creole")),
    ("fr", _("French")),
    ("mam", _("Mam")),
    ("quc", _("K'iche'")),
]
CONFIRM_BY = [("sms", _("Text message")), ("email", _("Email"))]


class SignupForm(forms.Form):
    default_renderer = quick_renderer  # public, asked for under load

    name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        error_messages={"required": _("Tell us your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=40,
        help_text=_("We send a text message to confirm."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    confirm_by = forms.ChoiceField(
        label=_("Confirm my sign-up by"),
        choices=CONFIRM_BY,
        initial="sms",
        required=False,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Language for our messages"), choices=OWN_NAMES, widget=forms.RadioSelect
    )
    other_languages = forms.MultipleChoiceField(
        label=_("Other languages you speak"),
        required=False,
        choices=OTHER_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    place = forms.ChoiceField(label=_("Your town (optional)"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("How would you like to help?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    session = forms.ChoiceField(
        label=_("Orientation session"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Every volunteer starts with an orientation."),
    )
    consent = forms.BooleanField(
        label=_("I agree"),
        error_messages={"required": _("Please read and accept the agreement to sign up.")},
    )

    def __init__(self, *args: Any, network: Network, language: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        if language in dict(LANGUAGES):
            self.fields["language"].initial = language
        self._choices(
            "place",
            [
                ("", "—"),
                *((str(pk), name) for pk, name in signup_places(network=network)),
            ],
        )
        self._choices("roles", [(r.slug, r.label) for r in signup_roles(network=network)])
        self._choices(
            "session",
            [
                *(
                    (str(s.pk), session_label(session=s, network=network))
                    for s in signup_sessions(network=network)
                ),
                ("", _("None of these dates: tell me about the next ones")),
            ],
        )
        self.fields["session"].initial = ""

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Tell us your name."))
        return name

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        return normalize_phone(phone) if phone else ""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.has_error("phone") and not self.has_error("email"):
            if not data.get("phone") and not data.get("email"):
                self.add_error(
                    "phone", _("Give a mobile number or an email so that we can confirm.")
                )
            elif data.get("confirm_by") == "email" and not data.get("email"):
                self.add_error("email", _("Give an email to be confirmed by email."))
        return data

    def to_data(self) -> SignupData:
        data = self.cleaned_data
        language = data["language"]
        return SignupData(
            name=data["name"],
            language=language,
            phone=data["phone"],
            email=data["email"],
            other_languages=[c for c in data["other_languages"] if c != language],
            place_id=int(data["place"]) if data["place"] else None,
            roles=list(data["roles"]),
            session_id=int(data["session"]) if data["session"] else None,
            confirm_by=data.get("confirm_by") or "sms",
        )
