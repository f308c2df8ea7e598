"""The tenancy fixture (DESIGN.md "Tests"): at least one row of every model for one
network, made through the real services, with canary strings that must never show
outside that network. The tenancy walk (accounts/tests/test_tenancy.py) requests every
URL with these rows' ids; a meta-test fails when a model has no row here.

A later app adds its rows to :func:`seed` (and its routes to ``ROUTE_MODELS``).

The rule for models (checked by the meta-test): a model reaches a network through its
foreign keys (``network``, or ``person__network``, ``user__memberships__network``…),
and the fixture holds a row of it for the seeded network. The few models that belong
to no network and hold no personal data are listed in ``GLOBAL`` with the reason.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone
from PIL import Image

from amparo.accounts import needtoknow
from amparo.accounts.models import Network, User
from amparo.alerts.models import AlertKind, EscalationPolicy, Facility
from amparo.alerts.services import alert_create, alert_launch
from amparo.audits import services as audits
from amparo.audits.models import NoMatchLetter, NoticeKind
from amparo.campaigns.services import (
    letter_link_for,
    letter_submit,
    petition_save,
    petition_sign,
)
from amparo.cases.handoff import handoff_record
from amparo.cases.models import CaseState, CaseTeamRole
from amparo.cases.services import (
    CaseInput,
    case_counsel_reached,
    case_open,
    case_team_add,
    case_transfer,
)
from amparo.channels.sandbox.services import sandbox_reply, thread_for
from amparo.channels.services import inbound_receive
from amparo.channels.twilio import cleanup
from amparo.documents import services as documents
from amparo.documents.merge import incident_values, network_values
from amparo.fund import services as fund_services
from amparo.fund.models import BondState
from amparo.hearings.services import accompany, hearing_add
from amparo.hotline import sandbox_call
from amparo.hotline.conversations import conversation_reply
from amparo.hotline.intake import intake_finish, intake_start
from amparo.hotline.models import Conversation, Shift
from amparo.hotline.shifts.rotations import rotation_create, shift_assign
from amparo.hotline.shifts.swaps import swap_request_create
from amparo.people import (
    antiabuse,
    committees,
    events,
    participation,
    record,
    surge,
    trainings,
)
from amparo.people.export_requests import export_request_create
from amparo.people.filters import PeopleFilter
from amparo.people.importing.batches import import_batch_create
from amparo.people.models import (
    Committee,
    Organization,
    OrganizationMember,
    Person,
    TrainingType,
)
from amparo.people.segments import segment_save
from amparo.people.services import place_get_or_create
from amparo.people.signup import SignupData, signup_submit
from amparo.playbooks.models import PlaybookStep
from amparo.playbooks.sheet import call_record, event_from_step, readiness
from amparo.reports.photos import photo_attach
from amparo.reports.services import (
    ReportInput,
    clusters_detect,
    incident_transition,
    report_submit,
)
from amparo.reports.verification import verification_request
from amparo.support.models import NeedRoute, RotaSlot, Sanctuary
from amparo.support.services import need_add, plan_save
from amparo.twofactor import services as twofactor
from amparo.twofactor.models import Passkey

from .factories import PersonFactory, UserFactory

#: Models of no network and without personal data: nothing for the walk to leak.
GLOBAL = {
    "accounts.Role",  # the capability sets every network shares (changes are still caught)
    "people.RateBucket",  # sign-up rate limits: a hashed key and a count
    "people.SpentChallenge",  # spent proof-of-work challenges: a hash
}
#: The anti-abuse counters every public request may write: not compared by the walk.
UNCOMPARED = {"people.RateBucket", "people.SpentChallenge"}

HOLYOKE = (42.2043, -72.6162)
CHICOPEE = (42.1487, -72.6079)  # ~6 km: a second workplace for the cluster


@dataclass
class Canaries:
    """Strings of the seeded network. ``secret``: personal or need-to-know, shown only to
    who may see it; ``internal``: the network's own (never to another network);
    ``public``: what its public pages show (sign-up, report form, status page)."""

    secret: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)

    def found(self, text: str, *, public_page: bool = False, secret_only: bool = False) -> str:
        """The first canary in ``text`` ("" if none)."""
        lowered = text.lower()
        kinds = [self.secret] if secret_only else [self.secret, self.internal]
        if not (public_page or secret_only):
            kinds.append(self.public)
        return next((c for kind in kinds for c in kind if c.lower() in lowered), "")


def _phone_canaries(e164: str) -> list[str]:
    last7 = e164[-7:]
    return [f"{last7[:3]}-{last7[3:]}", last7]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="JPEG")
    return out.getvalue()


def seed(network: Network, *, tag: str = "A4417", coordinator: User | None = None) -> Canaries:
    """One row (or more) of every model for ``network``; returns its canaries.

    Every name and text of the network carries ``tag`` (``S<tag>`` in secrets, ``I<tag>``
    in internal names, ``P<tag>`` in public ones); its numbers are (413) 555-0170…0179; its A-number 087654321."""
    s, i, p = f"S{tag}", f"I{tag}", f"P{tag}"
    now = timezone.now()
    coordinator = coordinator or UserFactory.create(network=network, roles=["coordinator"])
    dispatcher = UserFactory.create(
        network=network, roles=["dispatcher"], display_name=f"Dora {s}", email=f"dora.{s}@a.ex"
    )
    hotline = UserFactory.create(
        network=network, roles=["hotline"], display_name=f"Hugo {s}", email=f"hugo.{s}@a.ex"
    )
    other_hotline = UserFactory.create(network=network, roles=["hotline"], display_name=f"Hana {s}")
    phones = [f"+1413555{n:04d}" for n in range(170, 176)]

    # people: places, roles, trainings, areas and coverage cells, phones
    town = place_get_or_create(
        network=network, name=f"Town {p}", latitude=HOLYOKE[0], longitude=HOLYOKE[1]
    )
    place_get_or_create(
        network=network, name=f"Town2 {p}", latitude=CHICOPEE[0], longitude=CHICOPEE[1]
    )
    responder = PersonFactory.create(
        network=network,
        name=f"Hugo {s} Responde",
        phones=[phones[0]],
        email=f"hugo.{s}@example.org",
        roles=["hotline", "rapid-responder", "member"],
        trained=True,
        place=town,
        notes=f"nota {s}",
        user=hotline,
        available_now=True,
    )
    verifier = PersonFactory.create(
        network=network,
        name=f"Vera {s} Verifica",
        phones=[phones[1]],
        roles=["verifier", "rapid-responder"],
        trained=True,
        place=town,
        available_now=True,
    )
    PersonFactory.create(
        network=network, name=f"Dora {s} Despacha", phones=[phones[2]], user=dispatcher
    )
    member = PersonFactory.create(network=network, name=f"Mateo {s} Miembro", phones=[phones[3]])

    # committees, tasks, organizations, trainings, activities, segments, exports, imports
    committee = Committee.objects.filter(network=network).order_by("pk").first()
    assert committee is not None
    committees.committee_member_add(committee=committee, person=member, is_chair=True)
    committees.task_create(
        committee=committee, title=f"Tarea {s}", assignee=member, actor=coordinator
    )
    church = Organization.objects.create(
        network=network, kind="congregation", name=f"Iglesia {i}", phone="+14135550190"
    )
    OrganizationMember.objects.create(organization=church, person=member, role="pastor")

    # I-9 audits and no-match letters at a California workplace the member stewards
    plant = Organization.objects.create(
        network=network, kind="workplace", name=f"Planta {i}", state="CA"
    )
    OrganizationMember.objects.create(organization=plant, person=member, role="steward")
    i9 = audits.audit_open(
        network=network, workplace=plant, served_on=now.date(), steward=member, actor=coordinator
    )
    audits.notice_add(
        audit=i9,
        kind=NoticeKind.objects.get(network=network, slug="suspect"),
        served_on=now.date(),
        date_on_notice=now.date() + timedelta(days=20),
        worker_names=[f"Trabajadora {s}"],
        actor=coordinator,
    )
    audits.action_mark_sent(
        action=i9.actions.first(), sent_on=now.date(), what_sent=f"Carta {s}", actor=coordinator
    )
    audits.nomatch_save(
        letter=NoMatchLetter(
            network=network,
            employer=plant,
            steward=member,
            worker_name=f"Obrero {s}",
            received_on=now.date(),
            notes=f"Nota {s}",
        ),
        actor=coordinator,
    )
    session = trainings.session_create(
        network=network,
        training_type=TrainingType.objects.get(network=network, slug="orientation"),
        starts_at=now + timedelta(days=7),
        language="es",
        place=f"Salon {p}",
        trainer=verifier,
        actor=coordinator,
    )
    trainings.session_sign_up(session=session, person=member, actor=coordinator)
    activity = participation.activity_create(
        network=network, title=f"Asamblea {i}", starts_at=now, committee=committee
    )
    participation.attendance_check_in(activity=activity, person=member, actor=coordinator)
    forum = participation.activity_create(
        network=network,
        title=f"Foro {i}",
        kind="event",
        starts_at=now + timedelta(days=3),
        place=f"Salon {p}",
        capacity=50,
    )
    events.rsvp_set(activity=forum, person=member, going=True, via="web")
    priority = record.priority_create(network=network, name={"es": f"Prioridad {i}"})
    decision = record.decision_record(
        committee=Committee.objects.get(network=network, kind=Committee.Kind.WORKER),
        texts={"es": f"Decision {i}"},
        meeting=activity,
        priorities=[priority],
    )
    office = Organization.objects.create(network=network, kind="office", name=f"Alcaldia {i}")
    demand = record.demand_create(
        network=network, target=office, target_name="", what=f"Demanda {i}", decision=decision
    )
    record.demand_move(demand=demand, status="delivered")
    demand = record.demand_move(demand=demand, status="won")
    promise = record.commitment_add(demand=demand, promise=f"Promesa {i}")
    record.check_open(promise)
    surge.surge_start(network=network, message={"es": f"Momento {p}"}, actor=coordinator)
    segment = segment_save(
        network=network,
        name=f"Segmento {i}",
        people_filter=PeopleFilter(roles=["member"]),
        actor=coordinator,
    )
    UserFactory.create(network=network, roles=["coordinator"], display_name=f"Aprueba {s}")
    export_request_create(
        network=network,
        actor=coordinator,
        kind="csv",
        segment=segment,
        people_filter=None,
        reason=f"Razón {s}",
    )
    csv = f"name,phone\nImportada {s},+14135550176\n".encode()
    import_batch_create(
        network=network,
        actor=coordinator,
        filename=f"miembros-{i}.csv",
        stream=io.BytesIO(csv),
        size=len(csv),
    )
    signup_submit(
        network=network,
        data=SignupData(name=f"Sara {s} Inscrita", language="es", phone=phones[4]),
    )
    antiabuse.signup_rate_check(network=network, address="203.0.113.9", solved=True)
    antiabuse.challenge_spend(challenge=antiabuse.challenge_issue(network=network))

    # the hotline: a rotation, a shift on now with a swap asked, a call answered into an
    # intake with a callback, a text conversation with a reply, an intake handed out
    rotation_create(
        network=network,
        weekday=0,
        start_time=time(18),
        end_time=time(23),
        name=f"Lunes {i}",
        primaries=[responder],
    )
    shift = Shift.objects.create(
        network=network, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5)
    )
    assignment = shift_assign(shift=shift, person=responder, actor=coordinator)
    shift_assign(shift=shift, person=verifier, role="backup", actor=coordinator)
    swap_request_create(assignment=assignment, person=responder, actor=hotline)
    call = sandbox_call.sandbox_call_begin(network=network, from_number=phones[5])
    sandbox_call.sandbox_call_menu(call=call, digits="2")
    sandbox_call.sandbox_call_answer(call=call, person=responder)
    voicemail = sandbox_call.sandbox_call_begin(network=network, from_number="+14135550178")
    sandbox_call.sandbox_call_voicemail(call=voicemail, text=f"Mensaje de voz {s}")
    intake = intake_start(
        network=network, responder=hotline, situation="detained", language="es", call=call
    )
    intake_finish(
        intake=intake,
        actor=hotline,
        outcome="callback",
        answers={"callback_number": phones[5], "who": f"Detenido {s}"},
        callback_due=now + timedelta(hours=1),
    )
    needtoknow.assign(obj=intake, user=other_hotline, granted_by=coordinator, reason=f"Razon {s}")
    sandbox_reply(thread=thread_for(network=network, number=phones[3]), body=f"Necesito ayuda {s}")
    conversation = Conversation.objects.get(network=network)
    conversation_reply(conversation=conversation, author=hotline, body=f"Respuesta {s}")
    cleanup.schedule(provider_ref="SM" + tag * 4, direction="in", network_id=network.pk)

    # reports: two reports, verified by text, clustered; a photo
    report = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": f"Redada {s}", "workplace": f"Planta {s}"},
            point={"lat": HOLYOKE[0], "lng": HOLYOKE[1]},
            reporter_phone="+14135550177",
        ),
    )
    photo_attach(report=report, raw=_jpeg())
    incident = report.incident
    assert incident is not None
    requested = verification_request(incident=incident, actor=dispatcher, count=1)
    code = requested.requests[0].code
    inbound_receive(
        network=network, channel="sandbox", from_address=phones[1], body=f"Confirmado {code}"
    )
    second = report_submit(
        network=network,
        source="web",
        data=ReportInput(
            details={"activity": f"Otra redada {s}"},
            point={"lat": CHICOPEE[0], "lng": CHICOPEE[1]},
        ),
    ).incident
    assert second is not None
    incident_transition(incident=second, to="confirmed", person=verifier, actor=dispatcher)
    clusters_detect(network=network)

    # alerts: a facility, a policy, a squad alert launched (recipients, deliveries, steps)
    facility = Facility.objects.create(
        network=network,
        name=f"Centro {i}",
        latitude=CHICOPEE[0],
        longitude=CHICOPEE[1],
        phone="+14135550191",
    )
    EscalationPolicy.objects.create(
        network=network,
        kind=AlertKind.SQUAD,
        steps=[{"after_minutes": 10, "need": 6, "action": "widen", "radius_km": 15}],
    )
    incident.refresh_from_db()
    alert = alert_create(network=network, kind=AlertKind.SQUAD, incident=incident, actor=dispatcher)
    alert_launch(alert=alert, actor=dispatcher)
    alert_create(network=network, kind=AlertKind.DRILL, actor=coordinator)

    # cases: a case from the confirmed incident, on Dora's team (not Hugo's: he is the
    # hotline responder who must not see it), transferred, counsel reached; a hand-off
    assert CaseState.objects.filter(network=network).exists()
    legal = UserFactory.create(
        network=network, roles=["case-manager"], display_name=f"Lola {s}", email=f"lola.{s}@a.ex"
    )
    case = case_open(
        network=network,
        actor=coordinator,
        incident=second,
        case_manager=legal,
        data=CaseInput(
            given_names=f"Detenida {s}",
            family_names=f"Apellido {s}",
            a_number="87654321",
            country_of_birth=f"Pais {s}",
            facility=facility,
            detained_at=now - timedelta(hours=2),
            screening={"sole_caregiver": True},
            notes=f"Nota del caso {s}",
        ),
    )
    case_team_add(
        case=case,
        user=dispatcher,
        role=CaseTeamRole.objects.get(network=network, slug="accompanier"),
        actor=coordinator,
    )
    case_transfer(case=case, to_facility=facility, moved_at=now, actor=legal, note=f"Traslado {s}")
    case_counsel_reached(case=case, actor=legal, note=f"Abogada {s}")
    # a hearing on the case; the dispatcher (on the team) is going with the family
    hearing = hearing_add(
        case=case,
        kind="bond",
        court=f"Corte {s}",
        judge=f"Juez {s}",
        starts_at=now + timedelta(days=3),
        actor=legal,
        family_phone="+14135550178",
    )
    dora = Person.objects.get(user=dispatcher, network=network)
    accompany(hearing=hearing, person=dora, go=True, via="web")
    # playbooks: the confirmed raid's (started by the reports hook), a consulate for the
    # case's country and a call's outcome, the emergency meeting, the before list
    consulate = Organization.objects.create(
        network=network, kind="consulate", name=f"Consulado {i}", country=f"Pais {s}"
    )
    steps = PlaybookStep.objects.filter(playbook__incident=second)
    call_record(
        step=steps.get(key="consulates"),
        organization=consulate,
        outcome=f"Llamada {s}",
        actor=legal,
    )
    event_from_step(
        step=steps.get(key="meeting"), starts_at=now + timedelta(hours=5), place=f"Sala {i}"
    )
    readiness(network, "es")
    # campaigns: the confirmed incident's petition with a signature that shows nothing;
    # the case's letters link and a letter with a photo
    petition = petition_save(
        incident=second, actor=coordinator, title=f"Peticion {p}", text=f"Texto {i}"
    )
    petition_sign(
        petition=petition,
        name=f"Firmante {s}",
        town=f"Pueblo {s}",
        contact="+14135550178",
        shown="nothing",
    )
    letter_link_for(case=case, actor=legal)
    letter_submit(case=case, author=f"Autora {s}", relation="", text=f"Carta {s}", image=_jpeg())
    handoff_record(
        network=network,
        responder=hotline,
        caller_number="+14135550179",
        name_asked=f"Detenida {s} Apellido",
        intake=intake,
    )

    # support (issue 18): a sanctuary rota with a taken turn, a need on a board, a plan
    church = Organization.objects.create(network=network, kind="congregation", name=f"Iglesia {p}")
    sanctuary = Sanctuary.objects.create(
        network=network,
        case=case,
        congregation=church,
        contact=legal,
        committee=Committee.objects.filter(network=network).first(),
    )
    RotaSlot.objects.create(
        sanctuary=sanctuary, kind="meal", starts_at=now + timedelta(days=1), person=responder
    )
    NeedRoute.objects.create(
        network=network, kind="rent", committee=Committee.objects.filter(network=network)[0]
    )
    need_add(case=case, kind="rides", words=f"Ride {s}", due=None, actor=legal)
    plan_save(
        network=network,
        owner=dispatcher,
        language="es",
        body={"children": f"Nino {s}", "documents": f"Caja {s}", "contacts": "", "lawyer": ""},
        viewers=f"Tia {s}, +14135550178",
    )

    # documents: the library, and the Field Office letter about the case, kept sealed
    letter = documents.current(network, slug="field-office-letter", language="es")[0]
    documents.document_generate(
        template=letter,
        values=network_values(network) | incident_values(second, [case]),
        file_format="docx",
        actor=coordinator,
        on={"incident": second},
    )

    # the fund: a donation, a bond asked for the case, approved (paid), posted, refunded
    fund_services.donation_record(
        network=network,
        amount=Decimal("900"),
        received_on=now.date(),
        actor=coordinator,
        donor=f"Donante {s}",
    )
    fund_services.rule_set(
        fund=fund_services.fund_of(network), data={"min_activities": 0}, actor=coordinator
    )
    bond = fund_services.request_create(
        case=case, kind="bond", amount=Decimal("300"), purpose=f"Fianza {s}", actor=legal
    )
    bond = fund_services.request_decide(
        req=bond, approver=coordinator, verdict="approve", reason=f"Motivo {s}"
    )
    fund_services.bond_posted(
        req=bond, payer_kind="citizen", payer=f"Pagador {s}", receipt=s, actor=coordinator
    )
    fund_services.bond_state_set(
        req=bond, state=BondState.objects.get(network=network, slug="refunded"), actor=coordinator
    )

    # two factors: an app, a passkey, recovery codes, a failed attempt
    twofactor.totp_enrol_confirmed(user=hotline, network=network)
    twofactor.recovery_codes_generate(user=hotline, network=network)
    Passkey.objects.create(
        user=dispatcher,
        credential_id=tag.encode(),
        credential_id_hash=tag * 8,
        public_key=b"key",
        label=f"Llave {s}",
    )
    twofactor.attempt_failed(user=dispatcher, method="totp", network=network)

    return Canaries(
        secret=[
            s,
            "087654321",
            *(
                c
                for n in [*phones, "+14135550176", "+14135550177", "+14135550178", "+14135550179"]
                for c in _phone_canaries(n)
            ),
        ],
        internal=[i],
        public=[p, network.name],
    )


#: The model behind each int in each URL pattern: the walk tries the seeded network's ids
#: of that model ("app.Model", or per keyword a list of models, or for a str keyword the
#: strings to try). A pattern with an int missing here fails the walk.
ROUTE_MODELS: dict[str, str | dict[str, list[str]]] = {
    "support:rota": "support.Sanctuary",
    "support:slot_add": "support.Sanctuary",
    "support:rota_ask": "support.Sanctuary",
    "support:slot_take": "support.RotaSlot",
    "support:case_need": "cases.Case",
    "support:case_plan_open": "cases.Case",
    "audit:suspend": "accounts.Membership",
    "logins:roles": "accounts.Membership",
    "logins:deactivate": "accounts.Membership",
    "logins:activate": "accounts.Membership",
    "twofactor:remove": {
        "kind": ["totp", "passkey"],
        "pk": ["twofactor.TOTPDevice", "twofactor.Passkey"],
    },
    "twofactor:reset": "accounts.User",
    "sandbox:thread": "sandbox.SandboxThread",
    "people:detail": "people.Person",
    "people:edit": "people.Person",
    "people:organization": "people.Organization",
    "people:segment": "people.Segment",
    "people:import_preview": "people.ImportBatch",
    "people:import_progress": "people.ImportBatch",
    "people:export_decide": "people.ExportRequest",
    "people:export_download": "people.ExportRequest",
    "people:export_progress": "people.ExportRequest",
    "people:committee": "people.Committee",
    "people:committee_member_add": "people.Committee",
    "people:committee_member_remove": {"pk": ["people.Committee"], "person_pk": ["people.Person"]},
    "people:committee_member_chair": {"pk": ["people.Committee"], "person_pk": ["people.Person"]},
    "people:task_create": "people.Committee",
    "people:task_edit": "people.Task",
    "people:task_move": "people.Task",
    "people:training_session": "people.TrainingSession",
    "people:training_signup": "people.TrainingSession",
    "people:training_attendance": "people.TrainingSignup",
    "people:checkin": "people.Activity",
    "people:checkin_person": "people.Activity",
    "people:checkin_undo": "people.Activity",
    "people:event_rsvp": "people.Activity",
    "people:place_edit": "people.Place",
    "people:place_delete": "people.Place",
    "people:event_invite": "people.Activity",
    "people:demand": "people.Demand",
    "people:demand_move": "people.Demand",
    "people:demand_check_now": "people.Demand",
    "people:check_answer": "people.CommitmentCheck",
    "hotline:call": "hotline.Call",
    "hotline:call_voicemail": "hotline.Call",
    "hotline:call_called_back": "hotline.Call",
    "hotline:shift": "hotline.Shift",
    "hotline:shift_assign": "hotline.Shift",
    "hotline:shift_unassign": "hotline.ShiftAssignment",
    "hotline:swap_request": "hotline.ShiftAssignment",
    "hotline:rotation_edit": "hotline.ShiftRotation",
    "hotline:swap": "hotline.SwapRequest",
    "hotline:swap_cancel": "hotline.SwapRequest",
    "hotline:ical": "people.Person",
    "hotline:intake": "hotline.Intake",
    "hotline:intake_outcome": "hotline.Intake",
    "hotline:intake_assign": "hotline.Intake",
    "hotline:conversation": "hotline.Conversation",
    "hotline:sandbox_call_step": "hotline.Call",
    "reports:incident": "reports.Incident",
    "playbooks:playbook": "playbooks.Playbook",
    "playbooks:step": "playbooks.PlaybookStep",
    "playbooks:contact": "people.Organization",
    "playbooks:template": {"phase": ["after", "before"]},
    "reports:incident_merge": "reports.Incident",
    "reports:incident_status": "reports.Incident",
    "reports:incident_note": "reports.Incident",
    "reports:incident_meeting_point": "reports.Incident",
    "reports:report_split": "reports.Report",
    "reports:verify_request": "reports.Incident",
    "reports:verify_mine": "reports.VerificationRequest",
    "alerts:respond": "reports.Incident",
    "alerts:alert": "alerts.Alert",
    "alerts:approve": "alerts.Alert",
    "alerts:cancel": "alerts.Alert",
    "alerts:board": {"alert_pk": ["alerts.Alert"], "incident_pk": ["reports.Incident"]},
    "alerts:board_feed": {"alert_pk": ["alerts.Alert"], "incident_pk": ["reports.Incident"]},
    "alerts:escalation_control": "alerts.Alert",
    "alerts:timeline": "reports.Incident",
    "alerts:drill": "alerts.Alert",
    "alerts:facility": "alerts.Facility",
    "cases:case": "cases.Case",
    "cases:edit": "cases.Case",
    "cases:transfer": "cases.Case",
    "cases:counsel": "cases.Case",
    "cases:state": "cases.Case",
    "cases:team": "cases.Case",
    "cases:incident": "reports.Incident",
    "cases:handoff": "hotline.Intake",
    "people:meeting_edit": "people.Activity",
    "people:decision_edit": "people.Decision",
    "people:demand_edit": "people.Demand",
    "people:commitment_edit": "people.Commitment",
    "hearings:hearing": "hearings.Hearing",
    "hearings:accompany": "hearings.Hearing",
    "hearings:outcome": "hearings.Hearing",
    "hearings:new": "cases.Case",
    "people:calendar": "people.Person",
    "campaigns:petition": "reports.Incident",
    "campaigns:petition_pdf": "reports.Incident",
    "campaigns:letters": "cases.Case",
    "campaigns:letters_pdf": "cases.Case",
    "fund:request_new": "cases.Case",
    "fund:request": "fund.FundRequest",
    "fund:decide": "fund.FundRequest",
    "fund:bond": "fund.FundRequest",
    "audits:audit": "audits.Audit",
    "audits:notice_add": "audits.Audit",
    "audits:action_add": "audits.Audit",
    "audits:remind": "audits.Audit",
    "audits:worker": "audits.AffectedWorker",
    "audits:worker_case": "audits.AffectedWorker",
    "audits:action_sent": "audits.UnionAction",
    "audits:duty_done": "audits.StateDuty",
    "audits:letter": "audits.NoMatchLetter",
    "audits:rule_new": {"kind": ["notice", "error", "state", "step"]},
    "audits:rule_notice": "audits.NoticeKind",
    "audits:rule_error": "audits.ErrorRule",
    "audits:rule_state": "audits.StateRule",
    "audits:rule_step": "audits.ActionStep",
    "documents:template": "documents.DocTemplate",
    "documents:sample": {"pk": ["documents.DocTemplate"], "fmt": ["docx"]},
    "documents:incident": "reports.Incident",
    "documents:audit": "audits.Audit",
}


# --- which rows are whose ------------------------------------------------------------------


def amparo_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_config.name.startswith("amparo.")]


def network_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its network ("network", "person__network"…), or None
    for a model of no network: the shortest path over foreign keys that cannot be null,
    else over any; through an account (its memberships) only when nothing else leads."""
    if model is Network:
        return "pk"
    if model is User:
        return "memberships__network"
    for nullable, via_user in ((False, False), (True, False), (True, True)):
        queue: list[tuple[type[models.Model], str]] = [(model, "")]
        seen = {model}
        while queue:
            current, prefix = queue.pop(0)
            for fk in current._meta.concrete_fields:
                if not isinstance(fk, models.ForeignKey) or (fk.null and not nullable):
                    continue
                target, path = fk.related_model, f"{prefix}{fk.name}"
                if target is Network:
                    return path
                if target is User and via_user:
                    return f"{path}__memberships__network"
                if target not in seen and target is not User:
                    seen.add(target)
                    queue.append((target, f"{path}__"))
    return None


def rows_of(network: Network, model: type[models.Model]) -> models.QuerySet[Any]:
    path = network_path(model)
    assert path is not None, model
    return model._default_manager.filter(**{path: network.pk}).distinct()


def snapshot(network: Network, *, leave_out: Any = None) -> dict[str, dict[Any, str]]:
    """Every field (and many-to-many link) of every row of ``network``, and every shared
    row (roles), to compare before and after a walk. ``leave_out(model)`` returns a
    queryset of rows not to compare (the walker's own), or None."""
    shot: dict[str, dict[Any, str]] = {}
    for model in amparo_models():
        label = model._meta.label
        if label in UNCOMPARED:
            continue
        rows = model._default_manager.all() if label in GLOBAL else rows_of(network, model)
        if leave_out is not None and (skip := leave_out(model)) is not None:
            rows = rows.exclude(pk__in=skip.values("pk"))
        names = [f.attname for f in model._meta.concrete_fields]
        names += [m2m.name for m2m in model._meta.many_to_many]
        shot[label] = {}
        for row in rows.order_by("pk").values_list(*names):  # one row per m2m link
            values = tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            shot[label][values[0]] = shot[label].get(values[0], "") + repr(values)
    return shot


def snapshot_diff(before: dict[str, dict[Any, str]], after: dict[str, dict[Any, str]]) -> list[str]:
    """What changed, by model: the ids of rows added, removed or changed."""
    changes = []
    for label, rows in after.items():
        old = before.get(label, {})
        if rows != old:
            added = sorted(rows.keys() - old.keys())
            gone = sorted(old.keys() - rows.keys())
            changed = sorted(k for k in rows.keys() & old.keys() if rows[k] != old[k])
            changes.append(f"{label}: added {added}, removed {gone}, changed {changed}")
    return changes
