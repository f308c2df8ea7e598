"""STOP and START by text message, in English and Spanish: opt-outs honoured everywhere.

A person who texts STOP (or ALTO, BAJA, CANCELAR…) is opted out of every channel
at once (``Person.opted_out_at``; every audience and count leaves them out); START
(or ALTA, INICIO) takes it back. The confirmation is the one last message they get.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from amparo.accounts.audit import audit_record
from amparo.accounts.models import AuditEvent
from amparo.channels import inbound
from amparo.channels.models import Delivery, InboundMessage
from amparo.lib.crypto.blind import fold, phone_index
from amparo.lib.phones import normalize_phone

from .counts import people_changed
from .identity import text_sender
from .models import Person
from .reach import phones_restore, reach_refresh
from .services import person_opt_out

STOP_WORDS = {
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "alto", "baja", "cancelar",
    "parar", "detener",
}  # fmt: skip
START_WORDS = {"start", "unstop", "subscribe", "alta", "inicio", "iniciar"}
HANDLER = "people.optout"


def _cancel_queued(message: InboundMessage) -> int:
    """Messages still waiting for this number are not sent after a STOP."""
    return Delivery.objects.filter(
        network_id=message.network_id,
        to_index=message.from_index,
        status=Delivery.Status.QUEUED,
    ).update(status=Delivery.Status.FAILED, error="recipient opted out")


def optout_inbound(message: InboundMessage) -> inbound.Handled | None:
    word = fold(message.body or "").strip().strip(".!¡").strip()
    if word not in STOP_WORDS and word not in START_WORDS:
        return None
    sender = text_sender(network=message.network, address=message.from_address)
    language, network_name = sender.language, message.network.name
    with translation.override(language):
        if word in STOP_WORDS:
            for person in sender.people:
                person_opt_out(person=person)
            _cancel_queued(message)
            reply = _(
                "%(network)s: You will get no more messages from us. Reply START to get them again."
            ) % {"network": network_name}
        else:
            for person in sender.people:  # found by their phone: the address is one
                fields = ["opted_out"] if person.opted_out_at else []
                if fields:
                    Person.objects.filter(pk=person.pk).update(opted_out_at=None)
                # a text from the number shows it works, whatever a provider said
                number = phone_index(normalize_phone(message.from_address))
                if phones_restore(person.phones.filter(number_index=number)):
                    fields.append("phones")
                if fields:
                    reach_refresh([person.pk])
                    people_changed(network_id=person.network_id, person_ids=[person.pk])
                    audit_record(
                        action=AuditEvent.Action.UPDATE, obj=person, fields=fields, note="start"
                    )
            reply = _("%(network)s: You will get our messages again. Reply STOP to stop them.") % {
                "network": network_name
            }
    return inbound.Handled(handler=HANDLER, reply=reply, language=language)
