"""A coordinator edits the audits' rules (notice kinds and deadlines, technical or
substantive errors, state rules, the union's steps): each change logged, shown as the
row's history; a refused form keeps what was typed and speaks the reader's language."""

from __future__ import annotations

from typing import Any, cast

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
from amparo.lib.forms import render_form
from amparo.people import record
from amparo.people.phonetree import language_name

from .models import ActionStep, ErrorRule, NoticeKind, StateRule

#: kind in the URL → (model, editable fields, its text per language, the list's heading)
RULES: dict[str, tuple[type[Model], list[str], str, Any]] = {
    "notice": (NoticeKind, ["rule", "days", "is_active"], "name",
               gettext_lazy("Kinds of notice and their deadlines")),
    "error": (ErrorRule, ["category", "since"], "name",
              gettext_lazy("I-9 errors: technical or substantive")),
    "state": (StateRule, ["state", "law", "notice_kind", "hours"], "duty",
              gettext_lazy("State rules")),
    "step": (ActionStep, ["days", "opens_with_audit", "is_active"], "name",
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
            self.fields["notice_kind"].label = _("Notice")

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
        return data


@transaction.atomic
def rule_save(form: RuleForm, *, network: Network, actor: Any) -> Model:
    """Save an edited or new rule (a new one gets a slug from its text); log the changed fields."""
    rule = form.save(commit=False)
    typed = {lang: form.cleaned_data[f"text_{lang}"].strip() for lang in form.languages}
    texts = {lang: text for lang, text in typed.items() if text}
    old = getattr(rule, form.text) or {}
    changed = [f for f in form.changed_data if not f.startswith("text_")]
    changed += [form.text] if texts != {k: old[k] for k in form.languages if k in old} else []
    setattr(rule, form.text, {**{k: v for k, v in old.items() if k not in typed}, **texts})
    adding = rule._state.adding
    if adding:
        rule.network = network
        base = slugify(next(iter(texts.values())))[:34] or "rule"
        slug, n = base, 1
        while type(rule)._default_manager.filter(network=network, slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        rule.slug = slug
    rule.save()
    action = AuditEvent.Action.CREATE if adding else AuditEvent.Action.UPDATE
    audit_record(action=action, actor=actor, network=network, obj=rule, fields=changed)
    return rule


@capability_required(Cap.NETWORK_MANAGE)
def rules(request: HttpRequest) -> HttpResponse:
    sections = [(kind, heading, network_queryset(request, model))
                for kind, (model, _f, _t, heading) in RULES.items()]  # fmt: skip
    return render(request, "audits/rules.html", {"sections": sections})


@capability_required(Cap.NETWORK_MANAGE)
def rule_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in RULES:
        raise Http404
    network = request_network(request)
    model, fields, text, heading = RULES[kind]
    rule = get_object_or_404(network_queryset(request, model), pk=pk) if pk else None
    form_class = cast(type[RuleForm], forms.modelform_factory(
        model, form=RuleForm, fields=fields, widgets={"since": forms.DateInput({"type": "date"})},
        labels={"is_active": _("in use")}))  # fmt: skip
    form = form_class(request.POST or None, instance=rule, network=network, text=text)
    if request.method == "POST" and form.is_valid():
        rule_save(form, network=network, actor=_user(request))
        return redirect("audits:rules")
    context = {"form": form, "rule": rule, "heading": heading}
    context["history"] = record.history(rule) if rule else []
    return render_form(request, "audits/rule_edit.html", context)
