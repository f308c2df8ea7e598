"""Events: the activities of ``participation.py`` with RSVPs, capacity and a waiting list.

One model: an event is an :class:`Activity` (time, place, optional capacity); a
person's answer is an :class:`Rsvp` (invited → going / waiting / not going), given on
the web or by replying to a text. Check-in stays ``participation.attendance_check_in``
and is what counts as participation. Every text goes through the one outbox, in the
person's language; replies come through the one handler table
(``settings.INBOUND_HANDLERS``, :func:`events_inbound`):

- YES/SÍ/VOY/GOING — only from someone with a pending invitation (an alert's YES and a
  sign-up's YES come first in the table and win);
- NO/NO VOY/NOT GOING — only from someone invited or already answered, for an event not
  yet started;
- NEXT/WHAT'S NEXT/PRÓXIMO/QUÉ SIGUE — from anyone the network knows: the next event,
  in their language, which also counts as an invitation to it (a YES then answers it).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent, Network, User
from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import fold

from .identity import text_sender
from .models import Activity, Person, Rsvp
from .participation import network_zone
from .texting import person_text

HANDLER = "people.events"
#: reminders go out this long before an event
REMINDER_HOURS = 24
#: at most this many reminders per sweep (the next sweep takes the rest)
REMINDER_BATCH = 500

YES_WORDS = frozenset({"yes", "y", "si", "s", "voy", "going", "ok"})
NO_WORDS = frozenset({"no", "n", "no voy", "not going", "cant go", "no puedo"})
NEXT_WORDS = frozenset(
    {"next", "whats next", "what is next", "proximo", "que sigue", "siguiente", "proxima"}
)
S = Rsvp.Status
ANSWERED = (S.GOING, S.WAITING)


def _word(body: str) -> str:
    """The reply folded: lower case, no accents, no punctuation, single spaces."""
    text = fold(body or "")
    kept = "".join(c if c.isalnum() or c.isspace() else "" for c in text)
    return " ".join(kept.split())


def event_when(activity: Activity, language: str) -> str:
    """'Sat 1 May 18:00' in the network's time zone and ``language``."""
    starts = activity.starts_at.astimezone(network_zone(activity.network))
    with translation.override(language):
        return f"{formats.date_format(starts, 'D j M')} {starts:%H:%M}"


def _event_line(activity: Activity, language: str) -> str:
    parts = [activity.title[:60], event_when(activity, language)]
    if activity.place:
        parts.append(activity.place[:60])
    return ", ".join(parts)


def invitation_text(activity: Activity, language: str) -> str:
    with translation.override(language):
        return _("%(network)s: %(event)s. Reply YES to come, NO if you cannot.") % {
            "network": activity.network.name[:30],
            "event": _event_line(activity, language),
        }


def reminder_text(activity: Activity, language: str) -> str:
    with translation.override(language):
        return _("%(network)s: Reminder: %(event)s. Reply NO if you cannot come.") % {
            "network": activity.network.name[:30],
            "event": _event_line(activity, language),
        }


def answer_text(rsvp: Rsvp, language: str) -> str:
    activity = rsvp.activity
    values = {"event": _event_line(activity, language)}
    with translation.override(language):
        if rsvp.status == S.GOING:
            return _("You are on the list: %(event)s. Reply NO if you cannot come.") % values
        if rsvp.status == S.WAITING:
            return (
                _(
                    "%(event)s is full: you are on the waiting list. We will text you if a "
                    "place opens."
                )
                % values
            )
        return _("Thank you for telling us. You are not on the list for %(event)s.") % values


def promoted_text(activity: Activity, language: str) -> str:
    with translation.override(language):
        return _("A place opened: you are on the list for %(event)s.") % {
            "event": _event_line(activity, language)
        }


# --- RSVPs --------------------------------------------------------------------------


def upcoming(network: Network) -> QuerySet[Activity]:
    """The network's activities not yet started, the soonest first."""
    return Activity.objects.filter(network=network, starts_at__gt=timezone.now()).order_by(
        "starts_at", "id"
    )


def next_event(network: Network) -> Activity | None:
    return upcoming(network).first()


def rsvp_counts(activity: Activity) -> dict[str, int]:
    rows = activity.rsvps.values_list("status").annotate(n=Count("id"))
    counts = {status: 0 for status in S.values}
    counts.update(dict(rows.values_list("status", "n")))
    return counts


def _lock(activity: Activity) -> Activity:
    """The activity's row, locked (PostgreSQL) so that two RSVPs never both take the
    last place; on SQLite the write transaction serialises them already."""
    return Activity.objects.select_for_update().get(pk=activity.pk)


@transaction.atomic
def rsvp_set(
    *, activity: Activity, person: Person, going: bool, via: str, actor: User | None = None
) -> Rsvp:
    """Record ``person``'s answer. Going: on the list while there is room, else on the
    waiting list (an answer already given stays). Not going: a place freed goes to the
    first on the waiting list, who gets a text."""
    if person.network_id != activity.network_id:
        raise ValidationError(_("This person is not in this network."), code="other_network")
    if person.status == Person.Status.REMOVED:
        raise ValidationError(_("This person was removed from the network."), code="removed")
    if activity.starts_at <= timezone.now():
        raise ValidationError(_("This event has already started."), code="started")
    activity = _lock(activity)
    rsvp, _created = Rsvp.objects.get_or_create(
        activity=activity, person=person, defaults={"via": via}
    )
    before = rsvp.status
    if going:
        if before in ANSWERED:
            return rsvp
        going_now = activity.rsvps.filter(status=S.GOING).count()
        full = activity.capacity is not None and going_now >= activity.capacity
        rsvp.status = S.WAITING if full else S.GOING
    else:
        if before == S.DECLINED:
            return rsvp
        rsvp.status = S.DECLINED
    rsvp.via = via
    rsvp.updated_at = timezone.now()
    rsvp.save(update_fields=["status", "via", "updated_at"])
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=activity.network,
        obj=rsvp,
        fields=["status", "via"],
    )
    if before == S.GOING and rsvp.status == S.DECLINED:
        _promote(activity)
    return rsvp


def _promote(activity: Activity) -> Rsvp | None:
    """Give a freed place to the first on the waiting list and tell them."""
    going = activity.rsvps.filter(status=S.GOING).count()
    if activity.capacity is not None and going >= activity.capacity:
        return None
    first = (
        activity.rsvps.filter(status=S.WAITING)
        .select_related("person__network")
        .order_by("updated_at", "id")
        .first()
    )
    if first is None:
        return None
    first.status = S.GOING
    first.updated_at = timezone.now()
    first.save(update_fields=["status", "updated_at"])
    audit_record(
        action=AuditEvent.Action.UPDATE,
        network=activity.network,
        obj=first,
        fields=["status"],
    )
    person_text(first.person, promoted_text(activity, first.person.language), "event-rsvp")
    return first


def event_invite(*, activity: Activity, people: list[Person], actor: User | None = None) -> int:
    """Text each person an invitation in their language (people who answered already
    are not asked again). Returns how many texts went out."""
    if activity.starts_at <= timezone.now():
        raise ValidationError(_("This event has already started."), code="started")
    sent = 0
    for person in people:
        if person.network_id != activity.network_id or person.status == Person.Status.REMOVED:
            continue
        with transaction.atomic():
            rsvp, created = Rsvp.objects.get_or_create(
                activity=activity, person=person, defaults={"via": Rsvp.Via.TEXT}
            )
            if not created and rsvp.status != S.INVITED:
                continue
            if person_text(person, invitation_text(activity, person.language), "event-invite"):
                sent += 1
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        network=activity.network,
        obj=activity,
        fields=["rsvps"],
    )
    return sent


def rsvps_of(person: Person) -> dict[int, Rsvp]:
    """{activity id: the person's RSVP} for upcoming activities."""
    rows = Rsvp.objects.filter(person=person, activity__starts_at__gt=timezone.now())
    return {r.activity_id: r for r in rows}


# --- reminders ----------------------------------------------------------------------


def event_reminders_due(*, hours: int = REMINDER_HOURS) -> int:
    """Sweep: text each person going to an event starting within ``hours`` once, in
    their language. ``reminded_at`` is set by a conditional UPDATE (two workers never
    both send)."""
    now = timezone.now()
    due = list(
        Rsvp.objects.filter(
            status=S.GOING,
            reminded_at__isnull=True,
            activity__starts_at__gt=now,
            activity__starts_at__lte=now + timedelta(hours=hours),
        )
        .select_related("activity__network", "person__network")
        .order_by("activity__starts_at", "id")[:REMINDER_BATCH]
    )
    sent = 0
    for rsvp in due:
        with transaction.atomic():
            if not Rsvp.objects.filter(pk=rsvp.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            person = rsvp.person
            if person_text(person, reminder_text(rsvp.activity, person.language), "event-reminder"):
                sent += 1
    return sent


# --- by text ------------------------------------------------------------------------


def _pending(person: Person, statuses: tuple[str, ...]) -> Rsvp | None:
    """The person's latest RSVP in ``statuses`` for an event not yet started."""
    return (
        Rsvp.objects.filter(
            person=person, status__in=statuses, activity__starts_at__gt=timezone.now()
        )
        .select_related("activity__network")
        .order_by("-updated_at", "-id")
        .first()
    )


def events_inbound(message: InboundMessage) -> inbound.Handled | None:
    """Inbound handler: YES / NO / NEXT about events (see the module's docstring)."""
    if not message.channel or message.channel != sms_channel():
        return None
    word = _word(message.body or "")
    if word not in YES_WORDS and word not in NO_WORDS and word not in NEXT_WORDS:
        return None
    network = message.network
    people = [
        p
        for p in text_sender(network=network, address=message.from_address).people
        if p.status != Person.Status.REMOVED
    ]
    if not people:
        return None
    person = people[0]
    language = person.language
    if word in NEXT_WORDS:
        activity = next_event(network)
        if activity is None:
            with translation.override(language):
                reply = _("%(network)s: no event is planned yet. We will text you.") % {
                    "network": network.name[:30]
                }
            return inbound.Handled(handler=HANDLER, reply=reply, language=language)
        rsvp, _created = Rsvp.objects.get_or_create(
            activity=activity, person=person, defaults={"via": Rsvp.Via.TEXT}
        )
        if rsvp.status in ANSWERED:
            return inbound.Handled(
                handler=HANDLER, reply=answer_text(rsvp, language), language=language
            )
        if rsvp.status == S.DECLINED:  # asked again: a YES may now change their mind
            Rsvp.objects.filter(pk=rsvp.pk).update(status=S.INVITED, updated_at=timezone.now())
        else:
            Rsvp.objects.filter(pk=rsvp.pk).update(updated_at=timezone.now())
        return inbound.Handled(
            handler=HANDLER, reply=invitation_text(activity, language), language=language
        )
    going = word in YES_WORDS
    statuses: tuple[str, ...] = (S.INVITED,) if going else (S.INVITED, *ANSWERED)
    pending = None
    for candidate in people:  # people may share a phone: the first with an invitation
        pending = _pending(candidate, statuses)
        if pending is not None:
            person = candidate
            language = person.language
            break
    if pending is None:
        return None
    try:
        rsvp = rsvp_set(activity=pending.activity, person=person, going=going, via=Rsvp.Via.TEXT)
    except ValidationError:
        return None
    return inbound.Handled(handler=HANDLER, reply=answer_text(rsvp, language), language=language)
