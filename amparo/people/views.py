"""People list with the dispatcher's filter, saved segments, a person's page."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.access import (
    capability_required,
    has_capability,
    network_queryset,
    request_network,
)
from amparo.accounts.audit import audit_read
from amparo.accounts.models import Network, User
from amparo.accounts.roles import Cap
from amparo.lib.forms import render_form
from amparo.lib.phones import display_phone

from .access import get_organization_for_user, get_person_for_user, get_segment_for_user
from .counts import people_count_many, people_counts, people_page_range
from .export_requests import export_requests_waiting
from .filters import PeopleFilter
from .forms import PeopleFilterForm, PersonForm, SegmentForm
from .forms_committees import PersonSearchForm
from .models import Organization, Person, Segment
from .participation import NAME_SEARCH_SHOWN
from .segments import segment_save
from .services import PersonData, find_existing, person_edit, person_upsert

PAGE_SIZE = 50


class KnownCountPaginator(Paginator):
    """A paginator told its total (from the same aggregate as the channel counts) and,
    when the cached counts know it, which range of ids holds a page: the page query
    then reads those ids only, however large the network (PostgreSQL otherwise plans
    the filter over everyone before taking 50)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, window: Any = None) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count
        self._window = window

    @property
    def count(self) -> int:
        return self._known_count

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        where = self._window(bottom, self.per_page) if self._window else None
        if where is None:
            return super().page(number)
        low, high, rest = where
        in_range = cast(QuerySet[Person], self.object_list).filter(pk__gte=low, pk__lt=high)
        return Page(in_range[rest : rest + self.per_page], number, self)


def pipeline_counts(network: Network) -> list[tuple[str, Any, int]]:
    counts = dict(
        Person.objects.filter(network=network)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    labels = dict(Person.Status.choices)
    return [(status, labels[status], counts.get(status, 0)) for status in Person.PIPELINE]


def _page_rows(page: Any) -> list[dict[str, Any]]:
    """Decrypt only the people on this page."""
    rows = []
    for person in page:
        phones = list(person.phones.all())
        rows.append(
            {
                "person": person,
                "phone": display_phone(phones[0].number) if phones else "",
                "roles": [r.label for r in person.roles.all()],
            }
        )
    return rows


def _filter_query(request: HttpRequest) -> QueryDict:
    """The non-personal filters in the URL: GET without ``page`` and without ``q`` (a
    name typed in a URL is ignored: names travel only in a POST body)."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("q", None)
    return query


def _render_list(
    request: HttpRequest,
    people_filter: PeopleFilter,
    form: Any,
    segment: Segment | None,
    search: PersonSearchForm | None = None,
) -> HttpResponse:
    network = request_network(request)
    people = people_filter.apply(network)
    channels = people_counts(network, people_filter)
    ordered = people.order_by("id").prefetch_related("phones", "roles")
    page: Any = None
    if people_filter.q.strip():
        # A name search is answered in this POST response: no pages, the first matches.
        rows = _page_rows(ordered[:NAME_SEARCH_SHOWN])
    else:
        paginator = KnownCountPaginator(
            ordered,
            PAGE_SIZE,
            count=channels["total"],
            window=lambda offset, size: people_page_range(network, people_filter, offset, size),
        )
        page = paginator.get_page(request.GET.get("page"))
        rows = _page_rows(page)
    return render(
        request,
        "people/list.html",
        {
            "form": form,
            "segment": segment,
            "page": page,
            "rows": rows,
            "total": channels["total"],
            "channels": channels,
            "segment_form": SegmentForm(),
            "search": search if search is not None else PersonSearchForm(),
            "q": people_filter.q.strip(),
            "shown": NAME_SEARCH_SHOWN,
            "more": bool(people_filter.q.strip()) and channels["total"] > NAME_SEARCH_SHOWN,
            "query": _filter_query(request).urlencode(),
            "can_manage": has_capability(request, Cap.MEMBERS_MANAGE),
            "can_export": has_capability(request, Cap.MEMBERS_EXPORT),
            "exports_waiting": _exports_waiting(request),
            "filters": people_filter.to_dict(include_name=False),
        },
    )


def _exports_waiting(request: HttpRequest) -> int:
    """Export requests waiting for this person's approval (the two-person rule)."""
    if not has_capability(request, Cap.MEMBERS_EXPORT):
        return 0

    return export_requests_waiting(network=request_network(request), user=request.user).count()


@capability_required(Cap.MEMBERS_VIEW)
def person_list(request: HttpRequest) -> HttpResponse:
    """GET: the non-personal filters (``?roles=…&languages=…``). POST with ``q``: a name
    search within those filters, answered directly (the name is only in the body).
    POST with ``name``: save the GET filters as a segment (never the name searched)."""
    network = request_network(request)
    query = _filter_query(request)
    form = PeopleFilterForm(query or None, network=network)
    people_filter = form.to_filter() if query else PeopleFilter()
    if request.method == "POST" and "q" in request.POST:
        search = PersonSearchForm(request.POST)
        people_filter.q = search.cleaned_data["q"].strip() if search.is_valid() else ""
        return _render_list(request, people_filter, form, None, search)
    if request.method == "POST":
        segment_form = SegmentForm(request.POST)
        if segment_form.is_valid() and not people_filter.is_empty():
            segment = segment_save(
                network=network,
                name=segment_form.cleaned_data["name"],
                people_filter=people_filter,
                actor=cast(User, request.user),
            )
            messages.success(request, _("Segment saved."))
            return redirect("people:segment", pk=segment.pk)
        messages.error(request, _("Choose at least one filter and give the segment a name."))
    return _render_list(request, people_filter, form, None)


@capability_required(Cap.MEMBERS_VIEW)
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = list(network_queryset(request, Segment))
    network = request_network(request)
    # cached per network and filter, recounted only where people changed
    counts = people_count_many(network, [PeopleFilter.from_dict(s.filters) for s in segments])
    rows = [{"segment": s, "count": n} for s, n in zip(segments, counts, strict=True)]
    return render(request, "people/segments.html", {"rows": rows})


def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_segment_for_user(request, pk)
    people_filter = PeopleFilter.from_dict(segment.filters)
    form = PeopleFilterForm(_as_querydict(people_filter), network=request_network(request))
    return _render_list(request, people_filter, form, segment)


def _as_querydict(people_filter: PeopleFilter) -> Any:
    q = QueryDict(mutable=True)
    for key, value in people_filter.to_dict(include_name=False).items():
        if isinstance(value, list):
            q.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            q[key] = "true" if value else "false"
        else:
            q[key] = str(value)
    return q


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_user(request, pk)
    may_manage = has_capability(request, Cap.MEMBERS_MANAGE)
    if request.method == "POST" and may_manage:  # "It works again": as if entered by hand
        wanted = request.POST.get("phone", "")
        phone = person.phones.filter(pk=int(wanted)).first() if wanted.isdigit() else None
        if phone is not None:
            data = PersonData(name="", phones=[phone.number])
            person_upsert(
                network=person.network, data=data, existing=person, actor=cast(User, request.user)
            )
            messages.success(request, _("The number will get texts and calls again."))
        return redirect("people:detail", pk=person.pk)
    prefetch_related_objects(
        [person], "phones", "roles", "areas__place", "trainings__training_type"
    )

    since = timezone.now() - timedelta(days=90)
    audit_read(actor=request.user, obj=person, network=person.network, reason="person page")
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "phones": [(p, display_phone(p.number)) for p in person.phones.all()],
            "areas": [a.place.name for a in person.areas.all() if a.place]
            + [_("a point they chose") for a in person.areas.all() if not a.place],
            "trainings": sorted(person.trainings.all(), key=lambda t: t.completed_on, reverse=True),
            "committees": [
                m.committee.label for m in person.committees.select_related("committee")
            ],
            "recent_participation": person.attendance.filter(checked_in_at__gte=since).count(),
            "today": timezone.localdate(),
            "may_manage": may_manage,
        },
    )


def _person_data(form: PersonForm) -> PersonData:
    data = form.cleaned_data
    return PersonData(
        name=data["name"],
        phones=[data["phone"]] if data["phone"] else [],
        email=data["email"] or "",
        language=data["language"],
        other_languages=list(data["other_languages"]),
        roles=list(data["roles"]),
        places=[int(p) for p in data["places"]],
        notes=data["notes"],
    )


@capability_required(Cap.MEMBERS_MANAGE)
def person_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a person: what the form says replaces what was there."""
    person = get_person_for_user(request, pk)
    phones = list(person.phones.all())
    primary = phones[0] if phones and phones[0].is_primary else None
    initial = {
        "name": person.name,
        "phone": display_phone(primary.number) if primary else "",
        "email": person.email,
        "language": person.language,
        "other_languages": person.speaks()[1:],
        "roles": [r.slug for r in person.roles.all()],
        "places": [str(a.place_id) for a in person.areas.all() if a.place_id],
        "notes": person.notes,
    }
    others = [(p.pk, display_phone(p.number)) for p in phones if p is not primary]
    form = PersonForm(
        request.POST or None, initial=initial, network=person.network, other_phones=others
    )
    if request.method == "POST" and form.is_valid():
        email, phone = form.cleaned_data["email"], form.cleaned_data["phone"]
        holder = find_existing(network=person.network, email=email) if email else None
        owner = find_existing(network=person.network, phones=[phone]) if phone else None
        if owner not in (None, person):
            form.add_error("phone", _("Someone else in the network has this number."))
        elif holder is None or holder == person:
            remove = form.cleaned_data.get("remove_phones") or []
            person_edit(
                person=person,
                data=_person_data(form),
                remove_phones=remove,
                actor=cast(User, request.user),
            )
            messages.success(request, _("Changes saved."))
            return redirect("people:detail", pk=person.pk)
        form.add_error("email", _("Someone else in the network has this email."))
    audit_read(actor=request.user, obj=person, network=person.network, reason="person edit")
    return render_form(request, "people/form.html", {"form": form, "person": person})


@capability_required(Cap.MEMBERS_MANAGE)
def person_create_view(request: HttpRequest) -> HttpResponse:
    network = request_network(request)
    form = PersonForm(request.POST or None, network=network)
    if request.method == "POST" and form.is_valid():
        data = _person_data(form)
        person, outcome = person_upsert(
            network=network,
            data=replace(data, notes=data.notes or None, status=Person.Status.ACTIVE),
            consent_method="entered by staff",
            actor=cast(User, request.user),
        )
        if outcome == "created":
            messages.success(request, _("Person added."))
        else:
            messages.info(
                request,
                _("This phone or email was already known: the details were added to that person."),
            )
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form})


@capability_required(Cap.MEMBERS_VIEW)
def organization_list(request: HttpRequest) -> HttpResponse:
    organizations = (
        network_queryset(request, Organization)
        .annotate(n=Count("members"))
        .order_by("kind", "name")
    )
    return render(request, "people/organizations.html", {"organizations": organizations})


def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_organization_for_user(request, pk)
    links = organization.members.select_related("person").order_by("id")
    return render(
        request,
        "people/organization.html",
        {"organization": organization, "links": links},
    )
