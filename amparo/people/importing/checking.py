"""Checking a whole payload: every row, then the rows that are one person (by phone or
email, in the file or already in Amparo) grouped and explained. Writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from amparo.accounts.models import Network
from amparo.lib.crypto.blind import email_index, fold, phone_index

from ..bulk import people_by_indexes
from ..models import Person
from ..services import PersonData
from .mapping import _mapping_errors
from .rows import RowResult, _Lookups, _row_parse


@dataclass
class Group:
    rows: list[int]  # indexes into ImportCheck.rows, first row first
    data: PersonData
    target_id: int | None = None


@dataclass
class ImportCheck:
    rows: list[RowResult]
    groups: list[Group]
    mapping_errors: list[str]

    def problems(self) -> list[RowResult]:
        return [r for r in self.rows if r.errors and not r.skipped]

    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.rows]
        return {
            "rows": len(self.rows),
            "new": sum(1 for g in self.groups if g.target_id is None),
            "existing": sum(1 for g in self.groups if g.target_id is not None),
            "duplicate": statuses.count("duplicate"),
            "error": statuses.count("error"),
            "skipped": statuses.count("skipped"),
        }


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _merge(datas: list[PersonData], keep_email: str) -> PersonData:
    first = datas[0]
    merged = PersonData(name=first.name, email=keep_email)
    for data in datas:
        merged.phones += [p for p in data.phones if p not in merged.phones]
        if merged.language is None:
            merged.language = data.language
        if data.other_languages is not None:
            merged.other_languages = list(
                dict.fromkeys([*(merged.other_languages or []), *data.other_languages])
            )
        if data.roles:
            merged.roles = list(dict.fromkeys([*(merged.roles or []), *data.roles]))
        if data.places:
            merged.places = list(dict.fromkeys([*(merged.places or []), *data.places]))
        merged.trainings += [t for t in data.trainings if t not in merged.trainings]
        if data.notes:
            notes = [n for n in (merged.notes or "").split("\n\n") if n]
            if data.notes not in notes:
                merged.notes = "\n\n".join([*notes, data.notes])
    return merged


def _existing(
    network: Network, datas: list[PersonData]
) -> tuple[dict[str, set[int]], dict[str, int]]:
    """Who is already in the network, by phone (E.164 → person ids) and email (→ id),
    found through the blind indexes."""
    phone_keys = {p: phone_index(p) for d in datas for p in d.phones}
    email_keys = {email_index(d.email): d.email for d in datas if d.email}
    by_index, by_email = people_by_indexes(network, set(phone_keys.values()), set(email_keys))
    phone_people = {number: by_index.get(idx, set()) for number, idx in phone_keys.items()}
    email_people = {email_keys[idx]: pid for idx, pid in by_email.items()}
    return phone_people, email_people


def import_check(*, network: Network, payload: dict[str, Any]) -> ImportCheck:
    """Validate and group every row of a payload; writes nothing."""
    columns = payload["columns"]
    lookups = _Lookups(network, payload.get("training", ""))
    results = [
        RowResult(index=i, number=row["n"], skipped=bool(row.get("skip")))
        for i, row in enumerate(payload["rows"])
    ]
    mapping_errors = _mapping_errors(columns)
    if mapping_errors:
        for result in results:
            result.status = "skipped" if result.skipped else "new"
        return ImportCheck(rows=results, groups=[], mapping_errors=mapping_errors)
    valid: dict[int, PersonData] = {}
    for result in results:
        if not result.skipped:
            _row_parse(payload["rows"][result.index]["cells"], columns, lookups, result)
            if result.data is not None:
                valid[result.index] = result.data
    phone_people, email_people = _existing(network, list(valid.values()))

    # rows of the same person: same phone, same email, or the same person in the database
    union = _Union(len(results))
    owner: dict[str, int] = {}
    for index, data in valid.items():
        keys = [f"p:{p}" for p in data.phones] + ([f"e:{data.email}"] if data.email else [])
        target = email_people.get(data.email)
        if target is None:
            found = set().union(*(phone_people[p] for p in data.phones))
            target = next(iter(found)) if len(found) == 1 else None
        if target is not None:
            keys.append(f"x:{target}")
        for key in keys:
            union.join(owner.setdefault(key, index), index)
    members: dict[int, list[int]] = {}
    for index in valid:
        members.setdefault(union.find(index), []).append(index)

    groups: list[Group] = []
    by_target: dict[int, Group] = {}
    for indexes in members.values():
        group = _group_build(indexes, valid, phone_people, email_people)
        if isinstance(group, str):  # a problem that blocks every row of the group
            for i in indexes:
                results[i].errors.append((None, group))
                results[i].data = None
            continue
        if len({valid[i].email for i in indexes if valid[i].email}) > 1:
            results[indexes[0]].warnings.append(
                _("Only one email is kept per person: the first one.")
            )
        if group.target_id is not None and group.target_id in by_target:
            earlier = by_target[group.target_id]  # rare: joined only through the database
            earlier.rows += indexes
            earlier.data = _merge([earlier.data, group.data], earlier.data.email)
            continue
        if group.target_id is not None:
            by_target[group.target_id] = group
        groups.append(group)
    _explain(results, groups, valid)
    for result in results:
        if result.skipped:
            result.status = "skipped"
        elif result.errors:
            result.status = "error"
    groups.sort(key=lambda g: g.rows[0])
    return ImportCheck(rows=results, groups=groups, mapping_errors=[])


def _group_build(
    indexes: list[int],
    valid: dict[int, PersonData],
    phone_people: dict[str, set[int]],
    email_people: dict[str, int],
) -> Group | str:
    """One person from the rows that are them, matched to someone already in Amparo when
    the phone or email says so; or the message of a problem no merge can settle."""
    datas = [valid[i] for i in indexes]
    emails = [d.email for d in datas if d.email]
    by_email = {email_people[e] for e in emails if e in email_people}
    by_phone: set[int] = set()
    for data in datas:
        for number in data.phones:
            by_phone |= phone_people[number]
    target: int | None = None
    if len(by_email) > 1:
        return _(
            "These rows are one person by phone or email, but their emails belong to "
            "different people already in Amparo: correct them, or skip one of the rows."
        )
    if by_email:
        target = next(iter(by_email))
    elif len(by_phone) == 1:
        target = next(iter(by_phone))
    elif by_phone:  # a family's shared phone: the name says who
        names = _names(by_phone)
        same = [pid for pid, n in names.items() if any(fold(n) == fold(d.name) for d in datas)]
        if len(same) != 1:
            return _(
                "This phone number belongs to several people already in Amparo, none of them "
                "with this name: add the person's email to say who this is, or skip the row."
            )
        target = same[0]
    keep = [e for e in emails if target is not None and email_people.get(e) == target] + emails
    return Group(rows=indexes, data=_merge(datas, keep[0] if keep else ""), target_id=target)


def _explain(results: list[RowResult], groups: list[Group], valid: dict[int, PersonData]) -> None:
    """Statuses and warnings: already in Amparo (under another name?), merged rows."""
    known = _names({g.target_id for g in groups if g.target_id is not None})
    for group in groups:
        head = results[group.rows[0]]
        head.status = "existing" if group.target_id is not None else "new"
        if group.target_id is not None:
            if fold(known.get(group.target_id, "")) != fold(group.data.name):
                head.warnings.append(
                    _(
                        "Already in Amparo under another name (same phone or email): the name "
                        "in Amparo is kept and the new details are added. Skip the row if they "
                        "are different people."
                    )
                )
            else:
                head.warnings.append(
                    _("Already in Amparo (same phone or email): new details will be added.")
                )
        for i in group.rows[1:]:
            row = results[i]
            row.status, row.duplicate_of = "duplicate", head.number
            if fold(valid[i].name) != fold(valid[group.rows[0]].name):
                row.warnings.append(
                    _(
                        "Same phone or email as row %(row)s but another name: they will be "
                        "merged into one person. If they are different people, give this row "
                        "its own phone or email, or skip it."
                    )
                    % {"row": head.number}
                )
            else:
                row.warnings.append(
                    _("Same person as row %(row)s (same phone or email): merged.")
                    % {"row": head.number}
                )


def _names(person_ids: set[int]) -> dict[int, str]:
    """Decrypt the names of these people only (to compare with a row's name)."""
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(str(i) for i in person_ids)):
        for person in Person.objects.filter(pk__in=[int(i) for i in chunk]).only(
            "id", "name", "wrapped_key"
        ):
            names[person.pk] = person.name or ""
    return names


# --- writing ------------------------------------------------------------------------
