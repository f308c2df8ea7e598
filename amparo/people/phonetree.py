"""The phone tree: who calls whom when the network has to move and the internet is down.

Every active, reachable person appears exactly once. The coordinator calls the first
callers; every caller calls at most ``per_caller`` people, who call the next ones, and
so on as deep as needed. People are grouped by preferred language, then by area (their
first area: a town, or the coarse cell of a point they chose; people without an area
come last). Callers are the people most likely to pick up and act: status "active"
first, then rapid responders and members, then whoever took part (an activity or a
training) most recently.

The structure is computed without opening any name; names and numbers are opened
only for the tree being shown or printed (which is all of it: treat the page and the
paper as the membership list they are).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.lib.pdf import FAMILY, output, paper
from amparo.lib.phones import display_phone

from .models import Attendance, Person, PersonArea, PersonPhone, PersonTraining
from .participation import network_zone

if TYPE_CHECKING:
    from fpdf import FPDF

DEFAULT_PER_CALLER = 5
MAX_PER_CALLER = 50
#: Roles whose holders make good callers (besides status "active").
CALLER_ROLES = ("rapid-responder", "member")

Score = tuple[bool, bool, date, int]


@dataclass
class TreeEntry:
    person_id: int
    language: str
    speaks: frozenset[str]
    area_key: str  # "" when the person gave no area
    area: str  # what is printed for the area
    score: Score
    number: str = ""  # "1.2.3": the path from the coordinator
    name: str = ""
    phone: str = ""  # as people read it
    phone_e164: str = ""
    children: list[TreeEntry] = field(default_factory=list)


@dataclass
class PhoneTree:
    per_caller: int
    roots: list[TreeEntry]  # the people the coordinator calls
    count: int
    generated_at: datetime

    def walk(self) -> Iterator[tuple[int, TreeEntry]]:
        """(depth, entry) in reading order: each caller followed by whom they call.

        Iterative, so a tree of any depth (per_caller 1 is a chain) is fine."""
        stack: list[tuple[int, TreeEntry]] = [(0, root) for root in reversed(self.roots)]
        while stack:
            depth, entry = stack.pop()
            yield depth, entry
            stack.extend((depth + 1, child) for child in reversed(entry.children))

    def max_calls(self) -> int:
        """The most calls anyone on the tree has to make (the coordinator included)."""
        return max([len(self.roots), *(len(e.children) for _d, e in self.walk())], default=0)

    def depth(self) -> int:
        return max((d + 1 for d, _e in self.walk()), default=0)

    def sections(self) -> list[tuple[str, str, list[tuple[int, TreeEntry]]]]:
        """(language code, language name, rows) per language of the coordinator's calls,
        each with the whole branch under it."""
        result: list[tuple[str, str, list[tuple[int, TreeEntry]]]] = []
        for root in self.roots:
            rows = list(PhoneTree(self.per_caller, [root], 0, self.generated_at).walk())
            if result and result[-1][0] == root.language:
                result[-1][2].extend(rows)
            else:
                result.append((root.language, language_name(root.language), rows))
        return result


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


# --- who is on the tree -------------------------------------------------------------


def reachable_people(network: Network) -> QuerySet[Person]:
    """Active people we may phone: reachable by a call or a text (the flags kept on the
    person, people/reach.py: a live number that takes it, that channel not opted out)."""
    return (
        Person.objects.filter(network=network)
        .confirmed()
        .filter(Q(reach_voice=True) | Q(reach_sms=True))
    )


def _entries(network: Network) -> list[TreeEntry]:
    last_attended = (
        Attendance.objects.filter(person=OuterRef("pk"))
        .order_by("-checked_in_at")
        .values("checked_in_at")[:1]
    )
    last_trained = (
        PersonTraining.objects.filter(person=OuterRef("pk"))
        .order_by("-completed_on")
        .values("completed_on")[:1]
    )
    caller_role = Exists(
        Person.roles.through.objects.filter(
            person_id=OuterRef("pk"), personrole__slug__in=CALLER_ROLES
        )
    )
    rows = list(
        reachable_people(network)
        .annotate(
            last_attended=Subquery(last_attended),
            last_trained=Subquery(last_trained),
            caller_role=caller_role,
        )
        .values_list(
            "pk",
            "language",
            "languages_spoken",
            "status",
            "caller_role",
            "last_attended",
            "last_trained",
        )
    )
    areas: dict[int, tuple[str, str]] = {}
    first_areas = (
        PersonArea.objects.filter(person__in=[r[0] for r in rows])
        .order_by("person_id", "id")
        .values_list("person_id", "place__name", "cell")
    )
    for person_id, place_name, cell in first_areas:
        if person_id in areas:
            continue
        if place_name:
            areas[person_id] = ("place:" + place_name.casefold(), place_name)
        elif cell:
            areas[person_id] = ("cell:" + cell, _("area %(cell)s") % {"cell": cell})
    zone = network_zone(network)
    entries = []
    for pk, language, spoken, status, caller_role, attended, trained in rows:
        recent = date.min
        if attended is not None:
            recent = max(recent, timezone.localtime(attended, zone).date())
        if trained is not None:
            recent = max(recent, trained)
        area_key, area = areas.get(pk, ("", ""))
        entries.append(
            TreeEntry(
                person_id=pk,
                language=language,
                speaks=frozenset(spoken.split()) | {language},
                area_key=area_key,
                area=area,
                score=(status == Person.Status.ACTIVE, bool(caller_role), recent, -pk),
            )
        )
    return entries


# --- building -----------------------------------------------------------------------


class _Pool:
    """The people not yet on the tree, by language and area, best callers first."""

    def __init__(self, entries: list[TreeEntry], network_languages: list[str]) -> None:
        by_language: dict[str, dict[str, list[TreeEntry]]] = {}
        for entry in entries:
            by_language.setdefault(entry.language, {}).setdefault(entry.area_key, []).append(entry)
        preferred = {code: i for i, code in enumerate(network_languages)}

        def language_order(code: str) -> tuple[int, int, str]:
            size = sum(len(g) for g in by_language[code].values())
            return (-size, preferred.get(code, len(preferred)), code)

        self.languages = sorted(by_language, key=language_order)
        self.groups: dict[str, dict[str, deque[TreeEntry]]] = {}
        for code in self.languages:
            groups = by_language[code]
            # Biggest areas first; people without an area last.
            keys = sorted(groups, key=lambda k: (k == "", -len(groups[k]), k))
            self.groups[code] = {
                k: deque(sorted(groups[k], key=lambda e: e.score, reverse=True)) for k in keys
            }

    def size(self, language: str) -> int:
        return sum(len(g) for g in self.groups[language].values())

    def first_calls(self, slots: int) -> list[TreeEntry]:
        """The coordinator's calls: seats shared among languages by size (each language
        one at least while seats last), and within a language among its areas."""
        sizes = {code: self.size(code) for code in self.languages}
        total = sum(sizes.values())
        if not total:
            return []
        seats = {code: 0 for code in self.languages}
        for code in self.languages[:slots]:
            seats[code] = 1
        remaining = min(slots, total) - sum(seats.values())
        while remaining > 0:
            # the language with the most people per seat gets the next seat
            code = max(
                (c for c in self.languages if seats[c] < sizes[c]),
                key=lambda c: (sizes[c] / (seats[c] + 1), -self.languages.index(c)),
            )
            seats[code] += 1
            remaining -= 1
        chosen: list[TreeEntry] = []
        for code in self.languages:
            groups = list(self.groups[code].values())
            while seats[code] > 0:
                progressed = False
                for group in groups:  # one per area, round and round
                    if seats[code] > 0 and group:
                        chosen.append(group.popleft())
                        seats[code] -= 1
                        progressed = True
                if not progressed:
                    break
        return chosen


def _fill(pool: _Pool, callers: list[TreeEntry], per_caller: int) -> None:
    """Breadth first from ``callers``: each calls people of their own language and area
    (the best callers first, so they land high on the tree) while any are left."""
    queue: deque[TreeEntry] = deque(callers)
    while queue:
        caller = queue.popleft()
        group = pool.groups[caller.language].get(caller.area_key)
        while group and len(caller.children) < per_caller:
            callee = group.popleft()
            caller.children.append(callee)
            queue.append(callee)


def _free_caller(roots: list[TreeEntry], per_caller: int, language: str) -> TreeEntry:
    """The person nearest the top with a call to spare: of ``language`` if possible, else
    one who also speaks it, else anyone."""
    best: list[TreeEntry | None] = [None, None, None]
    queue: deque[TreeEntry] = deque(roots)
    while queue:
        entry = queue.popleft()
        if len(entry.children) < per_caller:
            if entry.language == language:
                return entry
            rank = 1 if language in entry.speaks else 2
            best[rank] = best[rank] or entry
        queue.extend(entry.children)
    found = best[1] or best[2]
    if found is None:  # pragma: no cover - leaves always have room
        raise RuntimeError("no caller with room on the tree")
    return found


def phone_tree_build(*, network: Network, per_caller: int = DEFAULT_PER_CALLER) -> PhoneTree:
    """Compute the tree (no names opened yet: see ``phone_tree_open``).

    The coordinator calls the best caller of the biggest areas of each language; each
    area's people are then called within the area. An area (or a language) with nobody
    on the coordinator's list hangs its best caller under the person nearest the top
    who has a call to spare, of the same language if possible, and fills from there.
    """
    if per_caller < 1:
        raise ValueError("per_caller must be at least 1")
    entries = _entries(network)
    pool = _Pool(entries, list(network.languages or []))
    roots = pool.first_calls(per_caller)
    _fill(pool, roots, per_caller)
    for language in pool.languages:
        for group in pool.groups[language].values():
            while group:
                head = group.popleft()
                _free_caller(roots, per_caller, language).children.append(head)
                _fill(pool, [head], per_caller)
    for i, root in enumerate(roots, start=1):
        _number(root, str(i))
    return PhoneTree(
        per_caller=per_caller, roots=roots, count=len(entries), generated_at=timezone.now()
    )


def _number(root: TreeEntry, label: str) -> None:
    root.number = label
    stack = [root]
    while stack:
        entry = stack.pop()
        for i, child in enumerate(entry.children, start=1):
            child.number = f"{entry.number}.{i}"
            stack.append(child)


def phone_tree_open(tree: PhoneTree) -> PhoneTree:
    """Open the names and numbers of everyone on the tree (the page or paper being made)."""
    entries = {entry.person_id: entry for _d, entry in tree.walk()}
    if not entries:
        return tree
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=list(entries)).only(
            "id", "network_id", "name", "wrapped_key"
        )
    }
    phones: dict[int, PersonPhone] = {}
    live = PersonPhone.objects.filter(person_id__in=list(entries), dead_at__isnull=True).filter(
        Q(voice_ok=True) | Q(sms_ok=True)
    )
    # calls first (it is a phone tree), then the primary number
    for phone in live.order_by("person_id", "-voice_ok", "-is_primary", "id"):
        if phone.person_id not in phones:
            phones[phone.person_id] = phone
    for person_id, entry in entries.items():
        person = people[person_id]
        entry.name = person.name or ""
        number = phones.get(person_id)
        if number is not None:
            number.person = person  # shares the opened data key
            entry.phone_e164 = number.number or ""
            entry.phone = display_phone(entry.phone_e164)
    return tree


# --- paper --------------------------------------------------------------------------


def phone_tree_pdf(*, tree: PhoneTree, network: Network) -> bytes:
    """The printable tree, in the active language. Call ``phone_tree_open`` first."""
    zone = network_zone(network)
    made = formats.date_format(timezone.localtime(tree.generated_at, zone).date(), "DATE_FORMAT")
    notice = _("Keep this paper safe; shred old copies.")
    pdf = paper(
        title=_("Phone tree"),
        head=f"{_('Phone tree')} · {network.name} · {made}",
        foot=f"{notice}  {made}  ·  {_('Page')} ",
    )
    pdf.set_font(FAMILY, style="B", size=16)
    pdf.cell(0, 8, _("Phone tree"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=11)
    pdf.cell(0, 6, network.name, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _("Made on %(date)s") % {"date": made}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, style="B", size=11)
    pdf.set_fill_color(255, 240, 200)
    pdf.multi_cell(0, 6, notice, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)
    pdf.ln(1)
    pdf.multi_cell(0, 5, how_to_read(tree), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if not tree.roots:
        pdf.set_font(FAMILY, size=11)
        pdf.cell(0, 6, _("Nobody can be reached by phone yet."))
    for _code, language, rows in tree.sections():
        pdf.set_font(FAMILY, style="B", size=12)
        heading = ngettext(
            "%(language)s: %(count)d person", "%(language)s: %(count)d people", len(rows)
        ) % {"language": language, "count": len(rows)}
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        for depth, entry in rows:
            _pdf_entry(pdf, depth, entry)
    return output(pdf)


def _pdf_entry(pdf: FPDF, depth: int, entry: TreeEntry) -> None:
    """One line: a box to tick once the call is made, the number in the tree, the name
    (cut to fit), the phone and the area."""
    indent = min(depth, 8) * 5
    if pdf.will_page_break(5.5):
        pdf.add_page()
    pdf.rect(pdf.l_margin + indent, pdf.get_y() + 1.2, 3.2, 3.2)
    indent += 5
    pdf.set_x(pdf.l_margin + indent)
    pdf.set_font(FAMILY, style="B", size=10)
    number = entry.number + "  "
    number_w = pdf.get_string_width(number)
    pdf.cell(number_w, 5.5, number)
    pdf.set_font(FAMILY, size=10)
    name = entry.name
    phone = "  " + entry.phone
    room = pdf.epw - indent - number_w - pdf.get_string_width(phone)
    while name and pdf.get_string_width(name) > room:
        name = name[:-1]
    pdf.cell(pdf.get_string_width(name) + 0.5, 5.5, name)
    pdf.set_font(FAMILY, style="B", size=10)
    pdf.cell(pdf.get_string_width(phone) + 0.5, 5.5, phone)
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 5.5, f"  {entry.area}" if entry.area else "", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def how_to_read(tree: PhoneTree) -> str:
    return _(
        "The coordinator calls 1, 2, 3… Each person calls the people numbered under their "
        "own number (1.2 calls 1.2.1, 1.2.2…), at most %(n)d each. If you cannot reach "
        "someone, call the people they would have called."
    ) % {"n": tree.per_caller}
