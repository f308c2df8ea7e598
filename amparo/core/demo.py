"""The demo network: fictional, modelled on DOMAIN.md §1; idempotent.
Numbers are in the 555-01xx range, reserved for fiction; emails use .example."""

from __future__ import annotations

from django.db import transaction

from amparo.accounts.models import Network, User
from amparo.accounts.services import membership_grant, network_create, user_create
from amparo.alerts.demo import seed_alerts, seed_attorneys
from amparo.cases.demo import seed_cases
from amparo.channels.models import Delivery
from amparo.channels.outbox import outbox_write
from amparo.fund.demo import seed_fund
from amparo.hearings.demo import seed_hearings
from amparo.hotline.demo import seed_calls, seed_shifts
from amparo.people.demo import seed_people, volunteer_login_link
from amparo.playbooks.demo import seed_playbooks
from amparo.reports.demo import seed_reports
from amparo.support.demo import seed_support
from amparo.twofactor.models import TOTPDevice
from amparo.twofactor.policy import requires_two_factor
from amparo.twofactor.services import totp_enrol_confirmed

DEMO_PASSWORD = "amparo-demo-2026"  # noqa: S105 - printed for the demo on purpose

NETWORK = {
    "slug": "valle",
    "name": "Red de Respuesta Rápida del Valle",
    "time_zone": "America/New_York",
    "languages": ["es", "en"],
    "hotline_number": "+1 413 555 0100",
}
OTHER_NETWORK = {
    "slug": "lakeside",
    "name": "Lakeside Workers' Defense Network",
    "time_zone": "America/Chicago",
    "languages": ["en", "es"],
    "hotline_number": "+1 312 555 0100",
}

# (email, display name, language, network slug, roles)
PEOPLE = [
    ("coordinator@valle.example", "Inés Coordinadora (demo)", "es", "valle", ["coordinator"]),
    ("dispatcher@valle.example", "Dario Dispatch (demo)", "en", "valle", ["dispatcher"]),
    ("hotline@valle.example", "Lupe Línea (demo)", "es", "valle", ["hotline"]),
    ("verifier@valle.example", "Vera Verifier (demo)", "en", "valle", ["verifier"]),
    ("legal@valle.example", "Abril Abogada (demo)", "es", "valle", ["legal"]),
    ("cases@valle.example", "Camila Casos (demo)", "es", "valle", ["case-manager"]),
    ("committee@valle.example", "Cora Committee (demo)", "en", "valle", ["committee"]),
    ("fund@valle.example", "Fausto Fondo (demo)", "es", "valle", ["fund"]),
    ("treasurer@valle.example", "Teresa Tesorera (demo)", "es", "valle", ["treasurer"]),
    ("accompanier@valle.example", "Alma Acompañante (demo)", "es", "valle", ["accompanier"]),
    ("volunteer@valle.example", "Víctor Voluntario (demo)", "es", "valle", []),
    ("coordinator@lakeside.example", "Lake Coordinator (demo)", "en", "lakeside", ["coordinator"]),
]

WELCOME = [
    (
        "+1 413 555 0142",
        "es",
        "Amparo: Bienvenida a la red de respuesta rápida. Responda AYUDA para conocer sus derechos.",
    ),
    (
        "+1 413 555 0157",
        "en",
        "Amparo: Welcome to the rapid-response network. Reply HELP to know your rights.",
    ),
]


@transaction.atomic
def _seed_networks() -> dict[str, Network]:
    networks: dict[str, Network] = {}
    for spec in (NETWORK, OTHER_NETWORK):
        existing = Network.objects.filter(slug=spec["slug"]).first()
        networks[str(spec["slug"])] = existing or network_create(**spec)  # type: ignore[arg-type]
    for email, name, language, slug, roles in PEOPLE:
        user = User.objects.find_by_email(email)
        if user is None:
            user = user_create(
                email=email, display_name=name, language=language, password=DEMO_PASSWORD
            )
            membership_grant(user=user, network=networks[slug], roles=roles)
    return networks


def _demo_authenticator(email: str) -> str:
    """The demo login's authenticator secret ("" when no second factor is needed), printed
    beside the login (or `./dev two-factor-code EMAIL`). Fictional accounts only."""
    user = User.objects.find_by_email(email)
    if user is None or not requires_two_factor(user):
        return ""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return (device or totp_enrol_confirmed(user=user)).secret


def seed_demo() -> list[tuple[str, str, str]]:
    """Seed the demo (idempotently); (email, roles, authenticator secret) of every demo login."""
    networks = _seed_networks()
    valle = networks["valle"]

    seed_people(valle, committee_chair=User.objects.find_by_email("committee@valle.example"))
    for email, role in [
        ("accompanier@valle.example", "court-accompanier"),
        ("volunteer@valle.example", ""),
    ]:
        user = User.objects.find_by_email(email)
        if user is not None:  # a person of the network, so the login can be tried as one
            volunteer_login_link(valle, user, role)

    seed_shifts(valle)
    seed_calls(valle)

    seed_reports(valle)

    seed_alerts(valle)
    seed_attorneys(valle)  # the legal team, so a legal call-out reaches two attorneys
    seed_cases(valle)  # after the raid and the logins: 35 cases with their teams
    seed_support(valle)  # two sanctuary rotas, needs on the boards, three family plans
    seed_hearings(valle)  # a month of hearings on those cases, with accompaniers
    seed_playbooks(valle)  # the contact sheet and the raid's running playbook
    seed_fund(valle)  # after the cases: the $10,000 solidarity fund's year
    if not Delivery.objects.filter(network=valle, purpose="demo-welcome").exists():
        for number, language, body in WELCOME:  # sent by the worker the demo starts
            outbox_write(
                network=valle,
                channel="sandbox",
                to=number.replace(" ", ""),
                body=body,
                purpose="demo-welcome",
                language=language,
            )
    return [
        (email, f"{slug}: {', '.join(roles) or 'member'}", _demo_authenticator(email))
        for email, _n, _l, slug, roles in PEOPLE
    ]
