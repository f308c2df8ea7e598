"""Forms for committees and their task boards. Validation of the rules lives in
``committees.py``; these parse and give translated messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Network

from .models import Committee, Person, Task
from .participation import NAME_SEARCH_SHOWN, person_search_capped

NOT_A_MEMBER = _("Only a member of this committee can be assigned its tasks.")


class MemberChoiceField(forms.ModelChoiceField):
    """A committee member; the label opens the name (the committee's page is shown)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name or _("person %(id)s") % {"id": obj.pk})


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Task"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Write what needs doing."),
            "max_length": _("A task can be at most %(limit_value)d characters long."),
        },
    )
    assignee = MemberChoiceField(
        label=_("Who does it"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
        error_messages={"invalid_choice": NOT_A_MEMBER},
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Write a date, for example 2026-03-31.")},
    )
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)

    def __init__(
        self, *args: Any, committee: Committee, with_status: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            committees__committee=committee
        ).order_by("id")
        if not with_status:
            del self.fields["status"]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Write what needs doing."))
        return title


class MoveForm(forms.Form):
    status = forms.ChoiceField(
        choices=Task.Status.choices,
        error_messages={"invalid_choice": _("Unknown task status.")},
    )


class MemberAddForm(forms.Form):
    person = forms.IntegerField(min_value=1, error_messages={"required": _("Choose a person.")})
    chair = forms.BooleanField(required=False)


class ChairForm(forms.Form):
    chair = forms.BooleanField(required=False)


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=80, required=False)


def name_search(request: HttpRequest, network: Network, exclude: set[int]) -> dict[str, Any]:
    """A page's name search, posted and answered on the page (a typed name never goes in a
    URL): the form, the people found but ``exclude`` (ids), whether there were more."""
    search = PersonSearchForm(request.POST if request.method == "POST" else None)
    found: list[Person] = []
    more = False
    if search.is_valid() and search.cleaned_data["q"].strip():
        found, more = person_search_capped(
            network=network, q=search.cleaned_data["q"], exclude=exclude
        )
    return {"search": search, "found": found, "more": more, "shown": NAME_SEARCH_SHOWN}
