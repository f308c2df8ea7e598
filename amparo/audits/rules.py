"""Pages where a coordinator edits an audit's rules, which are data: the kinds of notice
and their deadlines, which I-9 errors are technical or substantive, the state rules and
the union's steps with their default deadlines. Every change is in the audit log with
the fields it changed, shown as the row's history; a form with errors keeps what was
typed and says what to fix in the reader's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.access import capability_required, network_queryset, request_network
from amparo.accounts.access import request_user as _user
from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network
from amparo.accounts.roles import Cap
from amparo.people import record
from amparo.people.phonetree import language_name

from .models import ActionStep, ErrorRule, NoticeKind, StateRule

DateInput = forms.DateInput(attrs={"type": "date"})
#: kind in the URL → (model, editable fields, its text per language, the list's heading)
RULES: dict[str, tuple[type[Model], list[str], str, Any]] = {
    "notice": (NoticeKind, ["rule", "days", "position", "is_active"], "name",
               gettext_lazy("Kinds of notice and their deadlines")),
    "error": (ErrorRule, ["category", "since", "position"], "name",
              gettext_lazy("I-9 errors: technical or substantive")),
    "state": (StateRule, ["state", "law", "notice_kind", "hours", "position"], "duty",
              gettext_lazy("State rules")),
    "step": (ActionStep, ["days", "opens_with_audit", "position", "is_active"], "name",
             gettext_lazy("The union's steps and their default deadlines")),
}  # fmt: skip
TEXT_LABEL = {"name": gettext_lazy("Name"), "duty": gettext_lazy("The employer's duty")}


class RuleForm(forms.ModelForm):
    """A rule's fields and its text in each of the network's languages."""

    def __init__(self, *args: Any, network: Network, text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text, self.languages = text, list(network.languages or ["en"])
        current = getattr(self.instance, text) or {}
        for lang in self.languages:
            self.fields[f"text_{lang}"] = forms.CharField(
                label=f"{TEXT_LABEL[text]} ({language_name(lang)})",
                max_length=400,
                required=False,
                initial=current.get(lang, ""),
            )
        if "notice_kind" in self.fields:
            self.fields["notice_kind"].queryset = NoticeKind.objects.filter(network=network)  # type: ignore[attr-defined]
        if "since" in self.fields:
            self.fields["since"].widget = DateInput

    def clean_state(self) -> str:
        state = str(self.cleaned_data["state"]).strip().upper()
        if len(state) != 2 or not state.isalpha():
            raise forms.ValidationError(_("Two letters, e.g. CA."))
        return state

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any((data.get(f"text_{lang}") or "").strip() for lang in self.languages):
            raise forms.ValidationError(_("Write it in at least one language."))
        counted = (NoticeKind.Rule.BUSINESS_DAYS, NoticeKind.Rule.CALENDAR_DAYS)
        if data.get("rule") in counted and not data.get("days"):
            self.add_error("days", _("A deadline counted in days needs at least one day."))
        if "hours" in self.fields and not data.get("hours"):
            self.add_error("hours", _("Enter at least one hour."))
        return data


def _form_class(model: type[Model], fields: list[str]) -> type[RuleForm]:
    return forms.modelform_factory(model, form=RuleForm, fields=fields)  # type: ignore[return-value]


@transaction.atomic
def rule_save(form: RuleForm, *, network: Network, actor: Any) -> Model:
    """Save an edited or new rule (a new one gets a slug from its text) and log which
    fields changed."""
    rule = form.save(commit=False)
    texts = {
        lang: form.cleaned_data[f"text_{lang}"].strip()
        for lang in form.languages
        if form.cleaned_data[f"text_{lang}"].strip()
    }
    old = getattr(rule, form.text) or {}
    changed = [f for f in form.changed_data if not f.startswith("text_")]
    if texts != {k: v for k, v in old.items() if k in form.languages}:
        changed.append(form.text)
    setattr(rule, form.text, {**old, **texts})
    adding = rule._state.adding
    if adding:
        rule.network = network  # type: ignore[attr-defined]
        base = slugify(next(iter(texts.values())))[:34] or "rule"
        slug, n = base, 1
        while type(rule)._default_manager.filter(network=network, slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        rule.slug = slug  # type: ignore[attr-defined]
    rule.save()
    A = AuditEvent.Action
    audit_record(
        action=A.CREATE if adding else A.UPDATE, actor=actor, network=network, obj=rule,
        fields=changed,
    )  # fmt: skip
    return rule


@capability_required(Cap.NETWORK_MANAGE)
def rules(request: HttpRequest) -> HttpResponse:
    sections = [
        (kind, heading, network_queryset(request, model))
        for kind, (model, _f, _t, heading) in RULES.items()
    ]
    return render(request, "audits/rules.html", {"sections": sections})


@capability_required(Cap.NETWORK_MANAGE)
def rule_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in RULES:
        raise Http404
    network = request_network(request)
    model, fields, text, heading = RULES[kind]
    rule = get_object_or_404(network_queryset(request, model), pk=pk) if pk else None
    form = _form_class(model, fields)(
        request.POST or None, instance=rule, network=network, text=text
    )
    if request.method == "POST" and form.is_valid():
        rule_save(form, network=network, actor=_user(request))
        return redirect("audits:rules")
    history = record.history(rule) if rule else []
    return render(
        request,
        "audits/rule_edit.html",
        {"form": form, "rule": rule, "heading": heading, "history": history},
        status=400 if request.method == "POST" else 200,
    )
