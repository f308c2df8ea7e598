"""The petition's and the letters' pages. Public ones (no login, no JavaScript needed)
are addressed by unguessable tokens; the team's pages by the incident's or the case's id
through the access helpers (404 for another network's, need-to-know for cases)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.accounts.access import capability_required, request_user
from amparo.accounts.models import Network
from amparo.accounts.roles import Cap
from amparo.cases.access import get_case_for_user
from amparo.cases.services import OPENS_CASES
from amparo.people import antiabuse
from amparo.reports.access import get_incident_for_user
from amparo.reports.submit import photo_prepare
from amparo.reports.views_public import too_fast_message

from . import services
from .forms import DeliverForm, LetterForm, PetitionForm, SignForm
from .models import Letter, LetterLink, Petition

EDITORS = (Cap.COMMITTEE, Cap.DISPATCH)
SIGNED = "petition_signed"
#: letters one address may send to one case: (at most, per seconds)
LETTER_LIMITS = ((5, 3600), (10, 86400))


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# --- the team's pages ----------------------------------------------------------------------


def _incident(request: HttpRequest, pk: int) -> Any:
    incident = get_incident_for_user(request, pk)
    if incident.status not in OPENS_CASES:
        raise Http404
    return incident


@capability_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def petition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    petition = Petition.objects.filter(incident=incident).first()
    initial = {"title": petition.title, "text": petition.text} if petition else {}
    form = PetitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.petition_save(incident=incident, actor=request_user(request), **form.cleaned_data)
        messages.success(request, _("The petition is saved. Its public page is open."))
        return redirect("reports:incident", pk=incident.pk)
    return render(
        request,
        "campaigns/petition_edit.html",
        {"incident": incident, "petition": petition, "form": form, "deliver_form": DeliverForm()},
    )


@capability_required(*EDITORS)
@require_POST
def petition_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_object_or_404(Petition, incident=_incident(request, pk))
    form = DeliverForm(request.POST)
    if form.is_valid():
        services.petition_deliver(
            petition=petition, actor=request_user(request), **form.cleaned_data
        )
        messages.success(request, _("Delivery recorded."))
    return redirect("campaigns:petition", pk=pk)


@capability_required(*EDITORS)
@require_GET
def petition_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    petition = get_object_or_404(Petition, incident=_incident(request, pk))
    return _pdf(services.petition_pdf(petition=petition, actor=request_user(request)), "petition")


@require_POST
def letters_link(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    services.letter_link_for(case=case, actor=request_user(request))
    return redirect(f"{case_url(case.pk)}#letters")


@require_POST
def letter_review(request: HttpRequest, pk: int, letter_pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    letter = get_object_or_404(Letter, pk=letter_pk, case=case)
    approve = request.POST.get("decision") == "approve"
    services.letter_review(letter=letter, actor=request_user(request), approve=approve)
    return redirect(f"{case_url(case.pk)}#letters")


@require_GET
def letters_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    return _pdf(services.letters_pdf(case=case, actor=request_user(request)), "letters")


def case_url(pk: int) -> str:
    return reverse("cases:case", kwargs={"pk": pk})


# --- the public pages ----------------------------------------------------------------------


def _checked(request: HttpRequest, network: Network, form: Any, bits: int) -> Any:
    """A public post's proof of work, like the report form's. Returns the post and
    whether to go on; if not, the reason is added to the form. Sent too soon without
    JavaScript, the page keeps its challenge (the time already spent counts)."""
    post = antiabuse.posted(request=request, network=network, min_bits=bits)
    if post.check.reason == "too-fast":
        form.is_valid()
        form.add_error(None, too_fast_message())
        return post, False
    if not form.is_valid() or not post.check.ok:
        if not post.check.ok:
            form.add_error(None, antiabuse.pow_error(post.check.reason))
        return post, False
    return post, True


def _public(request: HttpRequest, template: str, network: Network, bits: int, **ctx: Any) -> Any:
    context = {**antiabuse.pow_context(network=network, bits=bits), "public_network": network}
    return render(request, template, {**context, **ctx})


def _limited(request: HttpRequest, network: Network, wait: int) -> HttpResponse:
    return antiabuse.too_many(
        request, network, wait, template="campaigns/limited.html", as_name="public_network"
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def petition_public(request: HttpRequest, token: str) -> HttpResponse:
    petition = get_object_or_404(
        Petition.objects.select_related("network"), token=token, network__is_active=True
    )
    net, bits = petition.network, services.petition_pow_bits(petition)
    form, kept = SignForm(request.POST or None), {}
    if request.method == "POST":
        post, go_on = _checked(request, net, form, bits)
        kept = {} if go_on or post.check.reason != "too-fast" else {"challenge": post.challenge}
        if go_on:
            wait = services.petition_admit(
                petition=petition, address=post.address, solved=post.check.solved
            )
            if wait:
                return _limited(request, net, wait)
            with transaction.atomic():
                fresh = antiabuse.challenge_spend(challenge=post.challenge)
                if fresh:
                    services.petition_sign(petition=petition, **form.cleaned_data)
            if fresh:
                request.session[SIGNED] = petition.pk
                return redirect("petition_public", token=token)
            form.add_error(None, antiabuse.pow_error("replayed"))
    return _public(
        request,
        "campaigns/petition_public.html",
        net,
        bits,
        petition=petition,
        form=form,
        count=petition.signatures.count(),
        shown=services.signatures_shown(petition),
        signed=request.method == "GET" and request.session.pop(SIGNED, None) == petition.pk,
        **kept,
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def letters_public(request: HttpRequest, token: str) -> HttpResponse:
    link = get_object_or_404(
        LetterLink.objects.select_related("case__network"),
        token=token,
        case__closed_at__isnull=True,
        case__network__is_active=True,
    )
    case, net = link.case, link.case.network
    bits = int(antiabuse.pow_context(network=net)["pow_bits"])
    form, kept = LetterForm(request.POST or None), {}
    post, go_on = _checked(request, net, form, bits) if request.method == "POST" else (None, False)
    if post is not None and post.check.reason == "too-fast":
        kept = {"challenge": post.challenge}
    if post is not None and go_on:
        photo = photo_prepare(request.FILES.get("photo"))
        if photo is not None and photo.error:
            form.add_error("photo", photo.error)
        else:
            wait = antiabuse.rate_hit(
                scope="letter-address", value=f"{case.pk}\x00{post.address}", limits=LETTER_LIMITS
            )
            if wait:
                return _limited(request, net, wait)
            data = {k: v for k, v in form.cleaned_data.items() if k != "photo"}
            with transaction.atomic():
                if antiabuse.challenge_spend(challenge=post.challenge):
                    services.letter_submit(case=case, image=photo.data if photo else None, **data)
                    return _public(request, "campaigns/letter_done.html", net, bits)
            form.add_error(None, antiabuse.pow_error("replayed"))
    return _public(request, "campaigns/letter_public.html", net, bits, form=form, **kept)
