"""The documents pages. Templates are the network's (documents capability); letters are
made from an incident (its cases through need-to-know, each one an audited read), a case
or an I-9 audit, by POST only: an A-number never travels in an address."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    getter,
    request_network,
    request_user,
    visible,
)
from amparo.accounts.audit import audit_reads
from amparo.accounts.roles import Cap
from amparo.audits.access import get_audit_for_user
from amparo.cases.models import Case
from amparo.cases.services import OPENS_CASES
from amparo.reports.access import get_incident_for_user

from . import merge
from . import render as rendering
from .forms import PrintForm, TemplateForm
from .models import DocTemplate, GeneratedDocument, Kind, Scope
from .services import NotCovered, current, document_generate, make, proposal_docx, template_edit

get_template_for_user = getter(DocTemplate, capability=Cap.DOCUMENTS)
LETTER_CAPS = (Cap.DISPATCH, Cap.LEGAL, Cap.CASES_ALL)
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _file(data: bytes, template: DocTemplate, fmt: str) -> HttpResponse:
    name = f"{slugify(template.title)[:60]}-{template.language}-v{template.version}.{fmt}"
    response = HttpResponse(data, content_type=MIME[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@capability_required(Cap.DOCUMENTS)
def index(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    rows = current(network)
    printed: dict[str, tuple[str, int, Any]] = {}  # slug: (language, version, when)
    made = GeneratedDocument.objects.filter(network=network).order_by("-created_at", "-id")
    for slug, *last in made.values_list(
        "template__slug", "template__language", "version", "created_at"
    )[:500]:
        printed.setdefault(slug, tuple(last))
    library: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r.kind, r.slug, r.language != request.LANGUAGE_CODE)):
        entry = library.setdefault(
            row.slug, {"title": row.title, "kind": row.get_kind_display(), "versions": []}
        )
        entry["versions"].append(row)
        entry["printed"] = printed.get(row.slug)
    cards = [r for r in rows if r.kind == Kind.CARD]
    return render(
        request,
        "documents/index.html",
        {"library": library.values(), "card_form": PrintForm(templates=cards)},
    )


def _preview(template: DocTemplate, values: dict[str, str]) -> list[rendering.Block]:
    body = template.body.replace("\r\n", "\n")  # a browser textarea posts CRLF
    return rendering.blocks(body.replace("\n---\n", "\n\n"), values)


@capability_required(Cap.DOCUMENTS)
def template_view(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_template_for_user(request, pk)
    form = TemplateForm(
        request.POST or None,
        initial={
            "language": template.language,
            "title": template.title,
            "body": template.body,
            "notes": template.notes,
        },
    )
    if template.kind != Kind.CLAUSE:  # only a clause has a rationale and a note
        del form.fields["notes"]
    if request.method == "POST" and form.is_valid():
        data = {"notes": template.notes, **form.cleaned_data}
        try:
            row = template_edit(template=template, actor=request_user(request), **data)
        except NotCovered as exc:
            form.add_error("body", str(exc.message))
        else:
            messages.success(request, _("Saved as version %d.") % row.version)
            return redirect("documents:template", pk=row.pk)
    versions = DocTemplate.objects.filter(
        network=template.network, slug=template.slug, language=template.language
    )
    sample = merge.sample_values(template.network)
    return render(
        request,
        "documents/template.html",
        {
            "template": template,
            "form": form,
            "versions": versions,
            "preview": _preview(template, sample),
            "fields": [f"{{{{ {name} }}}}" for name in sample],
            "disclaimer": rendering.disclaimer(),
            "formats": ["pdf"] if template.kind == Kind.CARD else ["pdf", "docx"],
        },
    )


@capability_required(Cap.DOCUMENTS)
def template_sample(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The document filled with sample data (nothing recorded)."""
    template = get_template_for_user(request, pk)
    if fmt not in MIME or (fmt == "docx" and template.kind == Kind.CARD):
        raise Http404
    with translation.override(template.language):
        values = merge.sample_values(template.network)
    return _file(make(template, values, fmt), template, fmt)


def _print(request: HttpRequest, form: PrintForm, fill: Any, **on: Any) -> Any:
    """The chosen document, filled by ``fill()`` in the document's language."""
    if not form.is_valid():
        return None
    template = form.cleaned_data["template"]
    with translation.override(template.language):
        values = fill()
    fmt = "docx" if "docx" in request.POST and template.kind != Kind.CARD else "pdf"
    paper = {"paper": form.cleaned_data["paper"] or "Letter"} if template.kind == Kind.CARD else {}
    data = document_generate(
        template=template,
        values=values,
        file_format=fmt,
        actor=request_user(request),
        on=on,
        **paper,
    )
    return _file(data, template, fmt)


@require_POST
@capability_required(Cap.DOCUMENTS)
def network_print(request: HttpRequest) -> HttpResponse:
    """A document filled from the network alone: palm cards, fliers, the poster, forms."""
    network = request_network(request)
    form = PrintForm(request.POST, templates=current(network, scope=Scope.NETWORK))
    response = _print(request, form, lambda: merge.network_values(network))
    if response is None:
        messages.error(request, _("Choose a document and a language."))
        return redirect("documents:index")
    return response


def incident_letters(request: HttpRequest, incident: Any) -> tuple[PrintForm, list[Case]]:
    """The letter form of an incident's page and the cases it may name (need-to-know)."""
    cases = list(
        visible(request, Case, all_cap=Cap.CASES_ALL)
        .filter(incident=incident)
        .select_related("facility", "network")
        .order_by("id")
    )
    templates = current(incident.network, scope__in=[Scope.INCIDENT, Scope.CASE])
    form = PrintForm(
        request.POST if request.method == "POST" else None,
        templates=templates,
        cases=[(c.pk, c.shown_name) for c in cases],
    )
    return form, cases


@require_POST
def incident_print(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident_for_user(request, pk, capability=LETTER_CAPS)
    if incident.status not in OPENS_CASES:
        raise Http404
    network = request_network(request)
    form, cases = incident_letters(request, incident)
    on: dict[str, Any] = {"incident": incident}
    extra: dict[str, str] = {}
    if form.is_valid() and form.cleaned_data["template"].scope == Scope.CASE:
        case = next((c for c in cases if c.pk == form.cleaned_data["case"]), None)
        if case is None:
            messages.error(request, _("Choose the worker the letter is about."))
            return redirect("reports:incident", pk=incident.pk)
        cases, on["case"] = [case], case

    def fill() -> dict[str, str]:
        if "case" in on:
            extra.update(merge.case_values(on["case"]))
        return merge.network_values(network) | merge.incident_values(incident, cases) | extra

    audit_reads(actor=request_user(request), objs=cases, network=network, reason="letter")
    response = _print(request, form, fill, **on)
    if response is None:
        messages.error(request, _("Choose a document and a language."))
        return redirect("reports:incident", pk=incident.pk)
    return response


def audit_letters(request: HttpRequest, audit: Any) -> PrintForm:
    templates = current(audit.network, scope=Scope.AUDIT)
    return PrintForm(request.POST if request.method == "POST" else None, templates=templates)


@require_POST
def audit_print(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_audit_for_user(request, pk)
    audit_reads(
        actor=request_user(request),
        objs=list(audit.workers.all()),
        network=audit.network,
        reason="letter",
    )
    response = _print(
        request,
        audit_letters(request, audit),
        lambda: merge.network_values(audit.network) | merge.audit_values(audit),
        audit=audit,
    )
    if response is None:
        messages.error(request, _("Choose a document and a language."))
        return redirect("audits:audit", pk=audit.pk)
    return response


@capability_required(Cap.DOCUMENTS)
def clauses(request: HttpRequest) -> HttpResponse:
    """The contract-clause library; the clauses ticked become a DOCX proposal."""
    network = request_network(request)
    language = request.POST.get("language") or request.GET.get("language") or request.LANGUAGE_CODE
    rows = current(network, kind=Kind.CLAUSE)
    languages = sorted({r.language for r in rows})
    shown = [r for r in rows if r.language == language] or [r for r in rows if r.language == "en"]
    if request.method == "POST":
        chosen = [r for r in shown if str(r.pk) in request.POST.getlist("clause")]
        if chosen:
            title = _("Contract proposal")
            data = proposal_docx(clauses=chosen, heading=f"{network.name}: {title}", title=title)
            response = HttpResponse(data, content_type=MIME["docx"])
            response["Content-Disposition"] = 'attachment; filename="proposal.docx"'
            return response
        messages.error(request, _("Tick at least one clause."))
    return render(
        request,
        "documents/clauses.html",
        {"clauses": shown, "languages": languages, "language": language},
    )
