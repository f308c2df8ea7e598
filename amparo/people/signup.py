"""Public volunteer sign-up: the person, their orientation session, and double opt-in.

A sign-up goes through :func:`signup_submit`. It creates the person with
:func:`~amparo.people.services.person_upsert`, or merges into the person who already
has that phone number or email, and asks them to confirm:

* by text message (the default when they give a mobile number): a short GSM-7 text
  in their language asking them to reply YES / SI. The reply reaches
  :func:`signup_inbound` (in ``settings.INBOUND_HANDLERS``), which finds the pending
  confirmation by the sender's phone blind index (``SignupConfirmation.token_hash``),
  confirms it and answers with a thank-you in their language;
* by email (when they give only an email, or choose it): a link with a random token,
  of which only a keyed hash is stored; it expires after ``EMAIL_TOKEN_TTL``.

Confirming moves the person from ``signed_up`` to ``confirmed``.

The public form is not authenticated: anyone who knows a member's number could submit
it. So a sign-up that matches someone already established changes nothing about them
(no roles, towns, consent or sessions added on their behalf). Only a sign-up still
waiting for its own confirmation may be corrected and added to. An already confirmed
person gets no second confirmation. The page answers the same in every case.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from amparo.accounts.models import LANGUAGE_CHOICES, Network
from amparo.channels import inbound
from amparo.channels.models import InboundMessage
from amparo.channels.outbox import outbox_write
from amparo.channels.registry import sms_channel
from amparo.lib.crypto.blind import blind_index, fold, normalize_email, phone_index
from amparo.lib.phones import normalize_phone

from . import antiabuse
from .models import (
    Person,
    PersonRole,
    SignupConfirmation,
    TrainingSession,
    TrainingSignup,
    TrainingType,
)
from .services import PersonData, find_existing, person_set_status, person_upsert

log = logging.getLogger(__name__)

CONSENT_METHOD = "web-signup"
#: Change when the consent text below changes, so each person's consent names the
#: text they agreed to.
CONSENT_VERSION = "2026-01"
#: PersonRole slugs a volunteer cannot pick for themselves.
EXCLUDED_ROLES = ("member", "attorney")
ORIENTATION = "orientation"
MAX_SESSIONS = 12
ACTIVE_SIGNUP = (TrainingSignup.Status.SIGNED_UP, TrainingSignup.Status.ATTENDED)

SMS_CONFIRMATION_TTL = timedelta(days=7)
SMS_DELIVERY_TTL = timedelta(days=1)  # a confirmation text that could not go out in a day
EMAIL_TOKEN_TTL = timedelta(days=3)
#: a second sign-up within this time sends no second message
RESEND_AFTER = timedelta(minutes=10)
#: at most this many confirmation messages per person and channel while pending
MAX_SENDS = 5
INBOUND_HANDLER = "people.signup-confirm"

#: The word a person replies with, in each language; every one of them is accepted
#: whatever the person's language (after folding case and accents).
REPLY_WORD = {"en": "YES", "es": "SI"}
YES_WORDS = frozenset({"yes", "y", "si", "s"})


class SessionFull(Exception):
    """The orientation session chosen filled up (or went away) meanwhile."""


@dataclass(frozen=True)
class SignupData:
    """What the public form says; ``phone`` already E.164, ``email`` already valid."""

    name: str
    language: str
    phone: str = ""
    email: str = ""
    other_languages: list[str] = field(default_factory=list)
    place_id: int | None = None
    roles: list[str] = field(default_factory=list)
    session_id: int | None = None
    confirm_by: str = "sms"  # "sms" or "email"


@dataclass(frozen=True)
class SignupResult:
    """For tests and logs of counts only; the page never shows any of it."""

    person_id: int
    outcome: str  # "created" | "updated" | "unchanged"
    confirmation: str  # "sms" | "email" | "" (none sent)


# --- texts ---------------------------------------------------------------------------

# GSM 03.38 basic character set (one septet each) and its extension table (two).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"
_GSM = frozenset(GSM_BASIC + GSM_EXTENSION)
_GSM_LOOKALIKE = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}


def gsm_text(text: str) -> str:
    """Text that fits GSM-7, so a message costs one segment per 160 characters and
    not per 70: accents GSM lacks (á í ó ú) lose their accent, é ñ ü ¿ ¡ stay."""
    out = []
    for char in text:
        if char in _GSM:
            out.append(char)
            continue
        char = _GSM_LOOKALIKE.get(char, char)
        if all(c in _GSM for c in char):
            out.append(char)
            continue
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(plain if plain and all(c in _GSM for c in plain) else "?")
    return "".join(out)


def consent_text(*, network: Network) -> str:
    return _(
        "I agree that %(network)s keeps my name and contact details to contact me about "
        "volunteering, trainings and alerts. They are stored encrypted and used only by "
        "the network's organizers. I can stop the messages at any time by replying STOP, "
        "or ask to be removed."
    ) % {"network": network.name}


def sms_confirmation_text(*, network: Network, language: str) -> str:
    with translation.override(language):
        text = _("%(network)s: Thank you for signing up! Reply %(yes)s to confirm.") % {
            "network": network.name,
            "yes": REPLY_WORD.get(language, REPLY_WORD["en"]),
        }
    return gsm_text(text)


def sms_thanks_text(*, network: Network, language: str) -> str:
    with translation.override(language):
        text = _(
            "%(network)s: You are confirmed. We will be in touch about your orientation. Thank you!"
        ) % {"network": network.name}
    return gsm_text(text)


def email_confirmation_message(*, network: Network, language: str, link: str) -> tuple[str, str]:
    with translation.override(language):
        subject = _("Confirm your sign-up with %(network)s") % {"network": network.name}
        body = "\n\n".join(
            [
                _("Thank you for signing up as a volunteer with %(network)s.")
                % {"network": network.name},
                _("To confirm, open this link within %(days)s days:")
                % {"days": EMAIL_TOKEN_TTL.days},
                link,
                _("If you did not sign up, ignore this email: nothing more will be sent."),
            ]
        )
    return subject, body + "\n"


# --- what the form offers ------------------------------------------------------------


# The sign-up page's reads of what to offer are written out: every view and every post
# of the public form makes them, and Django compiling them cost 0.3 to 1 ms of CPU each
# where running them costs 0.02 to 0.1 (issue 16). The network always bound. (The
# towns come from Place.choices, which leaves out a ZIP code beside its town.)


def signup_roles(*, network: Network) -> list[PersonRole]:
    """The roles a volunteer may pick, in the roles' own order."""
    roles, excluded = PersonRole._meta.db_table, ", ".join(["%s"] * len(EXCLUDED_ROLES))
    return list(
        PersonRole.objects.raw(
            f'SELECT * FROM "{roles}" WHERE network_id = %s AND slug NOT IN ({excluded}) '  # noqa: S608 - the model's table, values bound
            "ORDER BY position, slug",
            [network.pk, *EXCLUDED_ROLES],
        )
    )


def signup_sessions(*, network: Network, now: datetime | None = None) -> list[TrainingSession]:
    """Upcoming orientation sessions that still have room, soonest first (each with
    ``taken``: its active bookings)."""
    now = now or timezone.now()
    session, booking, kind = (
        m._meta.db_table for m in (TrainingSession, TrainingSignup, TrainingType)
    )
    return list(
        TrainingSession.objects.raw(
            "SELECT * FROM (SELECT s.*, "  # noqa: S608 - the models' tables, values bound
            f'(SELECT COUNT(*) FROM "{booking}" b WHERE b.session_id = s.id '
            f"AND b.status IN ({', '.join(['%s'] * len(ACTIVE_SIGNUP))})) AS taken "
            f'FROM "{session}" s JOIN "{kind}" t ON t.id = s.training_type_id '
            "WHERE s.network_id = %s AND t.slug = %s AND s.starts_at > %s) AS upcoming "
            "WHERE taken < capacity ORDER BY starts_at, id LIMIT %s",
            [
                *(status.value for status in ACTIVE_SIGNUP),
                network.pk,
                ORIENTATION,
                connection.ops.adapt_datetimefield_value(now),
                MAX_SESSIONS,
            ],
        )
    )


def session_label(*, session: TrainingSession, network: Network) -> str:
    """ "Tuesday, March 3, 2026, 6 p.m. · Spanish · Parish hall" in the active language."""
    local = timezone.localtime(session.starts_at, ZoneInfo(network.time_zone))
    when = (
        f"{date_format(local, 'l')}, {date_format(local, 'DATE_FORMAT')}, "
        f"{time_format(local, 'TIME_FORMAT')}"
    )
    parts = [when, str(dict(LANGUAGE_CHOICES).get(session.language, session.language))]
    if session.place:
        parts.append(session.place)
    return " · ".join(parts)


# --- sign-up -------------------------------------------------------------------------


def _pending(person: Person | None) -> bool:
    return (
        person is not None
        and person.status == Person.Status.SIGNED_UP
        and person.source == Person.Source.SIGNUP
    )


def _merge(person: Person | None, data: SignupData) -> PersonData:
    phones = [data.phone] if data.phone else []
    places = [data.place_id] if data.place_id else None
    if person is None:
        return PersonData(
            name=data.name,
            phones=phones,
            email=data.email,
            language=data.language,
            other_languages=data.other_languages,
            roles=data.roles,
            places=places,
        )
    # Someone already known. The form is public: anyone who knows a member's number could
    # submit it, so an established person is never changed from here (no roles, towns or
    # consent added on their behalf). Only a pending sign-up may correct and add.
    pending = _pending(person)
    if not pending:
        return PersonData(name="")
    language = data.language
    spoken = [*person.speaks(), *data.other_languages]
    return PersonData(
        name=data.name if pending else "",
        language=language,
        other_languages=[c for c in dict.fromkeys(spoken) if c != language],
        roles=data.roles,
        places=places,
    )


def _book_session(
    *, network: Network, person: Person, session_id: int | None, new: bool = False
) -> None:
    """Book the orientation session (``new``: a person just created, with no booking
    to read)."""
    if not session_id:
        return
    session = (
        TrainingSession.objects.select_for_update()
        .filter(
            pk=session_id,
            network=network,
            training_type__slug=ORIENTATION,
            starts_at__gt=timezone.now(),
        )
        .first()
    )
    if session is None:
        raise SessionFull
    booking = None if new else TrainingSignup.objects.filter(session=session, person=person).first()
    if booking is not None and booking.status in ACTIVE_SIGNUP:
        return
    if session.signups.filter(status__in=ACTIVE_SIGNUP).count() >= session.capacity:
        raise SessionFull
    if booking is None:
        TrainingSignup.objects.create(session=session, person=person)
    else:
        booking.status = TrainingSignup.Status.SIGNED_UP
        booking.signed_up_at = timezone.now()
        booking.save(update_fields=["status", "signed_up_at"])


def _may_send(*, person: Person, channel: str, now: datetime) -> bool:
    pending = SignupConfirmation.objects.filter(
        person=person, channel=channel, confirmed_at=None, expires_at__gt=now
    )
    last = pending.order_by("-sent_at").first()
    if last is None:
        return True
    return last.sent_at <= now - RESEND_AFTER and last.attempts < MAX_SENDS


def _send_sms(*, network: Network, person: Person, phone: str, sms: str, new: bool) -> None:
    now = timezone.now()
    token_hash = phone_index(phone)
    pending = None
    if not new:  # a person just created has no confirmation to read
        pending = (
            SignupConfirmation.objects.filter(
                person=person, channel="sms", token_hash=token_hash, confirmed_at=None
            )
            .order_by("-sent_at")
            .first()
        )
    if pending is None or pending.expires_at <= now:
        SignupConfirmation.objects.create(
            person=person,
            channel="sms",
            token_hash=token_hash,
            sent_at=now,
            expires_at=now + SMS_CONFIRMATION_TTL,
            attempts=1,
        )
    else:
        SignupConfirmation.objects.filter(pk=pending.pk).update(
            sent_at=now, expires_at=now + SMS_CONFIRMATION_TTL, attempts=F("attempts") + 1
        )
    outbox_write(
        network=network,
        channel=sms,
        to=phone,
        body=sms_confirmation_text(network=network, language=person.language),
        purpose="signup-confirm",
        language=person.language,
        expires_at=now + SMS_DELIVERY_TTL,
    )


def _email_token(*, person: Person) -> str:
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    SignupConfirmation.objects.create(
        person=person,
        channel="email",
        token_hash=blind_index("signup-email", token),
        sent_at=now,
        expires_at=now + EMAIL_TOKEN_TTL,
        attempts=1,
    )
    return token


def _send_email(*, network: Network, person: Person, email: str, token: str) -> None:
    path = reverse("signup_confirm", kwargs={"network_slug": network.slug, "token": token})
    subject, body = email_confirmation_message(
        network=network, language=person.language, link=settings.BASE_URL + path
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    except Exception as exc:  # the sign-up is saved; a coordinator can confirm by hand
        log.warning("sign-up confirmation email not sent (%s)", type(exc).__name__)


def _confirm_channel(
    *, network: Network, person: Person, data: SignupData, now: datetime, new: bool
) -> str:
    """Which confirmation to send now: "sms", "email" or "" (none). ``new``: the person
    was just created from this form (their number is the one typed, nothing was sent
    to them yet: neither is read back)."""
    if person.status != Person.Status.SIGNED_UP or person.opted_out_at:
        return ""
    # The number given must be the person's own: a public form never attaches a number
    # to someone already known, so a text could otherwise confirm someone else.
    own_phone = bool(data.phone) and (
        new or person.phones.filter(number_index=phone_index(data.phone)).exists()
    )
    sms_possible = own_phone and "sms" not in person.opted_out_of() and bool(sms_channel())
    wants_email = bool(data.email) and (data.confirm_by == "email" or not data.phone)
    if sms_possible and not wants_email:
        if not new and not _may_send(person=person, channel="sms", now=now):
            return ""  # a text went out a moment ago, or too many already
        if antiabuse.network_sms_allowed(network=network):
            return "sms"
        # Over the network's cap: an email if we have one, else a coordinator confirms.
        log.warning("sign-up confirmation texts over the cap for network %s", network.pk)
    # Likewise the email (and never a link to an address typed next to someone's number).
    own_email = bool(data.email) and normalize_email(person.email or "") == normalize_email(
        data.email
    )
    if own_email and (new or _may_send(person=person, channel="email", now=now)):
        return "email"
    return ""


def signup_public(
    *, network: Network, post: antiabuse.Posted, data: SignupData
) -> tuple[antiabuse.Admission, bool]:
    """One valid post of the public form: its limits counted and its challenge spent
    (``antiabuse.signup_admit``), then saved, in one write transaction on SQLite
    (``antiabuse.admission_transaction``). The admission, and whether the chosen
    session had just filled up (then nothing of the sign-up is saved; the counts stay)."""
    contacts = [f"phone:{data.phone}"] if data.phone else []
    contacts += [f"email:{data.email}"] if data.email else []
    full = False
    with antiabuse.admission_transaction() as admitting:
        admission = antiabuse.signup_admit(
            network=network,
            address=post.address,
            solved=post.check.solved,
            challenge=post.challenge,
            contacts=contacts,
        )
        if admission.fresh and not admission.wait:
            with admitting.save():
                try:
                    signup_submit(network=network, data=data)
                except SessionFull:
                    full = True
    return admission, full


def signup_submit(*, network: Network, data: SignupData) -> SignupResult:
    """Save a sign-up and send its confirmation (see the module docstring).

    Raises :class:`SessionFull` (and saves nothing) when the chosen orientation session
    has no room left.
    """
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _submit(network=network, data=data)
        except IntegrityError:
            # Two sign-ups with the same new email at once: the second finds the first.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _submit(*, network: Network, data: SignupData) -> SignupResult:
    now = timezone.now()
    existing = find_existing(
        network=network, phones=[data.phone] if data.phone else [], email=data.email
    )
    # Rows every sign-up shares (the people versions, the audit chain's lock) are written
    # last, just before the commit: on PostgreSQL each is locked until then (issue 16).
    shared: list[Callable[[], None]] = []
    person, outcome = person_upsert(
        network=network,
        data=_merge(existing, data),
        source=Person.Source.SIGNUP,
        consent_method=CONSENT_METHOD,
        consent_version=CONSENT_VERSION,  # a new person's consent, saved with them
        existing=existing,
        looked_up=True,
        defer=shared,
    )
    new = existing is None
    if not new and _pending(existing) and not person.consent_at:
        person.consent_at = now
        person.consent_method = CONSENT_METHOD
        person.consent_version = CONSENT_VERSION
        Person.objects.filter(pk=person.pk).update(
            consent_at=person.consent_at,
            consent_method=CONSENT_METHOD,
            consent_version=CONSENT_VERSION,
        )
    if new or _pending(existing):
        _book_session(network=network, person=person, session_id=data.session_id, new=new)
    channel = _confirm_channel(network=network, person=person, data=data, now=now, new=new)
    if channel == "sms":
        _send_sms(network=network, person=person, phone=data.phone, sms=sms_channel(), new=new)
    elif channel == "email":
        token = _email_token(person=person)
        email = data.email
        transaction.on_commit(
            lambda: _send_email(network=network, person=person, email=email, token=token)
        )
    for write in shared:
        write()
    return SignupResult(person_id=person.pk, outcome=outcome, confirmation=channel)


# --- confirmation --------------------------------------------------------------------


def signup_confirm(*, confirmation: SignupConfirmation) -> bool:
    """Confirm a pending confirmation (once); the person moves signed_up -> confirmed."""
    now = timezone.now()
    with transaction.atomic():
        if not SignupConfirmation.objects.filter(pk=confirmation.pk, confirmed_at=None).update(
            confirmed_at=now
        ):
            return False
        # The person is confirmed: the other messages still pending are answered too.
        SignupConfirmation.objects.filter(
            person_id=confirmation.person_id, confirmed_at=None
        ).update(confirmed_at=now)
        person = Person.objects.get(pk=confirmation.person_id)
        if person.status == Person.Status.SIGNED_UP:
            person_set_status(person=person, status=Person.Status.CONFIRMED)
        from .surge import orientation_invite  # surge mode builds on this module

        orientation_invite(person)  # only while surge mode is on
    return True


def email_confirmation_find(*, network: Network, token: str) -> SignupConfirmation | None:
    """The email confirmation this link's token belongs to, if any and not expired."""
    if not token or len(token) > 100:
        return None
    return (
        SignupConfirmation.objects.filter(
            channel="email",
            token_hash=blind_index("signup-email", token),
            person__network=network,
            expires_at__gt=timezone.now(),
        )
        .select_related("person")
        .first()
    )


def is_yes(text: str) -> bool:
    """YES, Y, SÍ, SI, S, any case, with or without accents and punctuation."""
    word = fold(text).strip().strip(".!¡?¿,;:'\"() ").strip()
    return word in YES_WORDS


def signup_inbound(message: InboundMessage) -> inbound.Handled | None:
    """Inbound handler: a YES/SI from a number with a pending sign-up confirms it."""
    if not message.channel or message.channel != sms_channel():
        return None
    if not is_yes(message.body or ""):
        return None
    try:
        phone = normalize_phone(message.from_address or "")
    except Exception:  # not a phone number: not ours to answer
        return None
    pending = (
        SignupConfirmation.objects.filter(
            channel="sms",
            token_hash=phone_index(phone),
            confirmed_at=None,
            expires_at__gt=timezone.now(),
            person__network_id=message.network_id,
        )
        .select_related("person", "person__network")
        .order_by("-sent_at")
        .first()
    )
    if pending is None or not signup_confirm(confirmation=pending):
        return None
    person = pending.person
    return inbound.Handled(
        handler=INBOUND_HANDLER,
        reply=sms_thanks_text(network=person.network, language=person.language),
        language=person.language,
    )
