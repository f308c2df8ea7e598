"""The petition's and the letters' pages: public ones (no login or JavaScript needed) by
token; the team's by the incident's or case's id through the access helpers."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
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

from . import services
from .forms import DeliverForm, LetterForm, PetitionForm, SignForm
from .models import Letter, LetterLink, Petition

EDITORS = (Cap.COMMITTEE, Cap.DISPATCH)
SIGNED = "petition_signed"
LETTER_LIMITS = ((5, 3600), (10, 86400))  # letters from one address to one case
PER_CASE = ((200, 86400),)  # letters to one case from every address: the team can read them


def _pdf(data: bytes, name: str) -> FileResponse:
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=f"{name}.pdf")


def _incident(request: HttpRequest, pk: int) -> Any:
    return get_incident_for_user(request, pk, status__in=OPENS_CASES)  # confirmed only


@capability_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def petition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Open or edit the petition; a post with ``delivered_to`` records its delivery."""
    incident, user = _incident(request, pk), request_user(request)
    petition = Petition.objects.filter(incident=incident).first()
    deliver = DeliverForm(request.POST if "delivered_to" in request.POST else None)
    if petition and deliver.is_valid():
        services.petition_deliver(petition=petition, actor=user, **deliver.cleaned_data)
        messages.success(request, _("Delivery recorded."))
        return redirect("campaigns:petition", pk=pk)
    initial = {"title": petition.title, "text": petition.text} if petition else {}
    form = PetitionForm(None if deliver.is_bound else request.POST or None, initial=initial)
    if form.is_valid():
        services.petition_save(incident=incident, actor=user, **form.cleaned_data)
        messages.success(request, _("The petition is saved. Its public page is open."))
        return redirect("reports:incident", pk=pk)
    context = {"incident": incident, "petition": petition, "form": form, "deliver_form": deliver}
    return render(request, "campaigns/petition_edit.html", context)


@capability_required(*EDITORS)
@require_GET
def petition_pdf(request: HttpRequest, pk: int) -> FileResponse:
    petition = get_object_or_404(Petition, incident=_incident(request, pk))
    return _pdf(services.petition_pdf(petition=petition, actor=request_user(request)), "petition")


@require_POST
def letters_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The case team makes the letters link, or approves or rejects a letter."""
    case, user = get_case_for_user(request, pk), request_user(request)
    decision = request.POST.get("decision")
    if decision == "link":
        services.letter_link_for(case=case, actor=user)
    else:
        letter = get_object_or_404(Letter, pk=request.POST.get("letter") or 0, case=case)
        services.letter_review(letter=letter, actor=user, approve=decision == "approve")
    return redirect(reverse("cases:case", kwargs={"pk": pk}) + "#letters")


@require_GET
def letters_pdf(request: HttpRequest, pk: int) -> FileResponse:
    case = get_case_for_user(request, pk)
    return _pdf(services.letters_pdf(case=case, actor=request_user(request)), "letters")


def _checked(request: HttpRequest, net: Network, form: Any, bits: int) -> tuple[Any, dict]:
    """(The post, or None to show the form again with the reason; the page's context): the
    report form's checks. Too soon without JavaScript, the page keeps its challenge."""
    post = antiabuse.posted(request=request, network=net, min_bits=bits)
    if not post.check.ok:
        form.add_error(None, antiabuse.pow_error(post.check.reason))
    kept = {"challenge": post.challenge} if post.check.reason == "too-fast" else {}
    return (post if form.is_valid() and post.check.ok else None), kept


def _page(request: HttpRequest, template: str, network: Network, bits: int, **ctx: Any) -> Any:
    pow_context = antiabuse.pow_context(network=network, bits=bits)
    return render(request, template, {**pow_context, "public_network": network, **ctx})


def _limited(request: HttpRequest, net: Network, wait: int) -> HttpResponse:
    return antiabuse.too_many(
        request, net, wait, template="campaigns/limited.html", as_name="network"
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def petition_public(request: HttpRequest, token: str) -> HttpResponse:
    petitions = Petition.objects.select_related("network").filter(network__is_active=True)
    petition = get_object_or_404(petitions, token=token)
    net, bits = petition.network, services.petition_pow_bits(petition)
    form = SignForm(request.POST or None)
    post, kept = _checked(request, net, form, bits) if request.method == "POST" else (None, {})
    if post and (wait := services.petition_admit(petition=petition, post=post)):
        return _limited(request, net, wait)
    with transaction.atomic():
        if post and antiabuse.challenge_spend(challenge=post.challenge):
            services.petition_sign(petition=petition, **form.cleaned_data)
            request.session[SIGNED] = petition.pk
            return redirect("petition_public", token=token)
    if post:
        form.add_error(None, antiabuse.pow_error("replayed"))
    signed = request.method == "GET" and request.session.pop(SIGNED, None) == petition.pk
    count, shown = petition.signatures.count(), services.signatures_shown(petition)
    context = {"petition": petition, "form": form, "count": count, "shown": shown, **kept}
    return _page(request, "campaigns/petition_public.html", net, bits, signed=signed, **context)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def letters_public(request: HttpRequest, token: str) -> HttpResponse:
    links = LetterLink.objects.select_related("case__network")
    links = links.filter(case__closed_at__isnull=True, case__network__is_active=True)
    case = get_object_or_404(links, token=token).case
    net, bits = case.network, int(settings.SIGNUP_POW_BITS)
    form = LetterForm(request.POST or None)
    post, kept = _checked(request, net, form, bits) if request.method == "POST" else (None, {})
    photo = photo_prepare(request.FILES.get("photo")) if post else None
    if photo is not None and photo.error:
        form.add_error("photo", photo.error)
    elif post:
        value = f"{case.pk}\x00{post.address}"
        wait = antiabuse.rate_hit(scope="letter-address", value=value, limits=LETTER_LIMITS)
        if wait := wait or antiabuse.rate_hit(scope="letters", value=str(case.pk), limits=PER_CASE):
            return _limited(request, net, wait)
        data = {k: v for k, v in form.cleaned_data.items() if k != "photo"}
        with transaction.atomic():
            if antiabuse.challenge_spend(challenge=post.challenge):
                services.letter_submit(case=case, image=photo.data if photo else None, **data)
                return _page(request, "campaigns/letter_done.html", net, bits)
        form.add_error(None, antiabuse.pow_error("replayed"))
    return _page(request, "campaigns/letter_public.html", net, bits, form=form, **kept)
