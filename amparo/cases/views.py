"""The cases pages. Thin: the work is in services.py, clock.py and handoff.py.

Every case a page shows comes through ``get_case_for_user`` or ``visible`` (need-to-know:
the team and coordinators; any other answers 404) and every read is audited. No
A-number or name ever goes into a URL: forms post, and pages are addressed by ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amparo.accounts.access import (
    capability_required,
    has_capability,
    members_with_capability,
    request_network,
    request_user,
    visible,
)
from amparo.accounts.audit import audit_read, audit_reads
from amparo.accounts.models import User
from amparo.accounts.roles import Cap
from amparo.hotline.access import get_intake_for_user
from amparo.hotline.models import Intake, Situation
from amparo.hotline.referrals import referrals_search
from amparo.reports.access import get_incident_for_user
from amparo.reports.models import Incident

from . import handoff as handoffs
from .access import get_case_for_user
from .clock import CLOCK, hours_left
from .forms import (
    CaseForm,
    CounselForm,
    HandoffForm,
    OpenCasesForm,
    StateForm,
    TeamForm,
    TransferForm,
)
from .models import ABUSES, Case, CaseHandoff, CaseKind, CaseTeamMember
from .services import (
    OPENS_CASES,
    CaseInput,
    case_counsel_reached,
    case_open,
    case_state_set,
    case_team_add,
    case_team_remove,
    case_transfer,
    case_update,
    cases_open_for_incident,
    incident_copies,
    parse_names,
)

OPENERS = (Cap.DISPATCH, Cap.LEGAL, Cap.CASES_ALL)
LIST_SHOWN = 200
#: confirmed incidents of the last days offered on the case list for opening cases
RAIDS_SHOWN_DAYS = 14
LOCATOR_URL = "https://locator.ice.gov/odls/"
#: the referral directory's need (hotline/referrals.py) each kind of case looks up
REFERRAL_NEED = {
    CaseKind.DETENTION: "legal",
    CaseKind.WORKPLACE: "workplace",
    CaseKind.HATE_CRIME: "community",
}


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _members(request: HttpRequest, capability: str | tuple[str, ...]) -> list[tuple[int, str]]:
    network = request_network(request)
    caps = (capability,) if isinstance(capability, str) else capability
    seen: dict[int, str] = {}
    for cap in caps:
        for m in members_with_capability(network, cap):
            seen[m.user_id] = m.user.display_name or m.user.email
    return sorted(seen.items(), key=lambda pair: (pair[1].casefold(), pair[0]))


def _case_row(case: Case, now: Any) -> dict[str, Any]:
    return {"case": case, "flags": case.flags, "hours_left": hours_left(case, now)}


def case_list(request: HttpRequest) -> HttpResponse:
    """The cases this member may open (their team's; coordinators: all), with the
    screening flags and the 72-hour clock. Every case shown is an audited read."""
    network = request_network(request)
    show_closed = request.GET.get("closed") == "1"
    qs = visible(request, Case, all_cap=Cap.CASES_ALL).select_related("state", "facility")
    qs = qs.filter(closed_at__isnull=not show_closed)
    cases = list(qs.order_by("-created_at", "-id")[:LIST_SHOWN])
    if cases:
        audit_reads(actor=request_user(request), objs=cases, network=network, reason="case list")
    now = timezone.now()
    waiting: list[CaseHandoff] = []
    if has_capability(request, Cap.CASES_ALL):
        waiting = list(
            CaseHandoff.objects.filter(network=network, case__isnull=True).order_by("-created_at")[
                :20
            ]
        )
        if waiting:
            audit_reads(
                actor=request_user(request), objs=waiting, network=network, reason="hand-offs"
            )
    raids: list[Incident] = []
    if has_capability(request, OPENERS):  # the legal team reaches a raid from here too
        raids = list(
            Incident.objects.filter(
                network=network,
                status__in=OPENS_CASES,
                confirmed_at__gte=now - timedelta(days=RAIDS_SHOWN_DAYS),
            )
            .select_related("place")
            .defer("summary", "point", "meeting_point", "meeting_point_point")
            .order_by("-confirmed_at")[:10]
        )
    return render(
        request,
        "cases/list.html",
        {
            "raids": raids,
            "rows": [_case_row(c, now) for c in cases],
            "show_closed": show_closed,
            "can_open": has_capability(request, OPENERS),
            "handoffs": waiting,
        },
    )


def _handoff_for(request: HttpRequest) -> CaseHandoff | None:
    """The waiting hand-off a coordinator opens a case from (``?handoff=`` its id, never
    a name); None for anyone else or any other id."""
    raw = request.GET.get("handoff") or ""
    if not raw.isdigit() or not has_capability(request, Cap.CASES_ALL):
        return None
    return CaseHandoff.objects.filter(
        network=request_network(request), pk=int(raw), case__isnull=True
    ).first()


@capability_required(Cap.LEGAL, Cap.CASES_ALL)
def case_new(request: HttpRequest) -> HttpResponse:
    """A case opened by hand: a workplace-abuse or hate-crime case, a detention the
    hotline heard of without an incident, or one from a hand-off that matched no case."""
    network = request_network(request)
    handoff = _handoff_for(request)
    kind = request.GET.get("kind") or ""
    if handoff is not None:
        kind = CaseKind.DETENTION
    elif kind not in CaseKind.values:
        kind = CaseKind.WORKPLACE
    initial: dict[str, Any] = {"kind": kind, "language": "es"}
    if handoff is not None:
        given, family = (parse_names(handoff.name_asked) or [("", "")])[0]
        initial.update(
            kind=CaseKind.DETENTION,
            given_names=given,
            family_names=family,
            notes=_("The family called the hotline: %(number)s")
            % {"number": handoff.caller_number},
        )
        if handoff.intake_id:
            initial["language"] = getattr(handoff.intake, "language", "es")
        if request.method != "POST":
            audit_read(actor=request_user(request), obj=handoff, reason="case from hand-off")
    form = CaseForm(request.POST or None, network=network, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        referral = data.pop("referral")
        try:
            case = case_open(
                network=network,
                actor=request_user(request),
                data=CaseInput(kind=kind, **data),
                case_manager=request_user(request),
                intake=handoff.intake if handoff is not None else None,
            )
            if referral is not None:
                case_update(case=case, data={"referral": referral}, actor=request_user(request))
            if handoff is not None:
                handoffs.handoff_attach(handoff=handoff, case=case, actor=request_user(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Case opened."))
            return redirect("cases:case", pk=case.pk)
    return render(
        request,
        "cases/new.html",
        {"form": form, "handoff": handoff, "kind": kind, "kinds": CaseKind.choices},
    )


def case_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    user = request_user(request)
    audit_read(actor=user, obj=case, reason="case page")
    network = case.network
    team = list(CaseTeamMember.objects.filter(case=case).select_related("user", "role"))
    can_manage_team = has_capability(request, Cap.CASES_ALL) or any(
        m.user_id == user.pk and m.role.slug == "case-manager" for m in team
    )
    details = case.details or {}
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "team": team,
            "flags": case.flags,
            "abuses": [str(ABUSES[a]) for a in details.get("abuses", []) if a in ABUSES],
            "details": details,
            "hours_left": hours_left(case),
            "deadline": case.detained_at + CLOCK if case.detained_at else None,
            "transfers": list(case.transfers.select_related("from_facility", "to_facility")),
            "events": list(case.events.select_related("actor", "state")),
            "locator_url": LOCATOR_URL,
            "suggested": referrals_search(network=network, need=REFERRAL_NEED[case.kind])[:5],
            "transfer_form": TransferForm(network=network, prefix="transfer"),
            "counsel_form": CounselForm(prefix="counsel"),
            "state_form": StateForm(network=network, prefix="state"),
            "team_form": TeamForm(
                network=network,
                prefix="team",
                members=_members(request, (Cap.LEGAL, Cap.HOTLINE, Cap.DISPATCH, Cap.COMMITTEE)),
            )
            if can_manage_team
            else None,
            "can_manage_team": can_manage_team,
        },
    )


def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request, pk)
    details = case.details or {}
    initial = {
        "kind": case.kind,
        "given_names": case.given_names,
        "family_names": case.family_names,
        "a_number": case.a_number,
        "country_of_birth": case.country_of_birth,
        "facility": case.facility_id,
        "detained_at": case.detained_at,
        "language": case.language,
        "notes": case.notes,
        "referral": case.referral_id,
        **{
            k: bool((case.screening or {}).get(k))
            for k in ("sole_caregiver", "pregnant_or_nursing", "serious_medical")
        },
        **{
            k: details.get(k, [] if k == "abuses" else "")
            for k in ("employer", "abuses", "when", "amount_owed", "what")
        },
    }
    form = CaseForm(request.POST or None, network=case.network, kind=case.kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case_update(case=case, data=form.service_data(), actor=request_user(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:case", pk=case.pk)
    else:
        audit_read(actor=request_user(request), obj=case, reason="case edit")
    return render(request, "cases/edit.html", {"case": case, "form": form})


def _post_action(
    request: HttpRequest, pk: int, form_class: Any, act: Any, done: str
) -> HttpResponse:
    case = get_case_for_user(request, pk)
    kwargs = {"network": case.network} if form_class in (TransferForm, StateForm) else {}
    prefix = {TransferForm: "transfer", CounselForm: "counsel", StateForm: "state"}[form_class]
    form = form_class(request.POST, prefix=prefix, **kwargs)
    if form.is_valid():
        try:
            act(case=case, actor=request_user(request), **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("cases:case", pk=case.pk)


@require_POST
def case_transfer_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(request, pk, TransferForm, case_transfer, _("Transfer recorded."))


@require_POST
def case_counsel_view(request: HttpRequest, pk: int) -> HttpResponse:
    done = _("Counsel reached: the 72-hour clock has stopped.")
    return _post_action(request, pk, CounselForm, case_counsel_reached, done)


@require_POST
def case_state_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(request, pk, StateForm, case_state_set, _("State changed."))


@require_POST
def case_team_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add someone to the team, or take them off (``remove``: a team row's id)."""
    case = get_case_for_user(request, pk)
    user = request_user(request)
    is_manager = CaseTeamMember.objects.filter(case=case, user=user, role__slug="case-manager")
    if not (has_capability(request, Cap.CASES_ALL) or is_manager.exists()):
        messages.error(request, _("Only the case manager or a coordinator changes the team."))
        return redirect("cases:case", pk=case.pk)
    if request.POST.get("remove"):
        member = CaseTeamMember.objects.filter(case=case, pk=request.POST["remove"]).first()
        if member is not None:
            case_team_remove(member=member, actor=user)
            messages.success(request, _("Taken off the team."))
        return redirect("cases:case", pk=case.pk)
    members = _members(request, (Cap.LEGAL, Cap.HOTLINE, Cap.DISPATCH, Cap.COMMITTEE))
    form = TeamForm(request.POST, network=case.network, prefix="team", members=members)
    if form.is_valid():
        try:
            case_team_add(
                case=case,
                user=User.objects.get(pk=form.cleaned_data["user"]),
                role=form.cleaned_data["role"],
                actor=user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Added to the team."))
    else:
        messages.error(request, _("Choose a member and a role."))
    return redirect("cases:case", pk=case.pk)


# --- from an incident ---------------------------------------------------------------------


def _detention_intakes(request: HttpRequest) -> list[tuple[Intake, str]]:
    """Recent hotline intakes this member may open that name a detained person."""
    since = timezone.now() - timedelta(days=14)
    rows = visible(request, Intake, all_cap=Cap.HOTLINE_ALL_INTAKES, own="responder").filter(
        situation=Situation.DETAINED, started_at__gte=since
    )
    found = []
    for intake in rows.order_by("-started_at")[:30]:
        name = " ".join(str((intake.answers or {}).get("detainee_name") or "").split())
        if name:
            found.append((intake, name))
    return found


def _default_case_manager(network: Any, allowed: set[int]) -> int | None:
    """The first member holding the network's case-manager role, if any."""
    for m in members_with_capability(network, Cap.LEGAL):
        if m.user_id in allowed and "case-manager" in m.role_slugs():
            return m.user_id
    return None


def incident_cases(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a case per detained worker of a confirmed incident, in one step."""
    incident = get_incident_for_user(request, pk, capability=OPENERS)
    network = request_network(request)
    user = request_user(request)
    intakes = (
        _detention_intakes(request)
        if has_capability(request, Cap.HOTLINE) or has_capability(request, Cap.HOTLINE_ALL_INTAKES)
        else []
    )
    if intakes:
        audit_reads(
            actor=user, objs=[i for i, _n in intakes], network=network, reason="cases from intakes"
        )
    managers = _members(request, Cap.LEGAL)
    can_manage = has_capability(request, Cap.LEGAL)
    initial: dict[str, Any] = {"detained_at": incident.first_report_at}
    if not can_manage:  # preset to the network's case manager, when there is one
        initial["case_manager"] = _default_case_manager(network, {uid for uid, _n in managers})
    form = OpenCasesForm(
        request.POST or None,
        network=network,
        managers=managers,
        intakes=[(i.pk, name) for i, name in intakes],
        can_manage=can_manage,
        # the raid's first report: the clock to counsel starts at once, correctable
        initial=initial,
    )
    confirmed = incident.status in OPENS_CASES
    if request.method == "POST" and confirmed and form.is_valid():
        d = form.cleaned_data
        try:
            people = parse_names(d.get("names") or "", strict=True)
        except ValidationError as exc:
            _errors(form, exc)
            people = []
        chosen = {int(x) for x in d.get("intakes") or []}
        from_intakes = [i for i, _name in intakes if i.pk in chosen]
        manager = None
        if not can_manage and not managers:
            form.add_error(
                "case_manager",
                _("Nobody here can manage a case yet: ask a coordinator for a case manager."),
            )
        elif d.get("case_manager"):
            if d["case_manager"] not in {uid for uid, _n in managers}:
                form.add_error("case_manager", _("Choose one of the options."))
            else:
                manager = User.objects.get(pk=d["case_manager"])
        elif can_manage:
            manager = user
        skipped: list[str] = []
        if not form.errors and not d.get("open_duplicates"):
            # the same person twice from one raid: warned about and skipped
            names = [f"{g} {f}".strip() for g, f in people]
            names += [n.replace("/", " ") for i, n in intakes if i in from_intakes]
            copies = incident_copies(incident, names)
            if copies:
                skipped = [" ".join(names[i].split()) for i in sorted(copies)]
                n_people = len(people)
                people = [p for i, p in enumerate(people) if i not in copies]
                from_intakes = [i for j, i in enumerate(from_intakes) if j + n_people not in copies]
                if not people and not from_intakes:
                    form.add_error(
                        "names",
                        _(
                            "Already opened from this incident: %(names)s. Nothing was "
                            "opened; tick the box below to open a case anyway."
                        )
                        % {"names": "; ".join(skipped)},
                    )
        if not form.errors:
            try:
                cases = cases_open_for_incident(
                    incident=incident,
                    actor=user,
                    people=people,
                    intakes=from_intakes,
                    case_manager=manager,
                    detained_at=d.get("detained_at"),
                    facility=d.get("facility"),
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(n)s cases opened for incident %(incident)s.")
                    % {"n": len(cases), "incident": incident.pk},
                )
                if skipped:
                    messages.warning(
                        request,
                        _(
                            "Not opened again, already opened from this incident: "
                            "%(names)s. To open them anyway, tick the box on the form."
                        )
                        % {"names": "; ".join(skipped)},
                    )
                if not has_capability(request, (Cap.LEGAL, Cap.CASES_ALL)) and has_capability(
                    request, Cap.REPORTS_VIEW
                ):  # a dispatcher on no team: the incident counts them
                    return redirect("reports:incident", pk=incident.pk)
                return redirect("cases:list")
    return render(
        request,
        "cases/incident_cases.html",
        {"incident": incident, "form": form, "confirmed": confirmed},
    )


# --- the hotline's hand-off ---------------------------------------------------------------


@capability_required(Cap.HOTLINE)
def handoff_view(request: HttpRequest, pk: int) -> HttpResponse:
    """From an intake: hand a family's call to the legal team. The answer is the same
    words whether or not a case exists."""
    intake = get_intake_for_user(request, pk)
    answers = intake.answers or {}
    form = HandoffForm(
        request.POST or None,
        initial={
            "caller_number": answers.get("callback_number", ""),
            "name_asked": answers.get("detainee_name", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            handoffs.handoff_record(
                network=request_network(request),
                responder=request_user(request),
                caller_number=form.cleaned_data["caller_number"],
                name_asked=form.cleaned_data["name_asked"],
                intake=intake,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, str(handoffs.HANDED))
            return redirect("hotline:intake_outcome", pk=intake.pk)
    else:
        audit_read(actor=request_user(request), obj=intake, reason="hand-off")
    return render(request, "cases/handoff.html", {"intake": intake, "form": form})
