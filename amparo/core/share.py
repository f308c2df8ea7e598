"""What the coordinator's dashboard adds: the public links to share (the raid report
form, the volunteer sign-up), and a warning when reports wait and nobody can verify them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.reports.console import ACTIVE_STATUSES
from amparo.reports.models import Incident
from amparo.reports.verification import able_to_verify
from amparo.twofactor.views import qr_svg


@dataclass(frozen=True)
class PublicLink:
    key: str
    title: str
    url: str
    qr: SafeString


def public_links(network: Network) -> list[PublicLink]:
    links = [
        ("report", _("Report a raid"), reverse("report_form", kwargs={"network": network.slug})),
        ("join", _("Volunteer sign-up"), reverse("signup", kwargs={"network_slug": network.slug})),
    ]
    return [
        PublicLink(
            key,
            title,
            settings.BASE_URL + path,
            qr_svg(
                settings.BASE_URL + path,
                title=_("QR code of the link: %(page)s") % {"page": title},
                title_id=f"qr-{key}",
            ),
        )
        for key, title, path in links
    ]


def nobody_verifies(network: Network) -> bool:
    """Reports wait for verification, and nobody could be asked to verify them."""
    waiting = Incident.objects.filter(network=network, status__in=ACTIVE_STATUSES["waiting"])
    return waiting.exists() and not able_to_verify(network).exists()


def coordinator_cards(network: Network) -> dict[str, object]:
    return {"share_links": public_links(network), "nobody_verifies": nobody_verifies(network)}
