"""Forms a screen reader can use (issue 14, points 1 and 2): every hint an input names in
``aria-describedby`` exists on the page (so it is announced), no id is used twice, and
every input has a name a screen reader reads (a ``<label for>`` that reaches it).

Checked on the pages whose hints matter most: the public report form (where, photo,
callback), the sign-up form (phone) and the incident page (status note, public note)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse

from amparo.conftest import client_for, make_user
from amparo.people.services import place_get_or_create
from amparo.reports.services import ReportInput, report_submit

FIELDS = {"input", "select", "textarea"}
UNNAMED_TYPES = {"hidden", "submit", "button", "image", "reset"}


class FormAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str]] = []
        self.described: list[tuple[str, str]] = []  # (element id, id it points to)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in FIELDS and a.get("type", "") not in UNNAMED_TYPES:
            self.fields.append(a)
        for target in a.get("aria-describedby", "").split():
            self.described.append((a.get("id", tag), target))

    def problems(self) -> list[str]:
        found = []
        found += [f"id used {n} times: {i}" for i, n in Counter(self.ids).items() if n > 1]
        found += [
            f"{el} is described by missing #{t}" for el, t in self.described if t not in self.ids
        ]
        for field in self.fields:
            named = field.get("id") in self.label_for or field.get("aria-label")
            if not named and field.get("type") not in ("radio", "checkbox"):
                found.append(f"no accessible name: {field.get('name')} (#{field.get('id')})")
        return found


def audit(html: str) -> FormAudit:
    parser = FormAudit()
    parser.feed(html)
    return parser


def test_public_report_form_announces_its_hints(network_a):
    place_get_or_create(network=network_a, name="Holyoke", latitude=42.2, longitude=-72.6)
    page = audit(Client().get(reverse("report_form", args=[network_a.slug])).content.decode())
    assert page.problems() == []
    # the hints that matter: where, photo, callback (checked present, so the test bites)
    targets = {t for _el, t in page.described}
    assert {"id_where_helptext", "id_photo_helptext", "id_callback_helptext"} <= targets


def test_signup_form_announces_the_phone_hint(network_a):
    page = audit(Client().get(reverse("signup", args=[network_a.slug])).content.decode())
    assert page.problems() == []
    assert "id_phone_helptext" in {t for _el, t in page.described}


def test_incident_page_has_one_id_per_field_and_a_name_for_each_note(network_a):
    dispatcher = make_user(network_a, "dee@a.example", ["dispatcher"])
    report = report_submit(
        network=network_a,
        source="web",
        data=ReportInput(details={"activity": "agents"}, point={"lat": 42.2, "lng": -72.6}),
    )
    url = reverse("reports:incident", kwargs={"pk": report.incident_id})
    html = client_for(dispatcher).get(url).content.decode()
    page = audit(html)
    assert page.problems() == []
    notes = [f for f in page.fields if f.get("name") == "note"]
    assert len(notes) == 2 and notes[0]["id"] != notes[1]["id"]
